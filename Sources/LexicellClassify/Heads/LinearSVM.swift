import CBLAS
import Dispatch
import Foundation
import LexicellCore

/// One-vs-rest linear SVM with squared hinge loss and an L2 penalty, as scikit-learn's `LinearSVC()` defaults
/// (liblinear): for each class k, with y = ±1 (class k or not) and the intercept as a penalised weight on a
/// constant feature 1 (intercept_scaling = 1),
///     P_k(w, b) = 0.5‖w‖² + 0.5 b² + Σ_i C_i max(0, 1 − y_i (w·x_i + b))²,
/// C_i = C · (class weight of k) for the class's own cells and C for the rest (liblinear's weighted C).
///
/// Solver: dual coordinate descent for the L2-loss SVM (Hsieh et al., ICML 2008; liblinear's dual solver):
/// minimise 0.5 αᵀ(Q + D)α − Σα over α ≥ 0, Q_ij = y_i y_j (x_i·x_j + 1), D_ii = 1/(2 C_i), keeping
/// (w, b) = Σ α_i y_i (x_i, 1) up to date. Rows are visited in a seeded random order each pass, rows with α_i = 0
/// whose gradient exceeds the last pass's largest projected gradient are shrunk out, and a class stops when
/// max − min of the projected gradient over a full pass is ≤ `tolerance` (liblinear's rule; scikit-learn passes
/// its `tol`, 1e-4). Classes are independent: they are split into an even number of groups of ≤ 16 that run in
/// parallel; within a group all classes share one visiting order, so each row is read from memory once per pass
/// for the whole group. The grouping depends only on the class count, so results depend only on the seed.
/// With two classes one problem is solved (class 1 positive; rows of `weights` are −w and w).
public struct LinearSVM: LinearHead {
    public struct Options: Sendable {
        public var c = 1.0
        public var classWeight = ClassWeighting.none
        /// Passes over the data per class (scikit-learn's `max_iter`).
        public var maxIterations = 1000
        /// Bound on max − min of the dual projected gradient over a pass (scikit-learn's `tol`).
        public var tolerance = 1e-4
        /// Seeds the per-pass visiting order.
        public var seed: UInt64 = 0
        /// Skip rows at the bound that are unlikely to move (as liblinear); off visits every row every pass.
        public var shrinking = true
        public init(
            c: Double = 1, classWeight: ClassWeighting = .none, maxIterations: Int = 1000, tolerance: Double = 1e-4,
            seed: UInt64 = 0, shrinking: Bool = true
        ) {
            self.c = c; self.classWeight = classWeight; self.maxIterations = maxIterations; self.tolerance = tolerance
            self.seed = seed; self.shrinking = shrinking
        }
    }

    public let weights: DenseMatrix
    public let intercept: [Float]
    /// Largest number of passes any class needed.
    public let iterations: Int
    /// Every class met the stopping rule within `maxIterations`.
    public let converged: Bool
    /// Σ_k P_k at the returned weights (the primal objective summed over the one-vs-rest problems; one problem
    /// for two classes).
    public let objective: Double
    /// Largest over classes of the final pass's max − min projected dual gradient (the quantity the stopping rule
    /// bounds by `tolerance`).
    public let gradientMax: Double

    public static func fit(_ x: DenseMatrix, labels: [Int], classCount: Int, options: Options = Options()) throws -> LinearSVM {
        try fitWithDual(x, labels: labels, classCount: classCount, options: options).model
    }

    /// One fit per C of `cs` (returned in the order given), solved along increasing C, each from the previous C's
    /// dual variables: α ≥ 0 is the dual's only constraint, so a smaller C's optimum is a feasible start and is
    /// close to the next one. Same stopping rule as `fit`, so each result meets the tolerance as a cold fit does
    /// (objectives agree to the tolerance, not bit for bit). `options.c` is ignored.
    public static func fitPath(
        _ x: DenseMatrix, labels: [Int], classCount: Int, cs: [Double], options: Options = Options()
    ) throws -> [LinearSVM] {
        var out = [LinearSVM?](repeating: nil, count: cs.count)
        var start: [[Double]]?
        for i in cs.indices.sorted(by: { cs[$0] < cs[$1] }) {
            var o = options
            o.c = cs[i]
            let fitted = try fitWithDual(x, labels: labels, classCount: classCount, options: o, start: start)
            out[i] = fitted.model
            start = fitted.alpha
        }
        return out.map { $0! }
    }

    /// The fit and each problem's dual variables α (problems × rows), for checking optimality conditions.
    static func fitWithDual(
        _ x: DenseMatrix, labels: [Int], classCount: Int,
        options: Options, start: [[Double]]? = nil
    ) throws -> (model: LinearSVM, alpha: [[Double]]) {
        try HeadsInput.validate(
            x, labels: labels, classCount: classCount, c: options.c, classWeight: options.classWeight,
            model: "LinearSVM")
        guard options.tolerance > 0, options.maxIterations > 0 else {
            throw LexicellError("LinearSVM: tolerance \(options.tolerance) and maxIterations \(options.maxIterations); expected both positive")
        }
        let spec = ProblemSet(labels: labels, classCount: classCount, options: options)
        precondition(start == nil || start!.count == spec.count && start!.allSatisfy { $0.count == x.rows }, "LinearSVM: start shape")
        let solutions = solve(x, spec: spec, options: options, start: start)
        let d = x.cols, problems = spec.count
        var w = DenseMatrix(rows: classCount, cols: d)
        var b = [Float](repeating: 0, count: classCount)
        if spec.binary {
            for j in 0..<d { w[0, j] = -solutions[0].w[j]; w[1, j] = solutions[0].w[j] }
            b[0] = Float(-solutions[0].b); b[1] = Float(solutions[0].b)
        } else {
            for k in 0..<problems {
                for j in 0..<d { w[k, j] = solutions[k].w[j] }
                b[k] = Float(solutions[k].b)
            }
        }
        let fitted = (0..<problems).map { k -> [Float] in Array(solutions[k].w) }
        let objectives = spec.primalObjectives(x, weights: fitted, intercepts: solutions.map(\.b))
        let model = LinearSVM(
            weights: w, intercept: b, iterations: solutions.map(\.iterations).max() ?? 0,
            converged: solutions.allSatisfy(\.converged), objective: objectives.reduce(0, +),
            gradientMax: solutions.map(\.gap).max() ?? 0)
        return (model, solutions.map(\.alpha))
    }

    /// The one-vs-rest problems: which label is positive and the per-row costs C_i.
    struct ProblemSet {
        let labels: [Int]
        let binary: Bool
        let positiveLabel: [Int]
        let positiveCost: [Double]
        let negativeCost: [Double]

        init(labels: [Int], classCount: Int, options: Options) {
            self.labels = labels
            binary = classCount == 2
            let cw = options.classWeight.classWeights(labels: labels, classCount: classCount)
            if binary {
                positiveLabel = [1]; positiveCost = [options.c * cw[1]]; negativeCost = [options.c * cw[0]]
            } else {
                positiveLabel = Array(0..<classCount)
                positiveCost = cw.map { options.c * $0 }
                negativeCost = [Double](repeating: options.c, count: classCount)
            }
        }

        var count: Int { positiveLabel.count }

        /// P_k(w_k, b_k) for each problem, decision values through BLAS, sums in Double.
        func primalObjectives(_ x: DenseMatrix, weights: [[Float]], intercepts: [Double]) -> [Double] {
            let m = count
            let stacked = DenseMatrix(rows: m, cols: x.cols, values: weights.flatMap { $0 })
            let z = LinearAlgebra.matmul(x, stacked, transposeB: true)
            return (0..<m).map { k in
                var value = 0.5 * intercepts[k] * intercepts[k]
                for v in weights[k] { value += 0.5 * Double(v) * Double(v) }
                for i in 0..<x.rows {
                    let positive = labels[i] == positiveLabel[k]
                    let y = positive ? 1.0 : -1.0, cost = positive ? positiveCost[k] : negativeCost[k]
                    let slack = max(0, 1 - y * (Double(z[i, k]) + intercepts[k]))
                    value += cost * slack * slack
                }
                return value
            }
        }
    }

    struct Solution {
        var w: [Float]
        var b: Double
        var alpha: [Double]
        var iterations: Int
        var converged: Bool
        var gap: Double
    }

    /// Groups of problems, an even number of them (both cores busy) with at most 16 each (their weights stay in
    /// cache while a row is shared); problem p goes to group p mod groups.
    static func groups(problems: Int) -> [[Int]] {
        let count = problems <= 1 ? problems : min(problems, 2 * ((problems + 31) / 32))
        return (0..<count).map { g in Array(stride(from: g, to: problems, by: count)) }
    }

    static func solve(_ x: DenseMatrix, spec: ProblemSet, options: Options, start: [[Double]]? = nil) -> [Solution] {
        let n = x.rows, d = x.cols
        // ‖x_i‖² + 1 (the constant feature), in Double.
        var rowNorms = [Double](repeating: 1, count: n)
        x.values.withUnsafeBufferPointer { xp in
            for i in 0..<n {
                let row = xp.baseAddress! + i * d
                rowNorms[i] += Double(cblas_sdot(Int32(d), row, 1, row, 1))
            }
        }
        let plan = groups(problems: spec.count)
        var perGroup = [[Solution]](repeating: [], count: plan.count)
        x.values.withUnsafeBufferPointer { xp in
            rowNorms.withUnsafeBufferPointer { np in
                perGroup.withUnsafeMutableBufferPointer { out in
                    let results = out.baseAddress!
                    DispatchQueue.concurrentPerform(iterations: plan.count) { g in
                        // Each group writes only its own slot.
                        var rng = SeededGenerator(seed: options.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(g + 1))
                        results[g] = solveGroup(
                            xp.baseAddress!, n: n, d: d, rowNorms: np.baseAddress!, spec: spec,
                            problems: plan[g], options: options, start: start, rng: &rng)
                    }
                }
            }
        }
        var solutions = [Solution?](repeating: nil, count: spec.count)
        for (g, members) in plan.enumerated() { for (j, p) in members.enumerated() { solutions[p] = perGroup[g][j] } }
        return solutions.map { $0! }
    }

    /// Dual coordinate descent for the problems of one group, sharing the visiting order.
    static func solveGroup(
        _ x: UnsafePointer<Float>, n: Int, d: Int, rowNorms: UnsafePointer<Double>, spec: ProblemSet,
        problems: [Int], options: Options, start: [[Double]]? = nil, rng: inout SeededGenerator
    ) -> [Solution] {
        let m = problems.count
        let w = UnsafeMutablePointer<Float>.allocate(capacity: m * d)
        w.initialize(repeating: 0, count: m * d)
        let alpha = UnsafeMutablePointer<Double>.allocate(capacity: m * n)
        alpha.initialize(repeating: 0, count: m * n)
        let active = UnsafeMutablePointer<Bool>.allocate(capacity: m * n)
        let labels = UnsafeMutablePointer<Int>.allocate(capacity: n)
        let order = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { w.deallocate(); alpha.deallocate(); active.deallocate(); labels.deallocate(); order.deallocate() }
        for i in 0..<n { labels[i] = spec.labels[i]; order[i] = Int32(i) }

        let positiveLabel = problems.map { spec.positiveLabel[$0] }
        // D_ii = 1/(2 C_i); rows of zero cost are left out (α_i = 0 is optimal for them).
        let diagPositive = problems.map { 0.5 / spec.positiveCost[$0] }
        let diagNegative = problems.map { 0.5 / spec.negativeCost[$0] }
        var usable = [Int](repeating: 0, count: m)
        func activateAll(_ j: Int) {
            var count = 0
            for i in 0..<n {
                let cost = labels[i] == positiveLabel[j] ? spec.positiveCost[problems[j]] : spec.negativeCost[problems[j]]
                active[i * m + j] = cost > 0
                if cost > 0 { count += 1 }
            }
            usable[j] = count
        }
        for j in 0..<m { activateAll(j) }
        var b = [Double](repeating: 0, count: m)
        if let start {
            // A warm start: α from the caller (rows of zero cost keep 0), (w, b) rebuilt from it exactly.
            for j in 0..<m { for i in 0..<n where active[i * m + j] { alpha[i * m + j] = max(start[problems[j]][i], 0) } }
            recompute(Array(0..<m), x: x, n: n, d: d, m: m, alpha: alpha, labels: labels, positiveLabel: positiveLabel, w: w, b: &b)
        }
        var activeCount = usable
        var pgMaxOld = [Double](repeating: .infinity, count: m), pgMinOld = [Double](repeating: -.infinity, count: m)
        var pgMaxNew = pgMaxOld, pgMinNew = pgMinOld
        var iterations = [Int](repeating: 0, count: m)
        var converged = [Bool](repeating: false, count: m), verifying = converged
        var gap = [Double](repeating: 0, count: m)
        var running = (0..<m).filter { usable[$0] > 0 }
        for j in 0..<m where usable[j] == 0 { converged[j] = true }
        let eps = options.tolerance, shrinking = options.shrinking, dd = Int32(d)

        while !running.isEmpty {
            // Fisher–Yates over all rows (shrunk rows are skipped per problem below).
            for s in stride(from: n - 1, to: 0, by: -1) {
                let t = Int(rng.next(upperBound: UInt64(s + 1)))
                (order[s], order[t]) = (order[t], order[s])
            }
            for j in running { pgMaxNew[j] = -.infinity; pgMinNew[j] = .infinity }
            running.withUnsafeBufferPointer { run in
                for s in 0..<n {
                    let i = Int(order[s])
                    let xi = x + i * d
                    for j in run {
                        let a = i * m + j
                        guard active[a] else { continue }
                        let positive = labels[i] == positiveLabel[j]
                        let y = positive ? 1.0 : -1.0
                        let diag = positive ? diagPositive[j] : diagNegative[j]
                        let wj = w + j * d
                        let g = y * (Double(cblas_sdot(dd, wj, 1, xi, 1)) + b[j]) - 1 + alpha[a] * diag
                        var pg = g
                        if alpha[a] == 0 {
                            if shrinking && g > pgMaxOld[j] {
                                active[a] = false
                                activeCount[j] -= 1
                                continue
                            }
                            pg = min(g, 0)
                        }
                        pgMaxNew[j] = max(pgMaxNew[j], pg)
                        pgMinNew[j] = min(pgMinNew[j], pg)
                        if abs(pg) > 1e-12 {
                            let old = alpha[a]
                            alpha[a] = max(old - g / (rowNorms[i] + diag), 0)
                            let step = (alpha[a] - old) * y
                            cblas_saxpy(dd, Float(step), xi, 1, wj, 1)
                            b[j] += step
                        }
                    }
                }
            }
            var refresh = [Int]()
            for j in running {
                iterations[j] += 1
                gap[j] = max(pgMaxNew[j] - pgMinNew[j], 0)
                if pgMaxNew[j] - pgMinNew[j] <= eps {
                    if activeCount[j] == usable[j] {
                        if verifying[j] { converged[j] = true; continue }
                        // Met on all rows: recompute w from α exactly (Float32 updates drift), then confirm with
                        // one more full pass.
                        verifying[j] = true
                        refresh.append(j)
                    } else {
                        activateAll(j)
                        activeCount[j] = usable[j]
                    }
                    pgMaxOld[j] = .infinity; pgMinOld[j] = -.infinity
                } else {
                    verifying[j] = false
                    pgMaxOld[j] = pgMaxNew[j] <= 0 ? .infinity : pgMaxNew[j]
                    pgMinOld[j] = pgMinNew[j] >= 0 ? -.infinity : pgMinNew[j]
                }
            }
            if !refresh.isEmpty {
                recompute(refresh, x: x, n: n, d: d, m: m, alpha: alpha, labels: labels, positiveLabel: positiveLabel, w: w, b: &b)
            }
            running.removeAll { converged[$0] || iterations[$0] >= options.maxIterations }
        }
        return (0..<m).map { j in
            Solution(
                w: Array(UnsafeBufferPointer(start: w + j * d, count: d)), b: b[j],
                alpha: (0..<n).map { alpha[$0 * m + j] }, iterations: iterations[j],
                converged: converged[j], gap: gap[j])
        }
    }

    /// α is rows × problems (row-major, a row's variables share a cache line). (w_j, b_j) = Σ_i α_ij y_ji (x_i, 1) for the listed problems, accumulated in Double by row blocks (DGEMM).
    static func recompute(
        _ list: [Int], x: UnsafePointer<Float>, n: Int, d: Int, m: Int, alpha: UnsafeMutablePointer<Double>,
        labels: UnsafePointer<Int>, positiveLabel: [Int], w: UnsafeMutablePointer<Float>, b: inout [Double]
    ) {
        let r = list.count, block = max(1, min(n, 4096 * 64 / max(d, 1)))
        var sum = [Double](repeating: 0, count: r * d)
        var xb = [Double](repeating: 0, count: block * d)
        var coef = [Double](repeating: 0, count: r * block)
        for j in list {
            var s = 0.0
            for i in 0..<n { s += labels[i] == positiveLabel[j] ? alpha[i * m + j] : -alpha[i * m + j] }
            b[j] = s
        }
        var start = 0
        while start < n {
            let rows = min(block, n - start)
            for v in 0..<(rows * d) { xb[v] = Double(x[start * d + v]) }
            for (t, j) in list.enumerated() {
                for i in 0..<rows {
                    let a = alpha[(start + i) * m + j]
                    coef[t * rows + i] = labels[start + i] == positiveLabel[j] ? a : -a
                }
            }
            cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r), Int32(d), Int32(rows), 1, coef, Int32(rows),
                xb, Int32(d), 1, &sum, Int32(d))
            start += rows
        }
        for (t, j) in list.enumerated() { for c in 0..<d { w[j * d + c] = Float(sum[t * d + c]) } }
    }

    init(weights: DenseMatrix, intercept: [Float], iterations: Int, converged: Bool, objective: Double, gradientMax: Double) {
        self.weights = weights; self.intercept = intercept; self.iterations = iterations; self.converged = converged
        self.objective = objective; self.gradientMax = gradientMax
    }
}
