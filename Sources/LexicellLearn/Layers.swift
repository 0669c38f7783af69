import LexicellCore

// Layers with hand-written gradients. Every forward writes into a caller-owned buffer and every backward
// fills the layer's own gradient buffers, so a training step allocates nothing.

/// A fully connected layer y = x·Wᵀ + b with PyTorch's weight layout (outputs × inputs).
final class Linear<T: LearnScalar> {
    let inputs: Int
    let outputs: Int
    let weight: Tensor<T>
    let bias: Tensor<T>
    let weightGrad: Tensor<T>
    let biasGrad: Tensor<T>

    /// PyTorch's nn.Linear initialisation: Kaiming-uniform with a = √5 for the weight, which works out to
    /// U(−1/√fan_in, 1/√fan_in), and the same bound for the bias. Weight first, then bias, as PyTorch.
    init(inputs: Int, outputs: Int, generator: inout SeededGenerator) {
        self.inputs = inputs
        self.outputs = outputs
        weight = Tensor(rows: outputs, cols: inputs)
        bias = Tensor(rows: 1, cols: outputs)
        weightGrad = Tensor(rows: outputs, cols: inputs)
        biasGrad = Tensor(rows: 1, cols: outputs)
        let bound = 1 / Double(inputs).squareRoot()
        for i in 0..<weight.count { weight.pointer[i] = T((2 * generator.nextUniform() - 1) * bound) }
        for i in 0..<bias.count { bias.pointer[i] = T((2 * generator.nextUniform() - 1) * bound) }
    }

    func forward(_ x: Tensor<T>, into y: Tensor<T>) {
        precondition(x.cols == inputs && y.cols == outputs && y.rows == x.rows)
        for r in 0..<x.rows { (y.pointer + r * outputs).update(from: bias.pointer, count: outputs) }
        T.gemm(
            x.pointer, rowsA: x.rows, colsA: inputs, transposeA: false,
            weight.pointer, rowsB: outputs, colsB: inputs, transposeB: true, into: y.pointer, alpha: 1, beta: 1)
    }

    /// Sets the parameter gradients from the layer's input and the gradient of its output; writes the input
    /// gradient when asked (the first layer's is not needed in training).
    func backward(input x: Tensor<T>, outputGrad dy: Tensor<T>, inputGrad dx: Tensor<T>?) {
        T.gemm(
            dy.pointer, rowsA: dy.rows, colsA: outputs, transposeA: true,
            x.pointer, rowsB: x.rows, colsB: inputs, transposeB: false, into: weightGrad.pointer, alpha: 1, beta: 0)
        columnSums(dy, into: biasGrad.pointer)
        if let dx {
            T.gemm(
                dy.pointer, rowsA: dy.rows, colsA: outputs, transposeA: false,
                weight.pointer, rowsB: outputs, colsB: inputs, transposeB: false, into: dx.pointer, alpha: 1, beta: 0)
        }
    }
}

/// BatchNorm1d as PyTorch: batch statistics with the biased variance in training, running statistics
/// (momentum 0.1, unbiased variance) at inference, ε = 1e-5, learnable scale γ and shift β.
final class BatchNorm<T: LearnScalar> {
    let features: Int
    let gamma: Tensor<T>
    let beta: Tensor<T>
    let gammaGrad: Tensor<T>
    let betaGrad: Tensor<T>
    let runningMean: Tensor<T>
    let runningVar: Tensor<T>
    let momentum: T = 0.1
    let epsilon: T = 1e-5
    // Saved by the training forward pass for the backward pass.
    private var normalized: Tensor<T>
    private let inverseStd: Tensor<T>
    private let mean: Tensor<T>

    init(features: Int) {
        self.features = features
        gamma = Tensor(rows: 1, cols: features)
        gamma.fill(1)
        beta = Tensor(rows: 1, cols: features)
        gammaGrad = Tensor(rows: 1, cols: features)
        betaGrad = Tensor(rows: 1, cols: features)
        runningMean = Tensor(rows: 1, cols: features)
        runningVar = Tensor(rows: 1, cols: features)
        runningVar.fill(1)
        normalized = Tensor(rows: 0, cols: features)
        inverseStd = Tensor(rows: 1, cols: features)
        mean = Tensor(rows: 1, cols: features)
    }

    func forwardTraining(_ x: Tensor<T>, into y: Tensor<T>) {
        let n = x.rows, c = features
        precondition(n >= 2, "BatchNorm needs at least two rows in training")
        if normalized.rows != n { normalized = Tensor(rows: n, cols: c) }
        let mu = mean.pointer, istd = inverseStd.pointer, xp = x.pointer, xh = normalized.pointer
        columnSums(x, into: mu)
        let invN = 1 / T(n)
        for j in 0..<c { mu[j] *= invN }
        // Two-pass variance: Σ(x − μ)², kept in istd until inverted.
        istd.update(repeating: 0, count: c)
        for r in 0..<n {
            let row = xp + r * c, hrow = xh + r * c
            for j in 0..<c {
                let d = row[j] - mu[j]
                hrow[j] = d
                istd[j] += d * d
            }
        }
        let rm = runningMean.pointer, rv = runningVar.pointer
        let unbiasing = T(n) / T(n - 1)
        for j in 0..<c {
            let variance = istd[j] * invN
            rm[j] = (1 - momentum) * rm[j] + momentum * mu[j]
            rv[j] = (1 - momentum) * rv[j] + momentum * variance * unbiasing
            istd[j] = 1 / (variance + epsilon).squareRoot()
        }
        let g = gamma.pointer, b = beta.pointer, yp = y.pointer
        for r in 0..<n {
            let hrow = xh + r * c, yrow = yp + r * c
            for j in 0..<c {
                let h = hrow[j] * istd[j]
                hrow[j] = h
                yrow[j] = g[j] * h + b[j]
            }
        }
    }

    /// Inference mode with the running statistics.
    func forwardInference(_ x: Tensor<T>, into y: Tensor<T>) {
        Self.inference(
            x.pointer, rows: x.rows, features: features, mean: runningMean.pointer,
            variance: runningVar.pointer, gamma: gamma.pointer, beta: beta.pointer, epsilon: epsilon,
            into: y.pointer)
    }

    /// (x − running mean)/√(running var + ε)·γ + β, evaluated in this order from the stored parameters only,
    /// so a saved and reloaded refiner gives bit-identical outputs.
    static func inference(
        _ x: UnsafePointer<T>, rows n: Int, features c: Int, mean: UnsafePointer<T>,
        variance: UnsafePointer<T>, gamma: UnsafePointer<T>, beta: UnsafePointer<T>,
        epsilon: T, into y: UnsafeMutablePointer<T>
    ) {
        let istd = UnsafeMutablePointer<T>.allocate(capacity: c)
        defer { istd.deallocate() }
        for j in 0..<c { istd[j] = 1 / (variance[j] + epsilon).squareRoot() }
        for r in 0..<n {
            let row = x + r * c, out = y + r * c
            for j in 0..<c { out[j] = (row[j] - mean[j]) * istd[j] * gamma[j] + beta[j] }
        }
    }

    /// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/(N·σ)·(N·dy − Σdy − x̂·Σ(dy·x̂)). `dx` may be `dy`.
    func backward(outputGrad dy: Tensor<T>, inputGrad dx: Tensor<T>) {
        let n = dy.rows, c = features
        precondition(normalized.rows == n, "BatchNorm backward without a matching training forward")
        let dyp = dy.pointer, xh = normalized.pointer, dg = gammaGrad.pointer, db = betaGrad.pointer
        dg.update(repeating: 0, count: c)
        db.update(repeating: 0, count: c)
        for r in 0..<n {
            let grow = dyp + r * c, hrow = xh + r * c
            for j in 0..<c {
                db[j] += grow[j]
                dg[j] += grow[j] * hrow[j]
            }
        }
        let scale = mean.pointer  // reused as per-column γ/(N·σ)
        let istd = inverseStd.pointer, g = gamma.pointer
        let nT = T(n)
        for j in 0..<c { scale[j] = g[j] * istd[j] / nT }
        let dxp = dx.pointer
        for r in 0..<n {
            let grow = dyp + r * c, hrow = xh + r * c, out = dxp + r * c
            for j in 0..<c { out[j] = scale[j] * (nT * grow[j] - db[j] - hrow[j] * dg[j]) }
        }
    }
}

/// ReLU in place; its backward masks the gradient by the (post-ReLU) output.
enum ReLU {
    static func forward<T: LearnScalar>(_ x: Tensor<T>) {
        let p = x.pointer
        for i in 0..<x.count { p[i] = max(p[i], 0) }  // branch-free so it vectorises
    }

    static func backward<T: LearnScalar>(output y: Tensor<T>, gradient g: Tensor<T>) {
        let yp = y.pointer, gp = g.pointer
        // Multiplying by a 0/1 mask vectorises; a conditional store does not.
        for i in 0..<y.count {
            let keep: T = yp[i] > 0 ? 1 : 0
            gp[i] *= keep
        }
    }
}

/// Row-wise ℓ2 normalisation z = x / max(‖x‖, 1e-12), as torch.nn.functional.normalize.
enum L2Normalization {
    static func forward<T: LearnScalar>(_ x: Tensor<T>, into z: Tensor<T>, norms: Tensor<T>) {
        let c = x.cols
        for r in 0..<x.rows {
            let row = x.pointer + r * c, out = z.pointer + r * c
            var s: T = 0
            for j in 0..<c { s += row[j] * row[j] }
            let norm = max(s.squareRoot(), 1e-12)
            norms.pointer[r] = norm
            let inv = 1 / norm
            for j in 0..<c { out[j] = row[j] * inv }
        }
    }

    /// dx = (dz − z·(z·dz)) / ‖x‖.
    static func backward<T: LearnScalar>(
        output z: Tensor<T>, norms: Tensor<T>, outputGrad dz: Tensor<T>,
        inputGrad dx: Tensor<T>
    ) {
        let c = z.cols
        for r in 0..<z.rows {
            let zr = z.pointer + r * c, gr = dz.pointer + r * c, out = dx.pointer + r * c
            var dot: T = 0
            for j in 0..<c { dot += zr[j] * gr[j] }
            let inv = 1 / norms.pointer[r]
            for j in 0..<c { out[j] = (gr[j] - zr[j] * dot) * inv }
        }
    }
}

/// Column sums of a row-major matrix, row by row so the inner loop is contiguous.
@inline(__always)
func columnSums<T: LearnScalar>(_ x: Tensor<T>, into out: UnsafeMutablePointer<T>) {
    let c = x.cols
    out.update(repeating: 0, count: c)
    for r in 0..<x.rows {
        let row = x.pointer + r * c
        for j in 0..<c { out[j] += row[j] }
    }
}
