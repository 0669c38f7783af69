import Foundation
import LexicellCore

/// Multinomial logistic regression with an L2 penalty on a sparse (CSR, cells × features) matrix, fitted by the
/// same L-BFGS and minimising the same objective as `LogisticRegression` (scikit-learn's
/// `LogisticRegression(C=c, solver="lbfgs")`; two classes: the binomial model):
///     (1/S) Σ_i s_i CE_i + ‖W‖² / (2 C S),   intercept not penalised.
/// Nothing dense of size cells × features is ever formed: each objective evaluation walks the stored entries
/// once per row block, computing the row's decision values (X·W), its softmax gradient and scattering Xᵀ·G into
/// a per-block gradient, with the row blocks spread over the cores. Arithmetic is in Double.
public struct SparseLogisticRegression: LinearHead {
    public typealias Options = LogisticRegression.Options

    /// classes × features (for two classes rows are ±w/2, as `LogisticRegression`).
    public let weights: DenseMatrix
    public let intercept: [Float]
    public let iterations: Int
    public let converged: Bool
    public let objective: Double
    public let gradientMax: Double
    /// The raw solution (θ = [features × outputs, feature-major; outputs intercepts]), for warm starts.
    public let solution: [Double]

    /// Fits on `x` (rows = cells). `start` is an earlier `solution` of the same shape (warm start along a
    /// path of C), or nil for zeros.
    public static func fit(
        _ x: SparseMatrix, labels: [Int], classCount: Int, options: Options = Options(),
        start: [Double]? = nil
    ) throws -> SparseLogisticRegression {
        guard labels.count == x.rows else {
            throw LexicellError("SparseLogisticRegression: \(x.rows) rows but \(labels.count) labels; expected one label per row")
        }
        guard x.rows > 0, x.cols > 0 else { throw LexicellError("SparseLogisticRegression: empty training matrix (\(x.rows) × \(x.cols))") }
        guard classCount >= 2 else { throw LexicellError("SparseLogisticRegression: classCount is \(classCount); expected at least 2") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw LexicellError("SparseLogisticRegression: label \(bad) outside 0..<\(classCount)")
        }
        guard options.c > 0, options.c.isFinite else { throw LexicellError("SparseLogisticRegression: C is \(options.c); expected a positive number") }
        if let i = x.values.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError("SparseLogisticRegression: non-finite stored value at entry \(i)")
        }
        let problem = Problem(x: x, labels: labels, classCount: classCount, options: options)
        let n = problem.parameterCount
        var theta0 = [Double](repeating: 0, count: n)
        if let s = start, s.count == n { theta0 = s }
        var solver = LBFGS()
        solver.memory = options.memory
        solver.maxIterations = options.maxIterations
        solver.gradientTolerance = options.tolerance
        let result = solver.minimize(from: theta0) { theta, g in problem.objective(theta, gradient: &g) }
        let d = x.cols, k = problem.outputs
        var w = DenseMatrix(rows: classCount, cols: d)
        var b = [Float](repeating: 0, count: classCount)
        let t = result.x
        if problem.binary {
            for j in 0..<d { w[0, j] = Float(-t[j] / 2); w[1, j] = Float(t[j] / 2) }
            b[0] = Float(-t[d] / 2); b[1] = Float(t[d] / 2)
        } else {
            for j in 0..<d { for c in 0..<k { w[c, j] = Float(t[j * k + c]) } }
            let mean = (0..<k).map { t[d * k + $0] }.reduce(0, +) / Double(k)
            for c in 0..<k { b[c] = Float(t[d * k + c] - mean) }
        }
        return SparseLogisticRegression(
            weights: w, intercept: b, iterations: result.iterations, converged: result.converged,
            objective: result.value, gradientMax: result.gradientMax, solution: t)
    }

    /// cells × classes decision values of sparse query rows (features in the training order).
    public func decision(_ x: SparseMatrix) -> DenseMatrix {
        precondition(x.cols == weights.cols, "decision: input has \(x.cols) features, the head \(weights.cols)")
        let k = weights.rows, d = weights.cols
        // Feature-major copy of the weights so each stored entry updates one contiguous run of k outputs.
        var wt = [Double](repeating: 0, count: d * k)
        for c in 0..<k { for j in 0..<d { wt[j * k + c] = Double(weights[c, j]) } }
        var z = DenseMatrix(rows: x.rows, cols: k)
        let acc = UnsafeMutablePointer<Double>.allocate(capacity: k)
        defer { acc.deallocate() }
        wt.withUnsafeBufferPointer { w in
            for r in 0..<x.rows {
                for c in 0..<k { acc[c] = Double(intercept[c]) }
                for e in x.indptr[r]..<x.indptr[r + 1] {
                    let wj = w.baseAddress! + Int(x.indices[e]) * k, v = Double(x.values[e])
                    for c in 0..<k { acc[c] += v * wj[c] }
                }
                for c in 0..<k { z[r, c] = Float(acc[c]) }
            }
        }
        return z
    }

    public func predict(_ x: SparseMatrix) -> [Int] { HeadsRows.argmax(decision(x)) }

    public func probabilities(_ x: SparseMatrix) -> DenseMatrix {
        var z = decision(x)
        HeadsSoftmax.rowsInPlace(&z)
        return z
    }

    /// The objective for fixed data (exposed to tests through `@testable`).
    struct Problem: @unchecked Sendable {
        let x: SparseMatrix
        let labels: [Int]
        let sampleWeight: [Double]
        let weightSum: Double
        let c: Double
        let binary: Bool
        let outputs: Int
        /// Row ranges evaluated in parallel (about equal numbers of stored entries).
        let blocks: [Range<Int>]

        init(x: SparseMatrix, labels: [Int], classCount: Int, options: Options) {
            self.x = x
            self.labels = labels
            binary = classCount == 2
            outputs = binary ? 1 : classCount
            let cw = options.classWeight.classWeights(labels: labels, classCount: classCount)
            sampleWeight = labels.map { cw[$0] }
            weightSum = labels.reduce(0.0) { $0 + cw[$1] }
            c = options.c
            let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, x.rows / 32))
            var b = [Range<Int>](), lo = 0
            let total = max(x.nonZeroCount, 1)
            for p in 1...parts {
                var hi = lo
                let target = total * p / parts
                while hi < x.rows && (x.indptr[hi] < target || hi == lo) { hi += 1 }
                if p == parts { hi = x.rows }
                if hi > lo { b.append(lo..<hi) }
                lo = hi
            }
            blocks = b
        }

        var parameterCount: Int { outputs * (x.cols + 1) }

        /// θ = [W (features × outputs, feature-major), b (outputs)].
        func objective(_ theta: [Double], gradient: inout [Double]) -> Double {
            let k = outputs, d = x.cols
            let scale = 1 / weightSum
            var partGradient = [[Double]](repeating: [], count: blocks.count)
            var partLoss = [Double](repeating: 0, count: blocks.count)
            let lock = NSLock()
            theta.withUnsafeBufferPointer { tp in
                DispatchQueue.concurrentPerform(iterations: blocks.count) { part in
                    var g = [Double](repeating: 0, count: k * (d + 1))
                    let z = UnsafeMutablePointer<Double>.allocate(capacity: k)
                    defer { z.deallocate() }
                    var loss = 0.0
                    x.indptr.withUnsafeBufferPointer { ptr in
                        x.indices.withUnsafeBufferPointer { idx in
                            x.values.withUnsafeBufferPointer { val in
                                g.withUnsafeMutableBufferPointer { gp in
                                    let w = tp.baseAddress!, bias = tp.baseAddress! + k * d
                                    for r in blocks[part] {
                                        for cc in 0..<k { z[cc] = bias[cc] }
                                        let lo = ptr[r], hi = ptr[r + 1]
                                        for e in lo..<hi {
                                            let wj = w + Int(idx[e]) * k, v = Double(val[e])
                                            for cc in 0..<k { z[cc] += v * wj[cc] }
                                        }
                                        let sw = sampleWeight[r], y = labels[r]
                                        if binary {
                                            let v = z[0], t = y == 1 ? 1.0 : 0.0
                                            let softplus = v > 0 ? v + Foundation.log1p(exp(-v)) : Foundation.log1p(exp(v))
                                            loss += sw * (softplus - t * v)
                                            let sigma = v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v))
                                            z[0] = sw * scale * (sigma - t)
                                        } else {
                                            var m = -Double.infinity
                                            for cc in 0..<k { m = max(m, z[cc]) }
                                            var sum = 0.0
                                            for cc in 0..<k { sum += exp(z[cc] - m) }
                                            loss += sw * (m + Foundation.log(sum) - z[y])
                                            for cc in 0..<k { z[cc] = sw * scale * (exp(z[cc] - m) / sum - (cc == y ? 1 : 0)) }
                                        }
                                        // z now holds dLoss/dz of this row: scatter Xᵀ·G.
                                        let gb = gp.baseAddress! + k * d
                                        for cc in 0..<k { gb[cc] += z[cc] }
                                        for e in lo..<hi {
                                            let gj = gp.baseAddress! + Int(idx[e]) * k, v = Double(val[e])
                                            for cc in 0..<k { gj[cc] += v * z[cc] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    lock.lock()
                    partGradient[part] = g
                    partLoss[part] = loss
                    lock.unlock()
                }
            }
            let lambda = 1 / (c * weightSum)
            var penalty = 0.0
            for i in 0..<gradient.count { gradient[i] = 0 }
            for g in partGradient { for i in 0..<g.count { gradient[i] += g[i] } }
            for i in 0..<(k * d) { penalty += theta[i] * theta[i]; gradient[i] += lambda * theta[i] }
            return partLoss.reduce(0, +) * scale + 0.5 * lambda * penalty
        }
    }

    init(
        weights: DenseMatrix, intercept: [Float], iterations: Int, converged: Bool, objective: Double, gradientMax: Double,
        solution: [Double]
    ) {
        self.weights = weights; self.intercept = intercept; self.iterations = iterations; self.converged = converged
        self.objective = objective; self.gradientMax = gradientMax; self.solution = solution
    }
}
