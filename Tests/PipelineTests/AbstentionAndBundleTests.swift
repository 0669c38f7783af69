import LexicellTestSupport
import XCTest
@testable import Lexicell

/// Hostile and empty inputs on the reference side: edited manifests, cells without signal, output folders
/// holding a user's files.
final class AbstentionAndBundleTests: XCTestCase {
    /// A small text bundle (GABA-6, random gene vectors: fast and deterministic) and its query data.
    func gabaBundle() throws -> (bundle: ReferenceBundle, data: LabelledDataset, knowledge: GeneKnowledge) {
        setenv("LEXICELL_DATA", Repository.data, 1)
        var request = DatasetRequest(data: Repository.romanov)
        request.labels = Repository.romanov + "/cell_metadata.csv"
        request.classesFile = Repository.data + "/subsets/romanov_gaba6.txt"
        let data = try request.loadLabelled(log: { _ in })
        let knowledge = try GeneKnowledge.load(species: .mouse)
        let bundle = try ReferenceTrainer().train(data, knowledge: knowledge, source: .random(dimension: 32, seed: 0), log: { _ in })
        return (bundle, data, knowledge)
    }

    /// Rewrites one manifest field (and, unless `keepDigest`, the manifest's own digest, as a careless tool would
    /// not): the load must fail naming the field.
    func edit(_ dir: String, keepDigest: Bool = false, _ change: (inout [String: Any]) -> Void) throws {
        let path = dir + "/manifest.json"
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&object)
        let bytes = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try bytes.write(to: URL(fileURLWithPath: path))
        if !keepDigest { try (Digest.fnv1aHex(Array(bytes)) + "\n").write(toFile: dir + "/manifest.fnv1a", atomically: true, encoding: .utf8) }
    }

    func testEditedManifestsAreClearErrorsNamingTheField() throws {
        let (bundle, _, _) = try gabaBundle()
        let dir = temporaryDirectory("bundle") + "/ref"
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            (
                "'classNames' lists",
                { m in
                    var c = m["classNames"] as! [String]; c[1] = c[0]; m["classNames"] = c
                }
            ),
            ("'k' is 0", { $0["k"] = 0 }),
            ("'k' is -3", { $0["k"] = -3 }),
            ("'topN' is 0", { $0["topN"] = 0 }),
            ("'refined' is true but refiner.lxr is not listed", { $0["refined"] = true }),
            ("'classifier' is set but no classifier.json", { $0["classifier"] = "scaled genes + LR" }),
            ("'geneEmbeddingSource'", { $0["geneEmbeddingSource"] = "random:-1:384" }),
            ("'geneEmbeddingSource'", { $0["geneEmbeddingSource"] = "random:0:-384" }),
            ("'cells' is 0", { $0["cells"] = 0 }),
        ]
        for (expected, change) in cases {
            try bundle.write(to: dir)
            try edit(dir, change)
            assertLexicellError([expected, "manifest.json"]) { _ = try ReferenceBundle.load(from: dir) }
        }
        // An edit that leaves the manifest's own checksum alone is caught by it.
        try bundle.write(to: dir)
        try edit(dir, keepDigest: true) { $0["k"] = 1 }
        assertLexicellError(["manifest.json does not match its checksum in manifest.fnv1a"]) { _ = try ReferenceBundle.load(from: dir) }
        // A vector dimension that does not match embeddings.npy: the annotator's gene vectors have another width.
        try bundle.write(to: dir)
        try edit(dir) { $0["geneEmbeddingSource"] = "random:0:16" }
        let loaded = try ReferenceBundle.load(from: dir)
        XCTAssertEqual(loaded.embeddings.cols, 32)
    }

    func testCellsWithoutSignalAreUnassignedWithAReason() throws {
        let (bundle, data, knowledge) = try gabaBundle()
        // Query: 20 real cells, 10 with every count removed, 10 expressing only a gene without a text.
        let real = data.expression.selectingCells(Array(0..<20))
        var x = real.values
        let genes = real.genes
        let textless = try XCTUnwrap(knowledge.textSymbols(for: genes).firstIndex { $0 == nil })
        var values = [Float](), indices = [Int32](), indptr = [0]
        for c in 0..<x.rows {
            for k in x.indptr[c]..<x.indptr[c + 1] { values.append(x.values[k]); indices.append(x.indices[k]) }
            indptr.append(values.count)
        }
        for _ in 0..<10 { indptr.append(values.count) }
        for _ in 0..<10 { values.append(7); indices.append(Int32(textless)); indptr.append(values.count) }
        x = SparseMatrix(rows: 40, cols: genes.count, indptr: indptr, indices: indices, values: values)
        let query = ExpressionMatrix(values: x, genes: genes, cells: (0..<40).map { "q\($0)" })
        var annotator = Annotator()
        annotator.minConfidence = 0
        let a = try annotator.annotate(query, querySpecies: .mouse, with: bundle, knowledge: knowledge, orthologs: nil, log: { _ in })
        for i in 20..<30 {
            XCTAssertEqual(a.labels[i], Annotation.unassigned)
            XCTAssertEqual(a.confidence[i], 0)
            XCTAssertEqual(a.reasons[i], "no counts")
        }
        for i in 30..<40 {
            XCTAssertEqual(a.labels[i], Annotation.unassigned)
            XCTAssertEqual(a.reasons[i], "no gene with a text")
        }
        // Real cells keep their labels at threshold 0.
        XCTAssertTrue((0..<20).allSatisfy { a.labels[$0] != Annotation.unassigned && a.reasons[$0].isEmpty })
        let csv = AnnotationRun.predictionsCSV(a, groups: nil, truth: nil)
        XCTAssertTrue(csv.contains("q25,Unassigned,"), csv)
        XCTAssertTrue(csv.split(separator: "\n")[26].hasSuffix("no counts"))
    }

    func testEvaluationMarksTestCellsWithoutSignal() throws {
        let x = SparseMatrix(rows: 3, cols: 2, indptr: [0, 1, 1, 2], indices: [0, 1], values: [5, 2])
        let expression = ExpressionMatrix(values: x, genes: ["A", "B"], cells: ["c0", "c1", "c2"])
        var r = SplitResult(
            seed: 0, metrics: ClassificationMetrics(truth: [0, 0, 0], predicted: [0, 0, 0], classNames: ["a"]),
            trainCount: 0, test: [0, 1, 2], truth: [0, 0, 0], predicted: [0, 0, 0], confidence: [1, 1, 1], seconds: 0)
        // Cell 2 has counts but its vector is all zeros (no top gene with a text).
        let vectors = DenseMatrix(rowArrays: [[1, 0], [0, 0], [0, 0]])
        EvaluationRunner.markCellsWithoutSignal(&r, expression: expression, vectors: vectors)
        XCTAssertEqual(r.noSignal ?? [], [nil, "no counts", "no usable gene"])
        XCTAssertEqual(r.confidence, [1, 0, 0])
    }

    func testTrainNeverReplacesAFolderOfTheUsersFiles() throws {
        let (bundle, _, _) = try gabaBundle()
        let dir = temporaryDirectory("users") + "/my-analysis"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "precious".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        assertLexicellError(["refusing to replace it", "--force"]) { try bundle.write(to: dir) }
        XCTAssertEqual(try String(contentsOfFile: dir + "/notes.txt", encoding: .utf8), "precious")
        // A bundle Lexicell wrote is replaced whole.
        let ours = (dir as NSString).deletingLastPathComponent + "/bundle"
        try bundle.write(to: ours)
        try bundle.write(to: ours)
        XCTAssertEqual(try ReferenceBundle.load(from: ours).embeddings, bundle.embeddings)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (dir as NSString).deletingLastPathComponent)
        XCTAssertEqual(Set(leftovers), ["my-analysis", "bundle"])
    }
}
