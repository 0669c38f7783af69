import Foundation
import LexicellCore
@testable import LexicellLearn
import XCTest

/// The whole training step (forward with BatchNorm in training mode, SupCon loss with τ scaling, hand-written
/// backward, torch.optim.Adam with L2 weight decay, running statistics) against PyTorch, in Float64.
final class PyTorchCrossCheckTests: XCTestCase {
    /// Reference values printed by scripts/learn_torch_crosscheck.py (torch 2.15.0, float64), to 10 decimals.
    func testMatchesPyTorchOnThreeAdamSteps() {
        let config = SupConConfiguration(
            inputDim: 5, hiddenDim: 6, embeddingDim: 4, projectionHiddenDim: 4,
            projectionDim: 3, temperature: 0.1)
        var g = SeededGenerator(seed: 0)
        let network = SupConNetwork<Double>(configuration: config, generator: &g)
        for (k, (parameter, _)) in network.parameters.enumerated() {
            for i in 0..<parameter.count {
                parameter.pointer[i] = (k == 2 || k == 8 ? 1 : 0) + 0.5 * sin(0.37 * Double(i) + Double(k))
            }
        }
        let w = SupConNetwork<Double>.Workspace(rows: 8, configuration: config)
        for r in 0..<8 { for c in 0..<5 { w.input[r, c] = cos(0.11 * Double(r * c) + 0.3 * Double(r) + 0.7 * Double(c)) } }
        let labels = [0, 0, 1, 1, 0, 0, 1, 1]
        let kernel = SupConKernel<Double>(rows: 8)
        var adam = Adam<Double>(parameters: network.parameters, learningRate: 1e-2, weightDecay: 1e-3)
        var losses = [Double]()
        for _ in 0..<3 {
            network.forwardTraining(w)
            losses.append(kernel.evaluate(features: w.features, labels: labels, temperature: 0.1, gradient: w.featuresGrad))
            network.backward(w)
            adam.update(network.parameters)
        }
        let tolerance = 1e-9
        for (a, b) in zip(losses, [3.1131419484, 2.8025676431, 2.6732730294]) { XCTAssertEqual(a, b, accuracy: tolerance) }
        let runningMean = [0.0467477967, 0.1109462802, 0.2023688716, 0.0907620557, 0.0224216788, 0.0881705153]
        let runningVar = [0.8143098222, 0.8078307138, 0.7706156829, 0.8461571899, 0.7577634908, 0.8289556569]
        for j in 0..<6 {
            XCTAssertEqual(network.encoderNorm.runningMean.pointer[j], runningMean[j], accuracy: tolerance)
            XCTAssertEqual(network.encoderNorm.runningVar.pointer[j], runningVar[j], accuracy: tolerance)
        }
        // Eval-mode encoder output.
        let hidden = Tensor<Double>(rows: 8, cols: 6), out = Tensor<Double>(rows: 8, cols: 4)
        network.encoder1.forward(w.input, into: hidden)
        network.encoderNorm.forwardInference(hidden, into: hidden)
        ReLU.forward(hidden)
        network.encoder2.forward(hidden, into: out)
        let row0 = [-1.4802652453, 0.159339775, 0.1452936537, -1.153345334]
        let row5 = [-1.0896021276, -0.1618655895, 0.2064687817, -0.6838192154]
        for j in 0..<4 {
            XCTAssertEqual(out[0, j], row0[j], accuracy: tolerance)
            XCTAssertEqual(out[5, j], row5[j], accuracy: tolerance)
        }
    }
}
