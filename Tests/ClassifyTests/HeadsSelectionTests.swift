import XCTest
import LexicellCore
@testable import LexicellClassify
import LexicellBench

final class HeadsSelectionTests: XCTestCase {
    /// Clusters 7 (5 cells: 1,1,2,1,0 → 1 with 3/5) and 3 (3 cells: 2,0,2 → 2 with 2/3) and 5 (2 cells: 0,2 →
    /// tie → 0). With minimumFraction 0.65 clusters 7 (0.6) and 5 (0.5) become unassigned.
    func testMajorityVotingByHand() throws {
        let predictions = [1, 1, 2, 1, 0, 2, 0, 2, 0, 2]
        let clusters = [7, 7, 7, 7, 7, 3, 3, 3, 5, 5]
        let r = try OverClusterVoting.smooth(predictions: predictions, clusters: clusters)
        XCTAssertEqual(r.raw, predictions)
        XCTAssertEqual(r.smoothed, [1, 1, 1, 1, 1, 2, 2, 2, 0, 0])
        XCTAssertEqual(r.clusters, [3, 5, 7])
        XCTAssertEqual(r.majority, [2, 0, 1])
        XCTAssertEqual(r.fraction[2], 0.6, accuracy: 1e-12)
        let strict = try OverClusterVoting.smooth(predictions: predictions, clusters: clusters, minimumFraction: 0.65)
        XCTAssertEqual(strict.smoothed, [-1, -1, -1, -1, -1, 2, 2, 2, -1, -1])
        XCTAssertThrowsError(try OverClusterVoting.smooth(predictions: [1], clusters: []))
    }

    /// Feature c carries class c (c < 4); the top positive feature of each class is its own.
    func testTopFeaturesFindInformativeGenes() throws {
        var rng = SeededGenerator(seed: 11)
        let labels = (0..<400).map { $0 % 4 }
        let x = DenseMatrix(rowArrays: labels.map { l in (0..<12).map { j in Float(rng.nextGaussian()) + (j == l ? 2 : 0) } })
        let lr = try LogisticRegression.fit(x, labels: labels, classCount: 4)
        let svm = try LinearSVM.fit(x, labels: labels, classCount: 4, options: .init(c: 0.1))
        for head in [lr as LinearHead, svm as LinearHead] {
            let top = head.topFeatures(count: 3)
            XCTAssertEqual(top.map { $0[0].feature }, [0, 1, 2, 3])
            XCTAssertTrue(top.allSatisfy { $0[0].weight >= $0[1].weight && $0[1].weight >= $0[2].weight })
            XCTAssertEqual(top[2][0].weight, head.weights[2, 2])
        }
        XCTAssertTrue(lr.converged)
        let probabilities = lr.probabilities(x)
        XCTAssertEqual(HeadsRows.argmax(probabilities), lr.predict(x))
    }

    /// Binary heads: scikit-learn's binomial conventions (probability = sigmoid of the class-1 margin).
    func testBinaryHeads() throws {
        var rng = SeededGenerator(seed: 5)
        let labels = (0..<200).map { $0 % 2 }
        let x = DenseMatrix(rowArrays: labels.map { l in (0..<3).map { j in Float(rng.nextGaussian()) + (j == 0 ? Float(l) * 2 : 0) } })
        let lr = try LogisticRegression.fit(x, labels: labels, classCount: 2)
        let z = lr.decision(x), p = lr.probabilities(x)
        for r in 0..<5 {
            let margin = Double(z[r, 1] - z[r, 0])
            XCTAssertEqual(Double(p[r, 1]), 1 / (1 + exp(-margin)), accuracy: 1e-6)
        }
        let svm = try LinearSVM.fit(x, labels: labels, classCount: 2)
        XCTAssertEqual(svm.weights[0, 0], -svm.weights[1, 0])
        let accuracy = Double(zip(svm.predict(x), labels).filter { $0 == $1 }.count) / 200
        XCTAssertGreaterThan(accuracy, 0.8)
    }

    /// Cross-validation mechanics: each cell is validated once per C by a model that never saw it. The scorer
    /// is a nearest-centroid rule for C = 1 and "always class 0" for C = 0.5, so the latter scores exactly 1/3
    /// (balanced classes) and the former wins; equal scores go to the smaller C.
    func testChooseCOnSyntheticData() throws {
        var rng = SeededGenerator(seed: 3)
        let labels = (0..<150).map { $0 % 3 }
        let x = DenseMatrix(rowArrays: labels.map { l in (0..<5).map { j in Float(rng.nextGaussian()) + (j == l ? 3 : 0) } })
        var seen = 0
        func centroidRule(_ xt: DenseMatrix, _ yt: [Int], _ xv: DenseMatrix) -> [Int] {
            var centre = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 3), n = [Double](repeating: 0, count: 3)
            for r in 0..<xt.rows { n[yt[r]] += 1; for j in 0..<5 { centre[yt[r]][j] += Double(xt[r, j]) } }
            return (0..<xv.rows).map { r in
                (0..<3).min { a, b in
                    let da = (0..<5).map { pow(Double(xv[r, $0]) - centre[a][$0] / n[a], 2) }.reduce(0, +)
                    let db = (0..<5).map { pow(Double(xv[r, $0]) - centre[b][$0] / n[b], 2) }.reduce(0, +)
                    return da < db
                }!
            }
        }
        let (c, scores) = try HeadSelection.chooseC(x, labels: labels, grid: [0.5, 1], folds: 5, seed: 9) { xt, yt, c, xv in
            seen += xv.rows
            XCTAssertEqual(xt.rows + xv.rows, 150)
            return c == 1 ? centroidRule(xt, yt, xv) : [Int](repeating: 0, count: xv.rows)
        }
        XCTAssertEqual(seen, 300)
        XCTAssertEqual(c, 1)
        XCTAssertEqual(scores[0], 1.0 / 3, accuracy: 1e-12)
        XCTAssertGreaterThan(scores[1], 0.9)
        let tie = try HeadSelection.chooseC(x, labels: labels, grid: [3, 2], folds: 5, seed: 9) { _, _, _, xv in
            [Int](repeating: 1, count: xv.rows)
        }
        XCTAssertEqual(tie.c, 2)
        XCTAssertEqual(HeadSelection.defaultGrid.count, 9)
        XCTAssertEqual(HeadSelection.defaultGrid.first!, 0.01, accuracy: 1e-15)
        XCTAssertEqual(HeadSelection.defaultGrid.last!, 100, accuracy: 1e-12)
    }

    /// Balanced weights as scikit-learn: n / (classes present · count).
    func testBalancedClassWeights() {
        let w = ClassWeighting.balanced.classWeights(labels: [0, 0, 0, 1, 2, 2], classCount: 4)
        XCTAssertEqual(w, [6.0 / 9, 2, 1, 0])
    }

    func testStandardizer() {
        let x = DenseMatrix(rowArrays: [[1, 5], [3, 5]])
        let s = FeatureStandardizer(fitting: x)
        XCTAssertEqual(s.apply(x).values, [-1, 0, 1, 0])
    }
}

final class HeadsBenchmarkTests: XCTestCase {
    /// The benchmark entry point on a small problem: both heads fit, converge and beat chance (1/4) clearly.
    func testBenchmarkRunsOnSmallData() throws {
        let results = try HeadsBenchmark.run(rows: 400, cols: 30, classes: 4, seed: 1)
        XCTAssertEqual(results.map(\.model), ["LogisticRegression", "LinearSVM"])
        for r in results {
            // liblinear's dual rule (projected-gradient spread ≤ 1e-4 on all rows) can stall just above the
            // threshold with Float32 weights on overlapping classes (scikit-learn's LinearSVC warns alike at
            // max_iter); the SVM's optimality is checked in HeadsSVMTests. Here: converged or within 10× tol.
            XCTAssertTrue(r.converged || (r.model == "LinearSVM" && r.gradientMax <= 1e-3), "\(r)")
            XCTAssertGreaterThan(r.testAccuracy, 0.5, "\(r)")
            XCTAssertGreaterThan(r.seconds, 0)
        }
    }
}
