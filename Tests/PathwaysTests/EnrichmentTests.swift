import XCTest
import LexicellCore
@testable import LexicellPathways

final class EnrichmentTests: XCTestCase {
    private let ranking: [Double] = [5, 4, 3, 2, 1, 0.5, -1, -2, -3, -4]

    private func set(_ id: String, _ genes: [Int32]) -> MatchedGeneSet {
        MatchedGeneSet(id: id, name: id, size: genes.count, genes: genes)
    }

    func testEnrichmentScoreAndLeadingEdgeHandComputed() {
        // Genes 0…9 carry the scores above. Set {0, 2}: hits add 5/8 and 3/8, each miss subtracts 1/8:
        // 0.625 → 0.5 → 0.875 (max) → … → 0. Set {8, 9}: eight misses reach −1 (min) before +3/7, +4/7.
        let r = PrerankedGSEA.run(genes: Array(0..<10), scores: ranking, sets: [set("up", [0, 2]), set("down", [8, 9])],
                                  options: .init(permutations: 200, seed: 3, minSize: 1))
        XCTAssertEqual(r.results[0].enrichmentScore, 0.875, accuracy: 1e-12)
        XCTAssertEqual(r.results[0].leadingEdge, [0, 2])
        XCTAssertEqual(r.results[1].enrichmentScore, -1, accuracy: 1e-12)
        XCTAssertEqual(r.results[1].leadingEdge, [9, 8])
        // The input order of the ranking does not matter: it is sorted by decreasing score.
        let shuffled = PrerankedGSEA.run(genes: Array((0..<10).reversed()), scores: ranking.reversed(),
                                         sets: [set("up", [0, 2])], options: .init(permutations: 200, seed: 3, minSize: 1))
        XCTAssertEqual(shuffled.results[0].enrichmentScore, 0.875, accuracy: 1e-12)
    }

    func testPermutationsAreSeededAndSizeBoundsReportSkippedSets() {
        let sets = [set("a", [0, 1, 3]), set("b", [5, 7, 9]), set("tiny", [4]), set("absent", [42])]
        let genes = Array(0..<10) as [Int32]
        let one = PrerankedGSEA.run(genes: genes, scores: ranking, sets: sets, options: .init(permutations: 300, seed: 11, minSize: 2))
        let two = PrerankedGSEA.run(genes: genes, scores: ranking, sets: sets, options: .init(permutations: 300, seed: 11, minSize: 2))
        let other = PrerankedGSEA.run(genes: genes, scores: ranking, sets: sets, options: .init(permutations: 300, seed: 12, minSize: 2))
        XCTAssertEqual(one.results, two.results)
        XCTAssertNotEqual(one.results.map(\.normalizedEnrichmentScore), other.results.map(\.normalizedEnrichmentScore))
        XCTAssertEqual(one.results.map(\.id), ["a", "b"])
        XCTAssertEqual(one.skipped.map(\.id), ["tiny", "absent"])
        XCTAssertEqual(one.skipped[1].matched, 0)
        for x in one.results {
            XCTAssertTrue((0...1).contains(x.pValue) && (0...1).contains(x.fdr))
            XCTAssertEqual(x.normalizedEnrichmentScore.sign, x.enrichmentScore.sign)
        }
    }

    func testOverRepresentationSkipsSetsOutsideTheUniverseInsteadOfScoringZero() {
        // Universe 0…9, selected {0, 1, 2, 11 (outside)}. Set "in" = {0, 1, 5}: k 2, n 3, N 3, M 10.
        let r = OverRepresentation.test(selected: [0, 1, 2, 11], universe: Array(0..<10),
                                        sets: [set("in", [0, 1, 5]), set("out", [12, 13]), set("one", [3])], minSetSize: 2)
        XCTAssertEqual(r.results.map(\.id), ["in"])
        XCTAssertEqual(r.skipped.map(\.id), ["out", "one"])
        XCTAssertEqual(r.skipped[0].reason, "no gene in the universe")
        XCTAssertEqual(r.selectedOutsideUniverse, 1)
        XCTAssertEqual(r.results[0].overlap, 2)
        XCTAssertEqual(r.results[0].overlapGenes, [0, 1])
        XCTAssertEqual(r.results[0].expected, 0.9, accuracy: 1e-15)
        // P(X ≥ 2) = [C(3,2)·C(7,1) + C(3,3)] / C(10,3) = 22/120; BH over one set leaves it unchanged.
        XCTAssertEqual(r.results[0].pValue, 22.0 / 120, accuracy: 1e-13)  // lgamma start term: a few ulps
        XCTAssertEqual(r.results[0].fdr, r.results[0].pValue)
    }

    func testCellScoresHandComputed() {
        // 20 genes, top 10 % → R = 2, so only rank 1 counts, with weight R − 1 = 1: score 1 / (R·k).
        var row = [Float](repeating: 0, count: 20)
        row[0] = 5; row[1] = 3; row[2] = 3
        let m = SparseMatrix(dense: DenseMatrix(rowArrays: [row, [Float](repeating: 0, count: 20)]))
        let s = PathwayCellScores.auc(m, sets: [set("top", [0]), set("second", [1]), set("pair", [0, 7]), set("zero", [5])],
                                      topFraction: 0.1)
        XCTAssertEqual(s.rows, 2)
        XCTAssertEqual(s[0, 0], 0.5)
        XCTAssertEqual(s[0, 1], 0)
        XCTAssertEqual(s[0, 2], 0.25)
        XCTAssertEqual(s[0, 3], 0)
        XCTAssertEqual(Array(s.row(1)), [0, 0, 0, 0])  // an empty cell recovers nothing
    }

    func testLogNormalisationPerTenThousand() {
        let m = SparseMatrix(dense: DenseMatrix(rowArrays: [[1, 3, 0], [0, 0, 0]]))
        let n = LogNormalization.log1pPerTarget(m)
        XCTAssertEqual(n.toDense()[0, 0], log1p(2500), accuracy: 1e-3)
        XCTAssertEqual(n.toDense()[0, 1], log1p(7500), accuracy: 1e-3)
        XCTAssertEqual(n.toDense().row(1).reduce(0, +), 0)
    }
}
