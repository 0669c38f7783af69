import XCTest
@testable import Lexicell

final class GeneReadingTests: XCTestCase {
    /// 4 cells × 4 genes, two classes, top 2 genes per cell, hand-checkable.
    func testLogOddsAndCentroidSharesByHand() throws {
        let x = DenseMatrix(rowArrays: [[9, 5, 0, 1], [8, 0, 6, 1], [0, 2, 7, 9], [1, 0, 8, 9]])
        let expression = ExpressionMatrix(values: SparseMatrix(dense: x), genes: ["A", "B", "C", "D"], cells: ["1", "2", "3", "4"])
        let table = try GeneEmbeddingTable(
            symbols: ["A", "B", "C", "D"],
            vectors: DenseMatrix(rowArrays: [[1, 0], [0, 1], [1, 1], [-1, 0]]), modelIdentity: "hand")
        let knowledge = GeneKnowledge(
            species: .mouse, texts: GeneTexts(symbols: ["A"], texts: ["Gene A does this. And more."]),
            resolver: GeneSymbolResolver(), housekeeping: nil)
        let r = GeneReading.compute(
            expression: expression, labels: [0, 0, 1, 1], classNames: ["x", "y"], table: table,
            knowledge: knowledge, topN: 2, top: 10)
        // Class x: top genes cell 1 = {A, B}, cell 2 = {A, C}. A: a = 2 of 2 in class, b = 0 of 2 others
        // → log(2.5/0.5) − log(0.5/2.5) = 2·log 5.
        let a = r[0].genes.first { $0.symbol == "A" }!
        XCTAssertEqual(a.logOdds, 2 * log(5.0), accuracy: 1e-12)
        XCTAssertEqual(a.inClass, 1)
        XCTAssertEqual(a.firstSentence, "Gene A does this.")
        XCTAssertEqual(r[0].genes.first?.symbol, "A")
        // Centroid of x = ½(½(A + B)) + ½(½(A + C)) = ½A + ¼B + ¼C = (0.75, 0.5); shares sum to 1.
        let total = r[0].genes.map(\.centroidShare).reduce(0, +)
        XCTAssertEqual(total, 1, accuracy: 1e-12)
        // A's share: w = ½, e·ẑ/‖z‖ = 0.75 / (0.75² + 0.5²) → ½ · 0.75 / 0.8125.
        XCTAssertEqual(a.centroidShare, 0.5 * 0.75 / 0.8125, accuracy: 1e-12)
        // Class y: top genes {D, C} for both cells.
        XCTAssertEqual(Set(r[1].genes.prefix(2).map(\.symbol)), ["C", "D"])
    }
}
