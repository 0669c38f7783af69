import XCTest
import LexicellCore
@testable import LexicellClassify

/// The dual coordinate-descent LinearSVM: objective by hand, optimality conditions, class weights, seeds.
final class HeadsSVMTests: XCTestCase {
    /// Gaussian classes shifted on their own feature, labels dealt in a fixed pattern.
    func problem(classes: Int, n: Int = 90, d: Int = 7, shift: Float = 1.5, seed: UInt64) -> (DenseMatrix, [Int]) {
        var rng = SeededGenerator(seed: seed)
        let labels = (0..<n).map { ($0 * 7) % classes }
        let x = DenseMatrix(rowArrays: labels.map { l in (0..<d).map { j in Float(rng.nextGaussian()) + (j == l ? shift : 0) } })
        return (x, labels)
    }

    /// Binary problem, C = 2, class weights [1, 3] (positive cost 6, negative cost 2), w = (0.5, −0.25), b = 0.1:
    /// decision values 0.6, −0.4, −0.15 for rows (1, 0), (0, 2), (−1, −1) labelled 1, 0, 1; slacks 0.4, 0.6, 1.15;
    /// P = 0.5 (0.25 + 0.0625 + 0.01) + 6·0.16 + 2·0.36 + 6·1.3225 = 9.77625.
    func testPrimalObjectiveByHand() {
        let x = DenseMatrix(rowArrays: [[1, 0], [0, 2], [-1, -1]])
        let spec = LinearSVM.ProblemSet(
            labels: [1, 0, 1], classCount: 2,
            options: .init(c: 2, classWeight: .explicit([1, 3])))
        XCTAssertEqual(spec.positiveCost, [6]); XCTAssertEqual(spec.negativeCost, [2])
        let p = spec.primalObjectives(x, weights: [[0.5, -0.25]], intercepts: [0.1])
        XCTAssertEqual(p[0], 9.77625, accuracy: 1e-6)
    }

    /// y f(x_i) for every row of problem k of a fitted model (binary: the class-1 row), in Double.
    func margins(_ model: LinearSVM, _ x: DenseMatrix, labels: [Int], problem k: Int, positive: Int) -> [Double] {
        let row = model.classCount == 2 ? 1 : k
        return (0..<x.rows).map { i in
            var f = Double(model.intercept[row])
            for j in 0..<x.cols { f += Double(model.weights[row, j]) * Double(x[i, j]) }
            return labels[i] == positive ? f : -f
        }
    }

    /// KKT conditions of each one-vs-rest problem at the returned (w, b, α), with balanced class weights:
    /// (w, b) = Σ α_i y_i (x_i, 1); α_i ≥ 0; α_i > 0 ⇒ y_i f_i = 1 − α_i/(2C_i) (the L2-loss dual's optimality,
    /// equivalent to α_i = 2 C_i ξ_i); α_i = 0 ⇒ y_i f_i ≥ 1. Also the primal gradient w − 2 Σ C_i ξ_i y_i x_i is ≈ 0
    /// and the duality gap P(w) − D(α), D = Σα − 0.5‖(w, b)‖² − Σ α²/(4C_i), is ≈ 0 relative to P. Fitted at
    /// tolerance 1e-6 (Float32 weights put the floor of the projected-gradient range near 1e-7 here); at tolerance
    /// 1e-4 (default) the objective is within 1e-4 relative of that solution. Both the binary and 4-class case.
    func testOptimalityConditions() throws {
        for classes in [2, 4] {
            let (x, labels) = problem(classes: classes, seed: 4)
            let options = LinearSVM.Options(c: 2, classWeight: .balanced, maxIterations: 20_000, tolerance: 1e-6)
            let (model, alphas) = try LinearSVM.fitWithDual(x, labels: labels, classCount: classes, options: options)
            XCTAssertTrue(model.converged)
            XCTAssertLessThanOrEqual(model.gradientMax, 1e-6)
            let spec = LinearSVM.ProblemSet(labels: labels, classCount: classes, options: options)
            var primalTotal = 0.0
            for k in 0..<spec.count {
                let alpha = alphas[k], positive = spec.positiveLabel[k]
                let row = classes == 2 ? 1 : k
                let y = labels.map { $0 == positive ? 1.0 : -1.0 }
                let cost = labels.map { $0 == positive ? spec.positiveCost[k] : spec.negativeCost[k] }
                // w = Σ α y x, b = Σ α y.
                var b = 0.0
                for i in 0..<x.rows { b += alpha[i] * y[i] }
                XCTAssertEqual(Double(model.intercept[row]), b, accuracy: 1e-5)
                var norm2 = b * b
                for j in 0..<x.cols {
                    var wj = 0.0
                    for i in 0..<x.rows { wj += alpha[i] * y[i] * Double(x[i, j]) }
                    XCTAssertEqual(Double(model.weights[row, j]), wj, accuracy: 1e-5)
                    norm2 += Double(model.weights[row, j]) * Double(model.weights[row, j])
                }
                let m = margins(model, x, labels: labels, problem: k, positive: positive)
                var primal = 0.5 * norm2, dual = -0.5 * norm2
                var gradient = (0..<x.cols).map { Double(model.weights[row, $0]) }
                for i in 0..<x.rows {
                    XCTAssertGreaterThanOrEqual(alpha[i], 0)
                    if alpha[i] > 0 {
                        XCTAssertEqual(m[i], 1 - alpha[i] / (2 * cost[i]), accuracy: 1e-5, "problem \(k), row \(i)")
                    } else {
                        XCTAssertGreaterThanOrEqual(m[i], 1 - 1e-5, "problem \(k), row \(i)")
                    }
                    let slack = max(0, 1 - m[i])
                    primal += cost[i] * slack * slack
                    dual += alpha[i] - alpha[i] * alpha[i] / (4 * cost[i])
                    for j in 0..<x.cols { gradient[j] -= 2 * cost[i] * slack * y[i] * Double(x[i, j]) }
                }
                XCTAssertLessThan(gradient.map(abs).max()!, 1e-4 * max(1, norm2.squareRoot()), "problem \(k)")
                XCTAssertGreaterThanOrEqual(primal - dual, -1e-6 * primal)
                XCTAssertLessThan(primal - dual, 1e-6 * primal, "problem \(k): P \(primal), D \(dual)")
                primalTotal += primal
            }
            XCTAssertEqual(model.objective, primalTotal, accuracy: 1e-6 * primalTotal)
            var loose = options
            loose.tolerance = 1e-4
            let approximate = try LinearSVM.fit(x, labels: labels, classCount: classes, options: loose)
            XCTAssertTrue(approximate.converged)
            XCTAssertLessThanOrEqual(approximate.gradientMax, 1e-4)
            XCTAssertGreaterThanOrEqual(approximate.objective, model.objective * (1 - 1e-6))
            XCTAssertLessThan((approximate.objective - model.objective) / model.objective, 1e-4, "\(classes) classes")
        }
    }

    /// An integer class weight is the same problem as repeating that class's rows: binary weights [1, 3] equal
    /// tripling class 1; in one-vs-rest, class 2's weight 3 equals tripling class 2 for problem 2 only (class 2's
    /// rows are negatives of cost C in the other problems). Tight tolerance, so both reach the same optimum.
    func testClassWeightsEqualRepeatedRows() throws {
        for (classes, weighted) in [(2, 1), (4, 2)] {
            let (x, labels) = problem(classes: classes, n: 60, seed: 8)
            var weights = [Double](repeating: 1, count: classes)
            weights[weighted] = 3
            let options = LinearSVM.Options(c: 0.5, classWeight: .explicit(weights), maxIterations: 20_000, tolerance: 1e-6)
            let model = try LinearSVM.fit(x, labels: labels, classCount: classes, options: options)
            var rows = [[Float]](), repeated = [Int]()
            for i in 0..<x.rows {
                for _ in 0..<(labels[i] == weighted ? 3 : 1) { rows.append(Array(x.row(i))); repeated.append(labels[i]) }
            }
            var plain = options
            plain.classWeight = .none
            let reference = try LinearSVM.fit(DenseMatrix(rowArrays: rows), labels: repeated, classCount: classes, options: plain)
            let unweighted = try LinearSVM.fit(x, labels: labels, classCount: classes, options: plain)
            let compared = classes == 2 ? [0, 1] : [weighted]
            var change = 0.0
            for k in compared {
                XCTAssertEqual(model.intercept[k], reference.intercept[k], accuracy: 1e-4)
                for j in 0..<x.cols {
                    XCTAssertEqual(model.weights[k, j], reference.weights[k, j], accuracy: 1e-4, "class \(k), feature \(j)")
                    change = max(change, Double(abs(model.weights[k, j] - unweighted.weights[k, j])))
                }
            }
            XCTAssertGreaterThan(change, 0.01, "the weight must matter")
        }
    }

    /// The seed fixes the visiting order: same seed, identical weights; another seed, the same optimum to within
    /// the tolerance's effect. Without shrinking, the same optimum too.
    func testSeedAndShrinking() throws {
        let (x, labels) = problem(classes: 5, n: 200, d: 12, seed: 2)
        let a = try LinearSVM.fit(x, labels: labels, classCount: 5, options: .init(c: 1, seed: 1))
        let b = try LinearSVM.fit(x, labels: labels, classCount: 5, options: .init(c: 1, seed: 1))
        let c = try LinearSVM.fit(x, labels: labels, classCount: 5, options: .init(c: 1, seed: 2))
        let e = try LinearSVM.fit(x, labels: labels, classCount: 5, options: .init(c: 1, seed: 1, shrinking: false))
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertEqual(a.intercept, b.intercept)
        for other in [c, e] {
            XCTAssertTrue(other.converged)
            XCTAssertEqual(other.objective, a.objective, accuracy: 1e-4 * a.objective)
            for i in a.weights.values.indices { XCTAssertEqual(a.weights.values[i], other.weights.values[i], accuracy: 2e-3) }
        }
    }

    /// The warm-started C path (each C started from the previous C's α, solved in increasing C whatever the order
    /// given) reaches each C's optimum: same objective as a cold fit within 1e-4 relative (the stopping rule's
    /// effect), weights within 2e-3, results in the order of `cs`, and fewer passes in all than the cold fits.
    func testWarmStartedPath() throws {
        for classes in [2, 5] {
            let (x, labels) = problem(classes: classes, n: 300, d: 12, shift: 0.8, seed: 6)
            let cs = [1.0, 0.01, 0.1, 0.03, 0.3]
            let options = LinearSVM.Options(classWeight: .balanced, seed: 3)
            let path = try LinearSVM.fitPath(x, labels: labels, classCount: classes, cs: cs, options: options)
            XCTAssertEqual(path.count, cs.count)
            var warmPasses = 0, coldPasses = 0
            for (i, c) in cs.enumerated() {
                var o = options
                o.c = c
                let cold = try LinearSVM.fit(x, labels: labels, classCount: classes, options: o)
                XCTAssertTrue(path[i].converged && cold.converged)
                XCTAssertEqual(path[i].objective, cold.objective, accuracy: 1e-4 * cold.objective, "C = \(c)")
                for v in cold.weights.values.indices {
                    XCTAssertEqual(path[i].weights.values[v], cold.weights.values[v], accuracy: 2e-3, "C = \(c)")
                }
                warmPasses += path[i].iterations
                coldPasses += cold.iterations
            }
            XCTAssertLessThan(warmPasses, coldPasses, "\(classes) classes")
        }
    }

    /// Group plan: even number of groups of ≤ 16 problems, every problem once.
    func testGroups() {
        XCTAssertEqual(LinearSVM.groups(problems: 1), [[0]])
        XCTAssertEqual(LinearSVM.groups(problems: 3), [[0, 2], [1]])
        XCTAssertEqual(LinearSVM.groups(problems: 20).map(\.count), [10, 10])
        let g = LinearSVM.groups(problems: 33)
        XCTAssertEqual(g.map(\.count), [9, 8, 8, 8])
        XCTAssertEqual(g.flatMap { $0 }.sorted(), Array(0..<33))
    }

    func testBadOptions() {
        let x = DenseMatrix(rowArrays: [[0], [1]])
        XCTAssertThrowsError(try LinearSVM.fit(x, labels: [0, 1], classCount: 2, options: .init(tolerance: 0))) { e in
            XCTAssertTrue("\(e)".contains("expected both positive"), "\(e)")
        }
    }
}
