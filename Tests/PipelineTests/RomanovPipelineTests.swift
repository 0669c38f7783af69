import XCTest
@testable import Lexicell

let repoData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("data").path

/// The whole protocol on the real Romanov data, with the random gene-vector control.
final class RomanovPipelineTests: XCTestCase {
    static var cached: (LabelledDataset, GeneKnowledge)?

    func romanov() throws -> (LabelledDataset, GeneKnowledge) {
        if let c = Self.cached { return c }
        setenv("LEXICELL_DATA", repoData, 1)
        let dir = repoData + "/datasets/romanov2017_hypothalamus_neurons"
        let ds = try DatasetReader.read(path: dir)
        let labels = try LabelTable.read(path: dir + "/cell_metadata.csv", labelColumn: "Author_CellType").join(cells: ds.expression.cells, file: dir)
        XCTAssertEqual(labels.matched, 845)
        let labelled = try LabelledDataset(expression: ds.expression, labels: labels.labels, minCellsPerClass: 10)
        let k = try GeneKnowledge.load(species: .mouse)
        Self.cached = (labelled, k)
        return (labelled, k)
    }

    func testClassSelectionMatchesTheDataDescription() throws {
        let (d, _) = try romanov()
        // data/README.md: 67 types, 33 of them with ≥ 10 cells.
        XCTAssertEqual(d.classNames.count, 33)
        XCTAssertTrue(d.classSizes.allSatisfy { $0 >= 10 })
        XCTAssertEqual(d.labels.count, d.classSizes.reduce(0, +))
    }

    func testRandomControlRunsEndToEndAndIsReproducible() throws {
        let (d, k) = try romanov()
        let settings = CellEmbeddingSettings()
        let needed = TextEmbeddingStage(knowledge: k).neededSymbols(d.expression)
        let table = try GeneEmbeddingTable.random(symbols: needed, dimension: 384, seed: 0)
        let cells = TextCellEmbeddings(expression: d.expression, labels: d.labelNames, table: table, knowledge: k, settings: settings)
        // data/README.md: about 90 % of each cell's top-20 genes have a text; about 16 % are HRT housekeeping genes.
        XCTAssertEqual(cells.coverage.meanFraction, 0.90, accuracy: 0.03)
        XCTAssertEqual(cells.coverage.meanExcludedFraction, 0.16, accuracy: 0.03)
        let runner = EvaluationRunner(seeds: [0, 1])
        let method = FixedRepresentation(name: "random", matrix: cells.allGenes)
        let a = try runner.run(d, methods: [method])
        let b = try runner.run(d, methods: [method])
        XCTAssertEqual(a[0].splits.map(\.predicted), b[0].splits.map(\.predicted))
        // 33 classes: chance (predicting the largest class) is 108/667 ≈ 0.16; the control must beat that.
        XCTAssertGreaterThan(a[0].summary.accuracy.mean, 0.2)
        XCTAssertEqual(a[0].splits[0].testCount + a[0].splits[0].trainCount, d.labels.count)
    }

    func testUnknownClassIsAClearError() throws {
        let (d, _) = try romanov()
        XCTAssertThrowsError(
            try LabelledDataset(
                expression: d.expression, labels: d.labelNames, classes: [d.classNames[0], "Nope"],
                labelSource: "cell_metadata.csv")
        ) {
            XCTAssertTrue("\($0)".contains("class 'Nope' has no cells"), "\($0)")
            XCTAssertTrue("\($0)".contains("cell_metadata.csv"), "\($0)")
        }
    }
}
