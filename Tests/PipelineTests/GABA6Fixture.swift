import XCTest
@testable import Lexicell

/// The Romanov GABA subtypes (6 classes, 128 cells) with random 64-d gene vectors, `auto` with small grids on
/// them, and the leakage probe — shared by the selection and all-genes tests.
enum GABA6Fixture {
    nonisolated(unsafe) static var cached: (LabelledDataset, TextCellEmbeddings)?

    static func load() throws -> (LabelledDataset, TextCellEmbeddings) {
        if let c = cached { return c }
        setenv("LEXICELL_DATA", repoData, 1)
        let dir = repoData + "/datasets/romanov2017_hypothalamus_neurons"
        let ds = try DatasetReader.read(path: dir)
        let labels = try LabelTable.read(path: dir + "/cell_metadata.csv", labelColumn: "Author_CellType").join(cells: ds.expression.cells, file: dir)
        let classes = try String(contentsOfFile: repoData + "/subsets/romanov_gaba6.txt", encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let d = try LabelledDataset(expression: ds.expression, labels: labels.labels, classes: classes)
        XCTAssertEqual(d.classSizes.sorted(by: >), [28, 25, 23, 21, 18, 13])
        let k = try GeneKnowledge.load(species: .mouse)
        let needed = TextEmbeddingStage(knowledge: k).neededSymbols(d.expression)
        let table = try GeneEmbeddingTable.random(symbols: needed, dimension: 64, seed: 0)
        let cells = TextCellEmbeddings(expression: d.expression, labels: d.labelNames, table: table, knowledge: k, settings: CellEmbeddingSettings())
        cached = (d, cells)
        return (d, cells)
    }

    /// `auto` (optionally with the all-genes candidates) with 2 settings per linear head and 3 folds.
    static func autoMethod(_ d: LabelledDataset, _ cells: TextCellEmbeddings, allGenes: Bool = false) -> SelectedMethod {
        let features = ExpressionFeatures(expression: d.expression)
        let pca = ExpressionRepresentation(name: "expression PCA", kind: .pcs, features: features)
        let hvg = ExpressionRepresentation(name: "scaled HVG expression", kind: .scaledGenes, features: features)
        var m = SelectedMethod(
            name: "auto",
            candidates: MethodPlan.autoCandidates(
                pca: pca, hvg: hvg, text: FixedRepresentation(name: "random top-20", matrix: cells.allGenes), features: features,
                allGenes: allGenes ? AllGenesRepresentation.pair(expression: d.expression, display: features) : nil))
        m.grids.logisticC = [0.01, 0.1]
        m.grids.svmC = [0.001, 0.01]
        m.folds = 3
        m.preferred = 0
        return m
    }

    /// The split's details as evaluated, and again after the test cells' expression is replaced by training cells'
    /// (test cell i takes training cell (stride · i) mod n) and their knowledge vectors by noise: whatever is chosen
    /// on training cells alone must not change between the two.
    static func leakageProbe(
        _ d: LabelledDataset, _ cells: TextCellEmbeddings, seed: UInt64, stride: Int, noiseSeed: UInt64, allGenes: Bool = false
    ) throws -> (original: SplitDetails, swapped: SplitDetails) {
        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: seed)
        let a = try autoMethod(d, cells, allGenes: allGenes).evaluate(
            labels: d.labels, classNames: d.classNames, seed: seed, protocol: EvaluationProtocol())
        var rows = Array(0..<d.labels.count)
        for (i, t) in test.enumerated() { rows[t] = train[(stride * i) % train.count] }
        let swapped = d.expression.selectingCells(rows)
        var knowledge = cells
        var rng = SeededGenerator(seed: noiseSeed)
        for t in test { for j in 0..<knowledge.allGenes.cols { knowledge.allGenes[t, j] = Float(rng.nextGaussian()) } }
        let changed = try LabelledDataset(
            expression: ExpressionMatrix(values: swapped.values, genes: d.expression.genes, cells: d.expression.cells),
            labels: d.labelNames, classes: d.classNames)
        XCTAssertEqual(changed.labels, d.labels)
        let b = try autoMethod(changed, knowledge, allGenes: allGenes).evaluate(
            labels: changed.labels, classNames: changed.classNames, seed: seed, protocol: EvaluationProtocol())
        return (try XCTUnwrap(a.result.details), try XCTUnwrap(b.result.details))
    }
}
