import Foundation
import LexicellCore

/// Multinomial logistic regression with an L2 penalty, fitted by L-BFGS, as scikit-learn's
/// `LogisticRegression(C=c, solver="lbfgs")` (≥ 1.1): it minimises
///     (1/S) Σ_i s_i CE_i + ‖W‖² / (2 C S),   S = Σ_i s_i,  s_i = class weight of cell i,
/// i.e. (0.5‖W‖² + C Σ s_i CE_i)/(C S); the intercept is not penalised. With two classes it is the binomial
/// model, as scikit-learn: row 1 − row 0 of `weights` is scikit-learn's `coef_` (rows are ±w/2).
public struct LogisticRegression: LinearHead {
    public struct Options: Sendable {
        public var c = 1.0
        public var classWeight = ClassWeighting.none
        public var maxIterations = 500
        /// Max |gradient| of the objective above at which L-BFGS stops (scikit-learn's `tol`, there 1e-4).
        public var tolerance = 1e-6
        public var memory = 10
        public init(c: Double = 1, classWeight: ClassWeighting = .none, maxIterations: Int = 500, tolerance: Double = 1e-6) {
            self.c = c; self.classWeight = classWeight; self.maxIterations = maxIterations; self.tolerance = tolerance
        }
    }

    public let weights: DenseMatrix
    public let intercept: [Float]
    public let iterations: Int
    public let converged: Bool
    /// Final objective value and max |gradient|.
    public let objective: Double
    public let gradientMax: Double

    /// `start`: a model of the same data shape to start L-BFGS from (a regularisation path: each C warm-started
    /// from the previous C's solution); nil starts from zero.
    public static func fit(
        _ x: DenseMatrix, labels: [Int], classCount: Int, options: Options = Options(), start: LogisticRegression? = nil
    ) throws -> LogisticRegression {
        try HeadsInput.validate(
            x, labels: labels, classCount: classCount, c: options.c, classWeight: options.classWeight,
            model: "LogisticRegression")
        let problem = Problem(x: x, labels: labels, classCount: classCount, options: options)
        var solver = LBFGS()
        solver.memory = options.memory
        solver.maxIterations = options.maxIterations
        solver.gradientTolerance = options.tolerance
        var theta0 = [Double](repeating: 0, count: problem.evaluator.parameterCount)
        if let start, start.weights.rows == classCount, start.weights.cols == x.cols {
            let d = x.cols
            if problem.binary {
                for j in 0..<d { theta0[j] = 2 * Double(start.weights[1, j]) }
                theta0[d] = 2 * Double(start.intercept[1])
            } else {
                for i in 0..<(classCount * d) { theta0[i] = Double(start.weights.values[i]) }
                for c in 0..<classCount { theta0[classCount * d + c] = Double(start.intercept[c]) }
            }
        }
        let result = solver.minimize(from: theta0) { theta, g in
            problem.objective(theta, gradient: &g)
        }
        let d = x.cols
        var w = DenseMatrix(rows: classCount, cols: d)
        var b = [Float](repeating: 0, count: classCount)
        if problem.binary {
            for j in 0..<d { w[0, j] = Float(-result.x[j] / 2); w[1, j] = Float(result.x[j] / 2) }
            b[0] = Float(-result.x[d] / 2); b[1] = Float(result.x[d] / 2)
        } else {
            for i in 0..<(classCount * d) { w.values[i] = Float(result.x[i]) }
            // Softmax is unchanged by a common shift of the intercepts; centre them as the gradient flow does.
            let mean = (0..<classCount).map { result.x[classCount * d + $0] }.reduce(0, +) / Double(classCount)
            for c in 0..<classCount { b[c] = Float(result.x[classCount * d + c] - mean) }
        }
        return LogisticRegression(
            weights: w, intercept: b, iterations: result.iterations, converged: result.converged,
            objective: result.value, gradientMax: result.gradientMax)
    }

    /// cells × classes probabilities (softmax of the decision values, in Double then rounded).
    public func probabilities(_ x: DenseMatrix) -> DenseMatrix {
        var z = decision(x)
        HeadsSoftmax.rowsInPlace(&z)
        return z
    }

    /// The objective for fixed data, exposed to tests (finite differences) through `@testable`.
    struct Problem {
        var evaluator: HeadsLinearEvaluator
        let labels: [Int]
        let sampleWeight: [Float]
        let weightSum: Double
        let c: Double
        let binary: Bool

        init(x: DenseMatrix, labels: [Int], classCount: Int, options: Options) {
            binary = classCount == 2
            evaluator = HeadsLinearEvaluator(x: x, outputs: binary ? 1 : classCount)
            self.labels = labels
            let cw = options.classWeight.classWeights(labels: labels, classCount: classCount)
            sampleWeight = labels.map { Float(cw[$0]) }
            weightSum = labels.reduce(0.0) { $0 + cw[$1] }
            c = options.c
        }

        func objective(_ theta: [Double], gradient: inout [Double]) -> Double {
            let k = evaluator.outputs, d = evaluator.x.cols
            let scale = 1 / weightSum
            let data = evaluator.evaluate(theta, gradient: &gradient) { start, rows, z, dz in
                var loss = 0.0
                var p = [Double](repeating: 0, count: k)
                for r in 0..<rows {
                    let i = start + r, sw = Double(sampleWeight[i]), y = labels[i]
                    let zr = z + r * k, gr = dz + r * k
                    if binary {
                        // log(1 + e^z) − y·z, stably.
                        let v = Double(zr[0]), t = y == 1 ? 1.0 : 0.0
                        let softplus = v > 0 ? v + log1p(exp(-v)) : log1p(exp(v))
                        loss += sw * (softplus - t * v)
                        let sigma = v >= 0 ? 1 / (1 + exp(-v)) : exp(v) / (1 + exp(v))
                        gr[0] = Float(sw * scale * (sigma - t))
                    } else {
                        var m = -Double.infinity
                        for c in 0..<k { m = max(m, Double(zr[c])) }
                        var sum = 0.0
                        for c in 0..<k { p[c] = exp(Double(zr[c]) - m); sum += p[c] }
                        loss += sw * (m + log(sum) - Double(zr[y]))
                        for c in 0..<k { gr[c] = Float(sw * scale * (p[c] / sum - (c == y ? 1 : 0))) }
                    }
                }
                return loss
            }
            var penalty = 0.0
            let lambda = 1 / (c * weightSum)
            for i in 0..<(k * d) { penalty += theta[i] * theta[i]; gradient[i] += lambda * theta[i] }
            return data * scale + 0.5 * lambda * penalty
        }
    }

    init(weights: DenseMatrix, intercept: [Float], iterations: Int, converged: Bool, objective: Double, gradientMax: Double) {
        self.weights = weights; self.intercept = intercept; self.iterations = iterations; self.converged = converged
        self.objective = objective; self.gradientMax = gradientMax
    }
}

/// Row-wise softmax (max-subtracted, summed in Double).
public enum HeadsSoftmax {
    public static func rowsInPlace(_ z: inout DenseMatrix) {
        let k = z.cols
        z.values.withUnsafeMutableBufferPointer { p in
            for r in 0..<z.rows {
                let row = p.baseAddress! + r * k
                var m = -Float.infinity
                for c in 0..<k { m = max(m, row[c]) }
                var sum = 0.0
                for c in 0..<k { sum += exp(Double(row[c] - m)) }
                for c in 0..<k { row[c] = Float(exp(Double(row[c] - m)) / sum) }
            }
        }
    }
}
