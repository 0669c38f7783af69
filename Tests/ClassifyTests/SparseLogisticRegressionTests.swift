import Foundation
import XCTest
import LexicellCore
@testable import LexicellClassify

/// The fixture written by scripts/sparse_lr_compare_sklearn.py (scanpy features + scikit-learn fits).
struct SparseLRFixture: Decodable {
    struct CSR: Decodable {
        var rows: Int, cols: Int, indptr: [Int], indices: [Int32], values: [Double]
        var matrix: SparseMatrix {
            SparseMatrix(rows: rows, cols: cols, indptr: indptr, indices: indices, values: values.map { Float($0) })
        }
    }
    struct Fit: Decodable {
        var c: Double
        var coef: [[Double]]
        var intercept: [Double]
        var test_probabilities: [[Double]]
        var train_rows: [Int]
        var test_rows: [Int]
    }
    var counts: CSR
    var labels: [Int]
    var is_train: [Bool]
    var kept_genes: [Int]
    var train_features: CSR
    var test_features: CSR
    var multinomial: Fit
    var binary: Fit

    static func load() throws -> SparseLRFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/sparse_lr_sklearn.json")
        return try JSONDecoder().decode(SparseLRFixture.self, from: Data(contentsOf: url))
    }
}

final class SparseLogisticRegressionTests: XCTestCase {
    /// Agreement with scikit-learn's optimum. Tolerances: probabilities within 2e-4 (absolute), coefficients within
    /// 2e-3 × the largest |coef| (both fits stop at a small gradient, not at the exact optimum; our features are Float32).
    func check(_ fit: SparseLRFixture.Fit, _ f: SparseLRFixture, classes: Int) throws {
        let xTrain = f.train_features.matrix.selectingRows(fit.train_rows)
        let xTest = f.test_features.matrix.selectingRows(fit.test_rows)
        let y = fit.train_rows.map { f.labels[f.is_train.indices.filter { f.is_train[$0] }[$0]] }
        let model = try SparseLogisticRegression.fit(
            xTrain, labels: y, classCount: classes,
            options: .init(c: fit.c, maxIterations: 5000, tolerance: 1e-9))
        XCTAssertTrue(model.converged)
        let p = model.probabilities(xTest)
        var worst = 0.0
        for r in 0..<p.rows { for c in 0..<classes { worst = max(worst, abs(Double(p[r, c]) - fit.test_probabilities[r][c])) } }
        XCTAssertLessThan(worst, 2e-4, "test probabilities vs scikit-learn")
        // scikit-learn's coef_: one row per class (binomial: one row = our row 1 − row 0).
        let scale = fit.coef.flatMap { $0 }.map(abs).max()!
        var coefError = 0.0
        for j in 0..<xTrain.cols {
            if classes == 2 {
                coefError = max(coefError, abs(Double(model.weights[1, j] - model.weights[0, j]) - fit.coef[0][j]))
            } else {
                for c in 0..<classes { coefError = max(coefError, abs(Double(model.weights[c, j]) - fit.coef[c][j])) }
            }
        }
        XCTAssertLessThan(coefError, 2e-3 * scale, "coefficients vs scikit-learn")
    }

    func testMultinomialMatchesScikitLearn() throws {
        let f = try SparseLRFixture.load()
        try check(f.multinomial, f, classes: 4)
    }

    func testBinomialMatchesScikitLearn() throws {
        let f = try SparseLRFixture.load()
        try check(f.binary, f, classes: 2)
    }

    /// The sparse head minimises the same objective as the dense `LogisticRegression` on the same matrix.
    func testSameSolutionAsDenseHead() throws {
        let f = try SparseLRFixture.load()
        let x = f.train_features.matrix
        let y = f.is_train.indices.filter { f.is_train[$0] }.map { f.labels[$0] }
        let options = LogisticRegression.Options(c: 0.3, maxIterations: 5000, tolerance: 1e-8)
        let sparse = try SparseLogisticRegression.fit(x, labels: y, classCount: 4, options: options)
        let dense = try LogisticRegression.fit(x.toDense(), labels: y, classCount: 4, options: options)
        XCTAssertEqual(sparse.objective, dense.objective, accuracy: 1e-5 * max(1, abs(dense.objective)))
        let ps = sparse.probabilities(f.test_features.matrix), pd = dense.probabilities(f.test_features.matrix.toDense())
        for i in ps.values.indices { XCTAssertEqual(ps.values[i], pd.values[i], accuracy: 1e-3) }
    }

    /// Analytic gradient against central finite differences of the objective (binomial and multinomial).
    func testGradientMatchesFiniteDifferences() throws {
        let f = try SparseLRFixture.load()
        let x = f.train_features.matrix
        let y = f.is_train.indices.filter { f.is_train[$0] }.map { f.labels[$0] }
        for classes in [2, 4] {
            let rows = y.indices.filter { y[$0] < classes }
            let problem = SparseLogisticRegression.Problem(
                x: x.selectingRows(rows), labels: rows.map { y[$0] }, classCount: classes,
                options: .init(c: 0.7, classWeight: .balanced))
            var rng = SeededGenerator(seed: 3)
            let theta = (0..<problem.parameterCount).map { _ in (rng.nextUniform() - 0.5) * 0.1 }
            var g = [Double](repeating: 0, count: theta.count), scratch = g
            _ = problem.objective(theta, gradient: &g)
            for i in stride(from: 0, to: theta.count, by: max(1, theta.count / 40)) {
                var a = theta, b = theta
                a[i] += 1e-5; b[i] -= 1e-5
                let numeric = (problem.objective(a, gradient: &scratch) - problem.objective(b, gradient: &scratch)) / 2e-5
                XCTAssertEqual(g[i], numeric, accuracy: 1e-6 + 1e-4 * abs(numeric), "parameter \(i), \(classes) classes")
            }
        }
    }

    func testWarmStartReachesTheSameOptimum() throws {
        let f = try SparseLRFixture.load()
        let x = f.train_features.matrix
        let y = f.is_train.indices.filter { f.is_train[$0] }.map { f.labels[$0] }
        let options = LogisticRegression.Options(c: 1, maxIterations: 5000, tolerance: 1e-8)
        let previous = try SparseLogisticRegression.fit(x, labels: y, classCount: 4, options: .init(c: 0.1, maxIterations: 5000, tolerance: 1e-8))
        let warm = try SparseLogisticRegression.fit(x, labels: y, classCount: 4, options: options, start: previous.solution)
        let cold = try SparseLogisticRegression.fit(x, labels: y, classCount: 4, options: options)
        XCTAssertEqual(warm.objective, cold.objective, accuracy: 1e-6 * max(1, abs(cold.objective)))
    }

    func testRejectsBadInput() {
        let x = SparseMatrix(rows: 2, cols: 2, indptr: [0, 1, 2], indices: [0, 1], values: [1, 1])
        XCTAssertThrowsError(try SparseLogisticRegression.fit(x, labels: [0], classCount: 2))
        XCTAssertThrowsError(try SparseLogisticRegression.fit(x, labels: [0, 2], classCount: 2))
        XCTAssertThrowsError(try SparseLogisticRegression.fit(x, labels: [0, 1], classCount: 2, options: .init(c: 0)))
    }
}
