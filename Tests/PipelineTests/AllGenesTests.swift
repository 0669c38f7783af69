import XCTest
import LexicellCore
@testable import Lexicell

/// The sparse all-genes candidate (CellTypist-style LR on every expressed gene) on its own and inside `auto`, on
/// the Romanov GABA subtypes (6 classes, 128 cells), and its features against scanpy.
final class AllGenesTests: XCTestCase {
    func gaba6() throws -> (LabelledDataset, TextCellEmbeddings) { try GABA6Fixture.load() }
    func autoMethod(_ d: LabelledDataset, _ cells: TextCellEmbeddings) -> SelectedMethod {
        GABA6Fixture.autoMethod(d, cells, allGenes: true)
    }

    /// The test cells' expression replaced by other cells' data (and their knowledge vectors by noise) changes no
    /// cross-validation score of any candidate, the all-genes ones included (their genes, s.d.s and fits come from
    /// training cells only), and no choice.
    func testAllGenesCandidatesChooseOnTrainingCellsOnly() throws {
        let (d, cells) = try gaba6()
        let (da, db) = try GABA6Fixture.leakageProbe(d, cells, seed: 3, stride: 5, noiseSeed: 11, allGenes: true)
        XCTAssertEqual(da.chosen, db.chosen)
        XCTAssertEqual(da.candidateScores.map(\.candidate), db.candidateScores.map(\.candidate))
        XCTAssertEqual(da.candidateScores.map(\.criterion), db.candidateScores.map(\.criterion))
        // 32 entries as without them, plus 2 C × 2 all-genes candidates.
        XCTAssertEqual(da.candidateScores.count, 36)
        XCTAssertEqual(da.candidateScores.filter { $0.candidate.hasPrefix("all expressed genes") }.count, 4)
        XCTAssertGreaterThan(da.candidateScores.filter { $0.candidate.hasPrefix("all expressed genes + LR") }.map(\.accuracy).max()!, 0.35)
        XCTAssertNotEqual(da.probability, db.probability)
    }

    /// The features of the split depend on the training cells alone: the same genes and s.d.s whatever the test
    /// cells hold; test rows are transformed with them.
    func testFeaturesAreFittedOnTrainingCells() throws {
        let (d, _) = try gaba6()
        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 0)
        let f1 = try AllGenesFeatures(expression: d.expression).fitted(train: train, test: test)
        let f2 = try AllGenesFeatures(expression: d.expression).fitted(train: train, test: Array(train.prefix(5)))
        XCTAssertEqual(f1.genes, f2.genes)
        XCTAssertEqual(f1.inverseSD, f2.inverseSD)
        XCTAssertEqual(f1.train, f2.train)
        XCTAssertEqual(f1.test.rows, test.count)
        XCTAssertEqual(f1.train.cols, f1.genes.count)
        // Sparse: no more stored entries than the raw training cells have.
        XCTAssertLessThanOrEqual(f1.train.nonZeroCount, d.expression.selectingCells(train).values.nonZeroCount)
        XCTAssertTrue(f1.train.values.allSatisfy { $0 > 0 && $0 <= 10 })
    }

    /// One all-genes candidate with one setting is exactly the sparse LR on the split's features; with feature
    /// selection, the refit uses at most `top` genes per class.
    func testSingleCandidateEqualsDirectSparseFit() throws {
        let (d, _) = try gaba6()
        let pair = AllGenesRepresentation.pair(expression: d.expression, display: ExpressionFeatures(expression: d.expression))
        var m = SelectedMethod(name: "all genes + LR", candidates: [MethodCandidate(pair.plain, .logistic)])
        m.grids.logisticC = [0.05]
        m.calibration = .none
        m.folds = 2
        let r = try m.evaluate(labels: d.labels, classNames: d.classNames, seed: 2, protocol: EvaluationProtocol()).result
        let (train, test) = StratifiedSplit.trainTest(labels: d.labels, testFraction: 0.2, seed: 2)
        let f = try AllGenesFeatures(expression: d.expression).fitted(train: train, test: test)
        let y = train.map { d.labels[$0] }
        let lr = try SparseLogisticRegression.fit(
            f.train, labels: y, classCount: d.classNames.count,
            options: .init(c: 0.05, maxIterations: 300, tolerance: 1e-4))
        XCTAssertEqual(r.predicted, lr.predict(f.test))
        let top = try XCTUnwrap(r.details?.topGenes)
        XCTAssertTrue(top.allSatisfy { $0.count == 10 && $0.allSatisfy(f.genes.contains) })

        let keep = AllGenesRepresentation.topColumns(lr.weights, count: 30)
        XCTAssertLessThanOrEqual(keep.count, 30 * d.classNames.count)
        XCTAssertGreaterThanOrEqual(keep.count, 30)
        var fs = m
        fs.candidates = [
            MethodCandidate(
                AllGenesRepresentation(
                    name: "fs", features: pair.plain.features, display: pair.plain.display,
                    topGenesPerClass: 30), .logistic)
        ]
        let rf = try fs.evaluate(labels: d.labels, classNames: d.classNames, seed: 2, protocol: EvaluationProtocol()).result
        let refit = try SparseLogisticRegression.fit(
            f.train.selectingColumns(keep), labels: y, classCount: d.classNames.count,
            options: .init(c: 0.05, maxIterations: 300, tolerance: 1e-4))
        XCTAssertEqual(rf.predicted, refit.predict(f.test.selectingColumns(keep)))
    }

    func testSpecs() throws {
        XCTAssertEqual(try MethodSpec.parse("allgenes").head, .logistic)
        XCTAssertEqual(try MethodSpec.parse("allgenes-fs").base, "allgenes-fs")
        XCTAssertEqual(try MethodSpec.parse("auto-allgenes").base, "auto-allgenes")
        XCTAssertThrowsError(try MethodSpec.parse("auto-allgenes:lr"))
        XCTAssertThrowsError(try MethodSpec.parse("allgenes+supcon"))
    }

    /// The features match scanpy's normalize_total + log1p, divided by the training s.d. (scripts/sparse_lr_compare_sklearn.py).
    func testFeaturesMatchScanpy() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ClassifyTests/Fixtures/sparse_lr_sklearn.json")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func csr(_ key: String) throws -> SparseMatrix {
            let m = try XCTUnwrap(json[key] as? [String: Any])
            return SparseMatrix(
                rows: m["rows"] as! Int, cols: m["cols"] as! Int, indptr: m["indptr"] as! [Int],
                indices: (m["indices"] as! [Int]).map(Int32.init), values: (m["values"] as! [Double]).map { Float($0) })
        }
        let counts = try csr("counts")
        let isTrain = try XCTUnwrap(json["is_train"] as? [Bool])
        let expression = ExpressionMatrix(values: counts, genes: (0..<counts.cols).map { "g\($0)" }, cells: (0..<counts.rows).map { "c\($0)" })
        let train = isTrain.indices.filter { isTrain[$0] }, test = isTrain.indices.filter { !isTrain[$0] }
        let f = try AllGenesFeatures(expression: expression).fitted(train: train, test: test)
        XCTAssertEqual(f.columns, try XCTUnwrap(json["kept_genes"] as? [Int]))
        for (mine, key) in [(f.train, "train_features"), (f.test, "test_features")] {
            let ref = try csr(key)
            XCTAssertEqual(mine.indptr, ref.indptr, key)
            XCTAssertEqual(mine.indices, ref.indices, key)
            for k in ref.values.indices { XCTAssertEqual(mine.values[k], ref.values[k], accuracy: 1e-4 * max(1, ref.values[k]), key) }
        }
    }
}
