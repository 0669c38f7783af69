import XCTest
import LexicellCore
@testable import LexicellClassify

/// A warm-started L-BFGS (the regularisation path of large selections) reaches the same optimum as a fit from
/// zero, in fewer iterations, on the Romanov fixture of `HeadsLinearTests`.
final class LogisticWarmStartTests: XCTestCase {
    func testWarmStartReachesTheSameOptimumFaster() throws {
        let r = try HeadsFixture.romanov()
        let x = r.x.selectingRows(r.train), y = r.train.map { r.labels[$0] }
        let options = { (c: Double) in LogisticRegression.Options(c: c, maxIterations: 500, tolerance: 1e-5) }
        let previous = try LogisticRegression.fit(x, labels: y, classCount: r.classCount, options: options(0.1))
        let cold = try LogisticRegression.fit(x, labels: y, classCount: r.classCount, options: options(0.3))
        let warm = try LogisticRegression.fit(x, labels: y, classCount: r.classCount, options: options(0.3), start: previous)
        XCTAssertTrue(cold.converged && warm.converged)
        XCTAssertLessThan(warm.iterations, cold.iterations)
        // Strictly convex objective: the same value within the stopping tolerance (measured: 2e-6 relative) and
        // the same predictions on the test cells.
        XCTAssertEqual(warm.objective, cold.objective, accuracy: 1e-5 * abs(cold.objective))
        let xt = r.x.selectingRows(r.test)
        let agree = zip(warm.predict(xt), cold.predict(xt)).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(r.test.count), 0.99)
        // A start of the wrong shape is ignored (starts from zero): identical to the cold fit.
        let other = try LogisticRegression.fit(
            DenseMatrix(rows: x.rows, cols: 5, values: (0..<x.rows).flatMap { row in (0..<5).map { x[row, $0] } }), labels: y, classCount: r.classCount,
            options: options(0.3))
        let ignored = try LogisticRegression.fit(x, labels: y, classCount: r.classCount, options: options(0.3), start: other)
        XCTAssertEqual(ignored.weights, cold.weights)
    }
}
