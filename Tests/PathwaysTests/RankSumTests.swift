import XCTest
import LexicellCore
@testable import LexicellPathways

final class RankSumTests: XCTestCase {
    /// Brute force: dense average ranks over the compared cells (as scipy.stats.rankdata), then the z-score.
    private func bruteForce(_ dense: DenseMatrix, inGroup: [Bool], inReference: [Bool], gene j: Int, tieCorrect: Bool) -> Double {
        var values = [(Float, Bool)]()
        for c in 0..<dense.rows where inGroup[c] || inReference[c] { values.append((dense[c, j], inGroup[c])) }
        let order = values.indices.sorted { values[$0].0 < values[$1].0 }
        var ranks = [Double](repeating: 0, count: values.count)
        var ties = 0.0, i = 0
        while i < order.count {
            var e = i
            while e + 1 < order.count && values[order[e + 1]].0 == values[order[i]].0 { e += 1 }
            for q in i...e { ranks[order[q]] = Double(i + e) / 2 + 1 }
            let t = Double(e - i + 1); ties += t * t * t - t
            i = e + 1
        }
        let n = Double(values.filter { $0.1 }.count), N = Double(values.count), m = N - n
        let r = zip(values, ranks).filter { $0.0.1 }.map { $0.1 }.reduce(0, +)
        let t = tieCorrect ? 1 - ties / (N * N * N - N) : 1
        let z = (r - n * (N + 1) / 2) / (t * n * m * (N + 1) / 12).squareRoot()
        return z.isFinite ? z : 0
    }

    func testHandComputedTiesAndZerosBlock() throws {
        // One gene over 5 cells: 0, 0, 1, 2, 2; group = the last two cells.
        // Ranks 1.5, 1.5, 3, 4.5, 4.5 → R = 9, E[R] = 2·6/2 = 6, var = 2·3·6/12 = 3 → z = 3/√3.
        // Tie term Σ(t³−t) = 6 + 6 = 12 over N³−N = 120 → T = 0.9 → z = 3/√2.7.
        let m = SparseMatrix(dense: DenseMatrix(rowArrays: [[0], [0], [1], [2], [2]]))
        let labels: [String?] = ["r", "r", "r", "g", "g"]
        let plain = try RankSumMarkers.oneVsRest(m, labels: labels, groups: ["g"])[0]
        let corrected = try RankSumMarkers.oneVsRest(m, labels: labels, groups: ["g"], tieCorrect: true)[0]
        // Exact arithmetic up to double rounding of a handful of operations.
        XCTAssertEqual(plain.scores[0], 3 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(corrected.scores[0], 3 / 2.7.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(plain.pValues[0], erfc(3 / 3.0.squareRoot() / 2.0.squareRoot()), accuracy: 1e-15)
        XCTAssertEqual(plain.fractionInGroup[0], 1)
        XCTAssertEqual(plain.fractionInReference[0], 1.0 / 3)
        XCTAssertEqual(plain.meanInGroup[0], 2)
        XCTAssertEqual(plain.meanInReference[0], 1.0 / 3, accuracy: 1e-15)
        // scanpy's fold change: log2((expm1(2) + 1e-9) / (expm1(1/3) + 1e-9)).
        XCTAssertEqual(plain.logFoldChanges[0], log2((expm1(2.0) + 1e-9) / (expm1(1.0 / 3) + 1e-9)), accuracy: 1e-12)
    }

    func testAllZeroGeneScoresZeroWithPOneInBothTieModes() throws {
        // Gene 1 is zero everywhere: plain z = 0 exactly; tie-corrected is 0/0, reported as 0 like scanpy.
        let m = SparseMatrix(dense: DenseMatrix(rowArrays: [[1, 0], [0, 0], [3, 0], [2, 0]]))
        for tc in [false, true] {
            let t = try RankSumMarkers.oneVsRest(m, labels: ["a", "b", "a", "b"], tieCorrect: tc)[0]
            XCTAssertEqual(t.scores[1], 0)
            XCTAssertEqual(t.pValues[1], 1)
            XCTAssertEqual(t.logFoldChanges[1], 0)  // log2(1e-9 / 1e-9)
            XCTAssertEqual(t.fractionInGroup[1], 0)
        }
    }

    func testOneCellGroupAndUnlabelledCells() throws {
        // The single "x" cell has the top value: R = N = 4 (the unlabelled cell is left out of the ranking).
        let m = SparseMatrix(dense: DenseMatrix(rowArrays: [[5], [1], [2], [0], [9]]))
        let t = try RankSumMarkers.oneVsRest(m, labels: ["x", "y", "y", "y", nil], groups: ["x"])[0]
        XCTAssertEqual(t.groupSize, 1)
        XCTAssertEqual(t.referenceSize, 3)
        // z = (4 − 1·5/2) / √(1·3·5/12)
        XCTAssertEqual(t.scores[0], 1.5 / (15.0 / 12).squareRoot(), accuracy: 1e-12)
        XCTAssertThrowsError(try RankSumMarkers.oneVsRest(m, labels: ["x", "y", "y", "y", nil], groups: ["z"]))
    }

    func testSparseClosedFormEqualsDenseRanksOnRandomTiedData() throws {
        // Values from {−1, 0, 0, 0, 0.5, 1, 1, 2}: many ties, a zero block and negative values below it.
        var rng = SeededGenerator(seed: 7)
        let pool: [Float] = [-1, 0, 0, 0, 0.5, 1, 1, 2]
        let rows = 60, cols = 25
        var dense = DenseMatrix(rows: rows, cols: cols)
        for i in 0..<dense.values.count { dense.values[i] = pool[Int(rng.next() % UInt64(pool.count))] }
        let names = ["a", "b", "c"]
        var labels = [String?]()
        for r in 0..<rows {
            let k: Int = (r * 5 + r / 3) % 3
            labels.append(r % 7 == 6 ? nil : names[k])
        }
        let sparse = SparseMatrix(dense: dense)
        for tc in [false, true] {
            let tables = try RankSumMarkers.oneVsRest(sparse, labels: labels, tieCorrect: tc)
            for t in tables {
                let inG = labels.map { $0 == t.group }, inR = labels.map { $0 != nil && $0 != t.group }
                for j in 0..<cols {
                    // Rank sums are exact half-integers; only the final division rounds.
                    XCTAssertEqual(t.scores[j], bruteForce(dense, inGroup: inG, inReference: inR, gene: j, tieCorrect: tc), accuracy: 1e-10)
                }
            }
            let ab = try RankSumMarkers.compare(sparse, labels: labels, group: "a", reference: "b", tieCorrect: tc)
            let inA = labels.map { $0 == "a" }, inB = labels.map { $0 == "b" }
            for j in 0..<cols {
                XCTAssertEqual(ab.scores[j], bruteForce(dense, inGroup: inA, inReference: inB, gene: j, tieCorrect: tc), accuracy: 1e-10)
            }
            XCTAssertEqual(ab.referenceSize, inB.filter { $0 }.count)
        }
    }

    func testBenjaminiHochbergHandComputed() {
        // Sorted 0.01, 0.03, 0.04, 0.2 → ·4/rank = 0.04, 0.06, 0.0533…, 0.2 → running minimum from the top.
        let adj = MultipleTesting.benjaminiHochberg([0.01, 0.04, 0.03, 0.2, .nan])
        let expected = [0.05, 0.2 / 3, 0.2 / 3, 0.25, 1]
        for (a, e) in zip(adj, expected) { XCTAssertEqual(a, e, accuracy: 1e-15) }
        XCTAssertEqual(MultipleTesting.benjaminiHochberg([]), [])
    }
}
