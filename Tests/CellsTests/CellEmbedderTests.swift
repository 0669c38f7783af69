import XCTest
import LexicellCore
import LexicellGenes
@testable import LexicellCells

final class CellEmbedderTests: XCTestCase {
    // 2 cells × 5 genes; gene "E" has no vector.
    let expression = ExpressionMatrix(
        values: SparseMatrix(dense: DenseMatrix(rowArrays: [[5, 1, 3, 0, 9], [0, 2, 2, 7, 0]])),
        genes: ["A", "B", "C", "D", "E"], cells: ["c1", "c2"])

    func table() throws -> GeneEmbeddingTable {
        try GeneEmbeddingTable(
            symbols: ["A", "B", "C", "D"],
            vectors: DenseMatrix(rowArrays: [[1, 0], [0, 1], [1, 1], [2, 0]]), modelIdentity: "hand")
    }

    func testTopGenesMeanAndWeighted() throws {
        let t = try table()
        let rows = CellEmbedder.alignGenes(expression.genes, to: t)
        XCTAssertEqual(rows, [0, 1, 2, 3, nil])
        // Cell 1, N = 2 among genes with vectors: A (5), C (3) → mean ([1,0] + [1,1]) / 2 = [1, 0.5].
        // Cell 2: D (7), then B and C tie at 2 → lower index B wins → mean ([2,0] + [0,1]) / 2 = [1, 0.5].
        let mean = CellEmbedder(topN: 2, weighting: .mean).embed(expression, table: t, geneRows: rows)
        XCTAssertEqual(mean.values, [1, 0.5, 1, 0.5])
        // Weighted cell 1: (5·[1,0] + 3·[1,1]) / 8 = [1, 0.375]; cell 2: (7·[2,0] + 2·[0,1]) / 9 = [14/9, 2/9].
        let w = CellEmbedder(topN: 2, weighting: .weighted).embed(expression, table: t, geneRows: rows)
        XCTAssertEqual(w.values[0], 1, accuracy: 1e-6)
        XCTAssertEqual(w.values[1], 0.375, accuracy: 1e-6)
        XCTAssertEqual(w.values[2], 14.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(w.values[3], 2.0 / 9, accuracy: 1e-6)
        // GenePT-w, all genes: cell 1 (5·A + 1·B + 3·C) / 9 = [8/9, 4/9].
        let g = CellEmbedder(topN: 1, weighting: .genePTw).embed(expression, table: t, geneRows: rows)
        XCTAssertEqual(g.values[0], 8.0 / 9, accuracy: 1e-6)
        XCTAssertEqual(g.values[1], 4.0 / 9, accuracy: 1e-6)
    }

    func testHousekeepingViewExcludesGenes() throws {
        let t = try table()
        let rows = CellEmbedder.alignGenes(expression.genes, to: t)
        // Excluding A: cell 1's top 2 become C (3), B (1) → ([1,1] + [0,1]) / 2.
        let v2 = CellEmbedder(topN: 2).embed(expression, table: t, geneRows: rows, exclude: [0])
        XCTAssertEqual(Array(v2.row(0)), [0.5, 1])
    }

    func testCoverageCountsTopGenesWithoutVectors() throws {
        let t = try table()
        let rows = CellEmbedder.alignGenes(expression.genes, to: t)
        // Top 2 over all genes: cell 1 = E (no vector), A → 1/2; cell 2 = D, B → 2/2.
        let c = GeneCoverage.compute(expression, geneRows: rows, topN: 2, labels: ["x", "y"], excluded: [0])
        XCTAssertEqual(c.meanFraction, 0.75, accuracy: 1e-12)
        XCTAssertEqual(c.perClass["x"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(c.meanExcludedFraction, 0.25, accuracy: 1e-12)
    }

    func testTopGeneSelectorAgreesWithSorting() {
        var rng = SeededGenerator(seed: 3)
        let n = 500
        let values = (0..<n).map { _ in Float(Int(rng.nextUniform() * 50)) }
        let indices = (0..<n).map(Int32.init)
        let allowed = (0..<n).map { $0 % 7 != 0 }
        var sel = TopGeneSelector(capacity: 20)
        sel.select(indices: indices, values: values, range: 0..<n, allowed: allowed, n: 20)
        let expected = (0..<n).filter { allowed[$0] && values[$0] > 0 }
            .sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(20)
        XCTAssertEqual(sel.selected.map(\.gene), Array(expected))
    }
}
