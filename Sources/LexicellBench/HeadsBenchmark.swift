import Foundation
import Lexicell

/// Speed of the linear heads on seeded synthetic data of atlas size (default 30,000 cells × 2,000 features,
/// 20 classes). Counterpart: scripts/heads_bench.py (same recipe, numpy's own draws).
/// Recipe: class centres N(0, centreScale²) on the first `signalDims` features (0 elsewhere); a cell is its class centre
/// plus N(0, 1) noise on every feature; labels dealt round-robin. A test set of `rows / 5` cells is drawn alike.
public enum HeadsBenchmark {
    public struct Result: Codable, Sendable, CustomStringConvertible {
        public var model: String
        public var rows: Int
        public var cols: Int
        public var classes: Int
        public var c: Double
        public var seconds: Double
        public var iterations: Int
        public var converged: Bool
        public var objective: Double
        /// LinearSVM: final max − min projected dual gradient (the stopping quantity); LogisticRegression: max |gradient|.
        public var gradientMax: Double
        public var trainAccuracy: Double
        public var testAccuracy: Double

        public var description: String {
            String(
                format: "%@ %d×%d, %d classes, C=%g: %.2f s, %d iterations%@, objective %.6g, gradient %.3g, train %.4f, test %.4f",
                model, rows, cols, classes, c, seconds, iterations, converged ? "" : " (not converged)", objective, gradientMax,
                trainAccuracy, testAccuracy)
        }
    }

    public static func syntheticData(
        rows: Int, cols: Int, classes: Int, signalDims: Int = 100, centreScale: Float = 0.3,
        seed: UInt64
    ) -> (train: DenseMatrix, trainLabels: [Int], test: DenseMatrix, testLabels: [Int]) {
        var g = SeededGenerator(seed: seed)
        let signal = min(signalDims, cols)
        var centres = [Float](repeating: 0, count: classes * cols)
        for k in 0..<classes { for j in 0..<signal { centres[k * cols + j] = centreScale * Float(g.nextGaussian()) } }
        func draw(_ n: Int) -> (DenseMatrix, [Int]) {
            let labels = (0..<n).map { $0 % classes }
            var v = [Float](repeating: 0, count: n * cols)
            for r in 0..<n { for j in 0..<cols { v[r * cols + j] = centres[labels[r] * cols + j] + Float(g.nextGaussian()) } }
            return (DenseMatrix(rows: n, cols: cols, values: v), labels)
        }
        let (x, y) = draw(rows)
        let (xt, yt) = draw(max(rows / 5, 1))
        return (x, y, xt, yt)
    }

    /// Fits LogisticRegression and LinearSVM (C = `c`, gradient tolerance `tolerance`, as scikit-learn's `tol`
    /// default 1e-4) and times each fit alone (data generation excluded).
    public static func run(
        rows: Int = 30_000, cols: Int = 2_000, classes: Int = 20, c: Double = 1, tolerance: Double = 1e-4,
        seed: UInt64 = 0
    ) throws -> [Result] {
        let data = syntheticData(rows: rows, cols: cols, classes: classes, seed: seed)
        func accuracy(_ p: [Int], _ y: [Int]) -> Double { Double(zip(p, y).filter { $0 == $1 }.count) / Double(max(y.count, 1)) }
        var results = [Result]()
        var t0 = Date()
        let lr = try LogisticRegression.fit(
            data.train, labels: data.trainLabels, classCount: classes,
            options: .init(c: c, maxIterations: 1000, tolerance: tolerance))
        var seconds = Date().timeIntervalSince(t0)
        results.append(
            Result(
                model: "LogisticRegression", rows: rows, cols: cols, classes: classes, c: c, seconds: seconds,
                iterations: lr.iterations, converged: lr.converged, objective: lr.objective, gradientMax: lr.gradientMax,
                trainAccuracy: accuracy(lr.predict(data.train), data.trainLabels),
                testAccuracy: accuracy(lr.predict(data.test), data.testLabels)))
        t0 = Date()
        let svm = try LinearSVM.fit(
            data.train, labels: data.trainLabels, classCount: classes,
            options: .init(c: c, maxIterations: 1000, tolerance: tolerance))
        seconds = Date().timeIntervalSince(t0)
        results.append(
            Result(
                model: "LinearSVM", rows: rows, cols: cols, classes: classes, c: c, seconds: seconds,
                iterations: svm.iterations, converged: svm.converged, objective: svm.objective, gradientMax: svm.gradientMax,
                trainAccuracy: accuracy(svm.predict(data.train), data.trainLabels),
                testAccuracy: accuracy(svm.predict(data.test), data.testLabels)))
        return results
    }
}
