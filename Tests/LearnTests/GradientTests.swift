import LexicellCore
@testable import LexicellLearn
import XCTest

/// Every hand-written gradient against central finite differences in Float64 (step 1e-6). Tolerance: the
/// largest absolute deviation must stay below 1e-6 of the largest gradient entry (the brief asks < 1e-3;
/// Float64 central differences are accurate to ~1e-9 here, so a real bug cannot hide under 1e-6).
final class GradientTests: XCTestCase {
    let tolerance = 1e-6

    func testLinearGradients() {
        var g = SeededGenerator(seed: 1)
        let layer = Linear<Double>(inputs: 5, outputs: 4, generator: &g)
        let x = randomTensor(rows: 6, cols: 5, generator: &g)
        let weights = randomTensor(rows: 6, cols: 4, generator: &g)  // loss = Σ weights ⊙ y
        let y = Tensor<Double>(rows: 6, cols: 4)
        let loss = { () -> Double in
            layer.forward(x, into: y); return dot(weights, y)
        }
        _ = loss()
        let dx = Tensor<Double>(rows: 6, cols: 5)
        layer.backward(input: x, outputGrad: weights, inputGrad: dx)
        XCTAssertLessThan(finiteDifferenceError(analytic: layer.weightGrad.values, parameter: layer.weight, loss: loss), tolerance)
        XCTAssertLessThan(finiteDifferenceError(analytic: layer.biasGrad.values, parameter: layer.bias, loss: loss), tolerance)
        XCTAssertLessThan(finiteDifferenceError(analytic: dx.values, parameter: x, loss: loss), tolerance)
    }

    func testBatchNormGradients() {
        var g = SeededGenerator(seed: 2)
        let norm = BatchNorm<Double>(features: 5)
        for j in 0..<5 { norm.gamma.pointer[j] = 0.5 + g.nextUniform(); norm.beta.pointer[j] = g.nextGaussian() }
        let x = randomTensor(rows: 7, cols: 5, generator: &g, scale: 2)
        let weights = randomTensor(rows: 7, cols: 5, generator: &g)
        let y = Tensor<Double>(rows: 7, cols: 5)
        let loss = { () -> Double in
            norm.forwardTraining(x, into: y); return dot(weights, y)
        }
        _ = loss()
        let dx = Tensor<Double>(rows: 7, cols: 5)
        norm.backward(outputGrad: weights, inputGrad: dx)
        XCTAssertLessThan(finiteDifferenceError(analytic: norm.gammaGrad.values, parameter: norm.gamma, loss: loss), tolerance)
        XCTAssertLessThan(finiteDifferenceError(analytic: norm.betaGrad.values, parameter: norm.beta, loss: loss), tolerance)
        XCTAssertLessThan(finiteDifferenceError(analytic: dx.values, parameter: x, loss: loss), tolerance)
    }

    func testReLUAndL2NormalizationGradients() {
        var g = SeededGenerator(seed: 3)
        let x = randomTensor(rows: 4, cols: 6, generator: &g)
        let weights = randomTensor(rows: 4, cols: 6, generator: &g)
        let r = Tensor<Double>(rows: 4, cols: 6)
        let reluLoss = { () -> Double in
            r.copy(from: x); ReLU.forward(r); return dot(weights, r)
        }
        _ = reluLoss()
        let dr = Tensor<Double>(rows: 4, cols: 6)
        dr.copy(from: weights)
        ReLU.backward(output: r, gradient: dr)
        XCTAssertLessThan(finiteDifferenceError(analytic: dr.values, parameter: x, loss: reluLoss), tolerance)
        XCTAssertTrue(dr.values.contains(0) && dr.values.contains { $0 != 0 }, "both ReLU branches exercised")

        let z = Tensor<Double>(rows: 4, cols: 6), norms = Tensor<Double>(rows: 4, cols: 1)
        let l2Loss = { () -> Double in
            L2Normalization.forward(x, into: z, norms: norms); return dot(weights, z)
        }
        _ = l2Loss()
        let dx = Tensor<Double>(rows: 4, cols: 6)
        L2Normalization.backward(output: z, norms: norms, outputGrad: weights, inputGrad: dx)
        XCTAssertLessThan(finiteDifferenceError(analytic: dx.values, parameter: x, loss: l2Loss), tolerance)
    }

    func testSupConLossGradient() {
        var g = SeededGenerator(seed: 4)
        // Includes a label with a single row (an anchor without positive) to check the guarded path too.
        let labels = [0, 1, 2, 0, 1, 2, 0, 3, 1, 0]
        for temperature in [0.07, 0.1, 0.5] {
            let raw = randomTensor(rows: labels.count, cols: 5, generator: &g)
            let z = Tensor<Double>(rows: labels.count, cols: 5), norms = Tensor<Double>(rows: labels.count, cols: 1)
            L2Normalization.forward(raw, into: z, norms: norms)
            let kernel = SupConKernel<Double>(rows: labels.count)
            let dz = Tensor<Double>(rows: labels.count, cols: 5)
            _ = kernel.evaluate(features: z, labels: labels, temperature: temperature, gradient: dz)
            let loss = { kernel.evaluate(features: z, labels: labels, temperature: temperature, gradient: nil) }
            XCTAssertLessThan(
                finiteDifferenceError(analytic: dz.values, parameter: z, loss: loss), tolerance,
                "τ = \(temperature)")
        }
    }

    /// The whole network (encoder, head, BatchNorm in training mode, ReLU, ℓ2 normalisation, loss): every
    /// parameter tensor and the input.
    func testNetworkGradientsEndToEnd() {
        let config = SupConConfiguration(
            inputDim: 5, hiddenDim: 7, embeddingDim: 4, projectionHiddenDim: 6,
            projectionDim: 3, temperature: 0.1)
        var g = SeededGenerator(seed: 5)
        let network = SupConNetwork<Double>(configuration: config, generator: &g)
        // Non-trivial BatchNorm affine parameters so γ and β gradients are not at their initial values.
        for norm in [network.encoderNorm, network.headNorm] {
            for j in 0..<norm.features { norm.gamma.pointer[j] = 0.5 + g.nextUniform(); norm.beta.pointer[j] = 0.3 * g.nextGaussian() }
        }
        let labels = [0, 1, 1, 2, 0, 1, 1, 2]  // 4 cells × 2 views
        let w = SupConNetwork<Double>.Workspace(rows: labels.count, configuration: config)
        let input = randomTensor(rows: labels.count, cols: 5, generator: &g)
        let kernel = SupConKernel<Double>(rows: labels.count)
        let loss = { () -> Double in
            w.input.copy(from: input)
            network.forwardTraining(w)
            return kernel.evaluate(features: w.features, labels: labels, temperature: 0.1, gradient: nil)
        }
        _ = loss()
        _ = kernel.evaluate(features: w.features, labels: labels, temperature: 0.1, gradient: w.featuresGrad)
        let dx = Tensor<Double>(rows: labels.count, cols: 5)
        network.backward(w, inputGrad: dx)
        let names = [
            "encoder1.weight", "encoder1.bias", "encoderNorm.gamma", "encoderNorm.beta", "encoder2.weight",
            "encoder2.bias", "head1.weight", "head1.bias", "headNorm.gamma", "headNorm.beta", "head2.weight",
            "head2.bias",
        ]
        let analytic = network.parameters.map { $0.gradient.values }
        // A bias followed (through a linear map) by BatchNorm cannot change the loss: BatchNorm subtracts the
        // batch mean. Its exact gradient is 0; both the analytic and the numeric one must say so.
        let biasesBeforeBatchNorm: Set = ["encoder1.bias", "encoder2.bias", "head1.bias"]
        let overall = analytic.flatMap { $0 }.map(abs).max()!
        for (k, (parameter, _)) in network.parameters.enumerated() {
            if biasesBeforeBatchNorm.contains(names[k]) {
                let (worst, numeric) = finiteDifferenceDeviation(analytic: analytic[k], parameter: parameter, loss: loss)
                XCTAssertLessThan(analytic[k].map(abs).max()! / overall, 1e-12, names[k])
                XCTAssertLessThan(numeric / overall, 1e-6, names[k])
                XCTAssertLessThan(worst / overall, tolerance, names[k])
            } else {
                XCTAssertLessThan(
                    finiteDifferenceError(analytic: analytic[k], parameter: parameter, loss: loss),
                    tolerance, names[k])
            }
        }
        XCTAssertLessThan(finiteDifferenceError(analytic: dx.values, parameter: input, loss: loss), tolerance, "input")
    }

    /// The Float32 training path runs the same generic code; its gradients match the Float64 ones to
    /// single-precision accuracy (1e-3 of the largest gradient entry of the network: Float32 sums; entries
    /// that are exactly 0 in exact arithmetic, such as biases before BatchNorm, are rounding noise in both).
    func testFloat32PathMatchesFloat64() {
        let config = SupConConfiguration(
            inputDim: 6, hiddenDim: 8, embeddingDim: 5, projectionHiddenDim: 5,
            projectionDim: 4)
        var g32 = SeededGenerator(seed: 6), g64 = SeededGenerator(seed: 6)
        let n32 = SupConNetwork<Float>(configuration: config, generator: &g32)
        let n64 = SupConNetwork<Double>(configuration: config, generator: &g64)
        let labels = [0, 1, 2, 0, 1, 2]
        let w32 = SupConNetwork<Float>.Workspace(rows: 6, configuration: config)
        let w64 = SupConNetwork<Double>.Workspace(rows: 6, configuration: config)
        var g = SeededGenerator(seed: 7)
        for i in 0..<w64.input.count { let v = g.nextGaussian(); w64.input.pointer[i] = v; w32.input.pointer[i] = Float(v) }
        n32.forwardTraining(w32); n64.forwardTraining(w64)
        let l32 = SupConKernel<Float>(rows: 6).evaluate(features: w32.features, labels: labels, temperature: 0.07, gradient: w32.featuresGrad)
        let l64 = SupConKernel<Double>(rows: 6).evaluate(features: w64.features, labels: labels, temperature: 0.07, gradient: w64.featuresGrad)
        XCTAssertEqual(Double(l32), l64, accuracy: 1e-4 * abs(l64))
        n32.backward(w32); n64.backward(w64)
        let scale = n64.parameters.flatMap { $0.gradient.values }.map(abs).max()!
        for (a, b) in zip(n32.parameters, n64.parameters) {
            let worst = zip(a.gradient.values, b.gradient.values).map { abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(worst / scale, 1e-3)
        }
    }
}
