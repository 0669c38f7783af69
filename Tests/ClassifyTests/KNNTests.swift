import XCTest
import LexicellCore
@testable import LexicellClassify

final class KNNTests: XCTestCase {
    /// Naive O(n²) cosine KNN with the same tie rules, written independently of the BLAS path.
    func naivePredict(ref: DenseMatrix, labels: [Int], query: DenseMatrix, k: Int, classes: Int) -> [Int] {
        func cos(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
            var d = 0.0, na = 0.0, nb = 0.0
            for (x, y) in zip(a, b) { d += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
            return d / (na.squareRoot() * nb.squareRoot())
        }
        return (0..<query.rows).map { q in
            let sims = (0..<ref.rows).map { (i: $0, s: cos(query.row(q), ref.row($0))) }.sorted { $0.s > $1.s }
            var votes = [Int](repeating: 0, count: classes), sum = [Double](repeating: 0, count: classes)
            for n in sims.prefix(k) { votes[labels[n.i]] += 1; sum[labels[n.i]] += n.s }
            var best = 0
            for c in 1..<classes {
                if votes[c] > votes[best] { best = c } else if votes[c] == votes[best] && sum[c] > sum[best] { best = c }
            }
            return best
        }
    }

    func testAgreesWithNaiveImplementation() {
        var rng = SeededGenerator(seed: 7)
        let n = 300, m = 120, d = 16, classes = 5
        // Class centres plus noise so neighbours are informative but not trivial.
        let centres = (0..<classes).map { _ in (0..<d).map { _ in Float(rng.nextGaussian()) } }
        func sample(_ c: Int) -> [Float] { centres[c].map { $0 + Float(rng.nextGaussian()) * 1.2 } }
        let labels = (0..<n).map { $0 % classes }
        let ref = DenseMatrix(rowArrays: labels.map(sample))
        let query = DenseMatrix(rowArrays: (0..<m).map { sample($0 % classes) })
        let knn = KNNClassifier(reference: ref, labels: labels, classCount: classes)
        var small = knn
        small.blockRows = 7  // exercise the blocking
        for k in [1, 4, 10] {
            let expected = naivePredict(ref: ref, labels: labels, query: query, k: k, classes: classes)
            XCTAssertEqual(knn.predict(query, k: k).labels, expected, "k = \(k)")
            XCTAssertEqual(small.predict(query, k: k).labels, expected, "k = \(k), blocked")
        }
    }

    func testNeighboursAreSortedAndConfidenceIsVoteFraction() {
        let ref = DenseMatrix(rowArrays: [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [-1, 0]])
        let knn = KNNClassifier(reference: ref, labels: [0, 0, 1, 1, 2])
        let nb = knn.neighbors(of: DenseMatrix(rowArrays: [[1, 0.05]]), k: 3)
        XCTAssertEqual(nb.indices, [0, 1, 3])
        XCTAssertTrue(zip(nb.similarities, nb.similarities.dropFirst()).allSatisfy { $0 >= $1 })
        let p = knn.vote(nb, k: 3)
        XCTAssertEqual(p.labels, [0])
        XCTAssertEqual(p.voteFraction[0], 2.0 / 3, accuracy: 1e-12)
    }

    func testTieBrokenBySummedSimilarity() {
        // Two neighbours each: class 1's are closer, so class 1 wins the 2–2 tie.
        let ref = DenseMatrix(rowArrays: [[1, 0.5], [1, 0.45], [1, 0.05], [1, 0.02]])
        let knn = KNNClassifier(reference: ref, labels: [0, 0, 1, 1])
        XCTAssertEqual(knn.predict(DenseMatrix(rowArrays: [[1, 0]]), k: 4).labels, [1])
    }

    func testStratifiedSplitIsSeededAndStratified() {
        let labels = Array(repeating: 0, count: 50) + Array(repeating: 1, count: 10) + [2, 2]
        let a = StratifiedSplit.trainTest(labels: labels, testFraction: 0.2, seed: 3)
        let b = StratifiedSplit.trainTest(labels: labels, testFraction: 0.2, seed: 3)
        let c = StratifiedSplit.trainTest(labels: labels, testFraction: 0.2, seed: 4)
        XCTAssertEqual(a.test, b.test)
        XCTAssertNotEqual(a.test, c.test)
        XCTAssertEqual(a.test.filter { labels[$0] == 0 }.count, 10)
        XCTAssertEqual(a.test.filter { labels[$0] == 1 }.count, 2)
        XCTAssertEqual(a.test.filter { labels[$0] == 2 }.count, 1)
        XCTAssertEqual(Set(a.train).intersection(a.test).count, 0)
        XCTAssertEqual(a.train.count + a.test.count, labels.count)
        let folds = StratifiedSplit.kFold(labels: labels, folds: 5, seed: 1)
        for f in 0..<5 { XCTAssertEqual(zip(folds, labels).filter { $0 == f && $1 == 0 }.count, 10) }
    }
}
