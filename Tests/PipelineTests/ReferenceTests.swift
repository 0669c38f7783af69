import XCTest
@testable import Lexicell

/// Reference bundles on real data: train on some Romanov chips, annotate the others; versioning and damage.
final class ReferenceTests: XCTestCase {
    func tmpDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-ref-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func romanovBySample() throws -> (reference: LabelledDataset, query: ExpressionMatrix, truth: [String?], knowledge: GeneKnowledge) {
        let split = try RomanovBySample()
        return (split.reference, split.query, split.queryTruth, try GeneKnowledge.load(species: .mouse))
    }

    func testTrainAnnotateAcrossSamplesAndBundleRoundTrip() throws {
        let (reference, query, truth, knowledge) = try romanovBySample()
        XCTAssertGreaterThan(reference.classNames.count, 10)
        let bundle = try ReferenceTrainer().train(reference, knowledge: knowledge, source: .random(dimension: 128, seed: 0), log: { _ in })
        let dir = tmpDir() + "/ref"
        try bundle.write(to: dir)
        let loaded = try ReferenceBundle.load(from: dir)
        XCTAssertEqual(Set(loaded.manifest.files.keys), ["embeddings.npy", "cells.tsv", "genes.txt"])
        var expected = bundle.manifest
        expected.files = loaded.manifest.files
        expected.formatVersion = ReferenceBundle.formatVersion
        XCTAssertEqual(loaded.manifest, expected)
        XCTAssertEqual(loaded.embeddings, bundle.embeddings)
        XCTAssertEqual(loaded.labels, bundle.labels)
        var annotator = Annotator()
        annotator.minConfidence = 0.5
        let a = try annotator.annotate(query, querySpecies: .mouse, with: loaded, knowledge: knowledge, orthologs: nil, log: { _ in })
        XCTAssertEqual(a.labels.count, query.cellCount)
        XCTAssertTrue(a.labels.allSatisfy { $0 == Annotation.unassigned || reference.classNames.contains($0) })
        XCTAssertTrue(zip(a.labels, a.confidence).allSatisfy { $0 == Annotation.unassigned ? $1 < 0.5 : $1 >= 0.5 })
        let summary = TransferSummary(annotation: a, truth: truth, classNames: reference.classNames, groups: nil)
        let table = summary.thresholdTable()
        // Unassigned grows with the threshold; with no threshold every cell is assigned.
        XCTAssertEqual(table[0].unassigned, 0)
        XCTAssertTrue(zip(table, table.dropFirst()).allSatisfy { $0.unassigned <= $1.unassigned })
        // Better than the largest class's share among the query cells the reference knows (chance level).
        let known = truth.compactMap { $0 }.filter { reference.classNames.contains($0) }
        let largest = Dictionary(grouping: known, by: { $0 }).values.map(\.count).max()!
        XCTAssertGreaterThan(table[0].accuracy, Double(largest) / Double(known.count))
    }

    func testCorruptedOrForeignBundlesAreClearErrors() throws {
        let (reference, query, _, knowledge) = try romanovBySample()
        let bundle = try ReferenceTrainer().train(reference, knowledge: knowledge, source: .random(dimension: 32, seed: 0), log: { _ in })
        let dir = tmpDir() + "/ref"
        try bundle.write(to: dir)
        // A bundle whose gene vectors came from another model: annotate refuses and names both.
        var other = bundle
        other.manifest.geneEmbeddingModel = "all-MiniLM-L6-v2@0000:mean+l2"
        XCTAssertThrowsError(try Annotator().annotate(query, querySpecies: .mouse, with: other, knowledge: knowledge, orthologs: nil, log: { _ in })) {
            XCTAssertTrue("\($0)".contains("all-MiniLM-L6-v2@0000") && "\($0)".contains("random:seed=0:dim=32"), "\($0)")
        }
        // One flipped byte in the embeddings: the checksum catches it.
        let path = dir + "/embeddings.npy"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 3] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ReferenceBundle.load(from: dir)) { XCTAssertTrue("\($0)".contains("embeddings.npy does not match its checksum"), "\($0)") }
        // A newer format version.
        try bundle.write(to: dir)
        let m = dir + "/manifest.json"
        let text = try String(contentsOfFile: m, encoding: .utf8).replacingOccurrences(of: "\"formatVersion\" : 3", with: "\"formatVersion\" : 9")
        try text.write(toFile: m, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ReferenceBundle.load(from: dir)) { XCTAssertTrue("\($0)".contains("format version 9"), "\($0)") }
        XCTAssertThrowsError(try ReferenceBundle.load(from: tmpDir())) { XCTAssertTrue("\($0)".contains("no manifest.json"), "\($0)") }
    }

    /// pbmc68k annotated against itself: renamed genes are refused with the overlap report; a human query against
    /// a mouse reference goes through HCOP orthologs.
    func testOverlapReportRefusesRenamedGenesAndCrossSpeciesMaps() throws {
        setenv("LEXICELL_DATA", repoData, 1)
        let ds = try DatasetReader.read(path: repoData + "/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad", h5adMatrix: .raw)
        let labels = ds.obs["bulk_labels"]!.map { $0.isEmpty ? nil : $0 }
        let pbmc = try LabelledDataset(expression: ds.expression, labels: labels, minCellsPerClass: 10)
        let human = try GeneKnowledge.load(species: .human, housekeeping: .none)
        let bundle = try ReferenceTrainer().train(pbmc, knowledge: human, source: .random(dimension: 64, seed: 0), log: { _ in })
        var annotator = Annotator()
        annotator.minGenesWithText = 100
        // Itself: fine, and nearly every cell gets its own type back.
        let same = try annotator.annotate(ds.expression, querySpecies: .human, with: bundle, knowledge: human, orthologs: nil, log: { _ in })
        XCTAssertGreaterThan(same.overlap.withText, 400)
        // Genes renamed to meaningless ids: refused, and the message carries the overlap numbers.
        let renamed = ExpressionMatrix(values: ds.expression.values, genes: ds.expression.genes.map { "ENSG_X_" + $0 }, cells: ds.expression.cells)
        XCTAssertThrowsError(try annotator.annotate(renamed, querySpecies: .human, with: bundle, knowledge: human, orthologs: nil, log: { _ in })) {
            XCTAssertTrue("\($0)".contains("gene overlap too small") && "\($0)".contains("0 of 765 query genes have a text"), "\($0)")
        }
        // The same cells with mouse symbols (through HCOP), annotated against the human reference.
        let orthologs = try OrthologMap.loadHCOP(path: repoData + "/genes/hcop_human_mouse_orthologs_15col.txt.gz")
        let mouseNames = ExpressionMatrix(
            values: ds.expression.values, genes: ds.expression.genes.map { orthologs.humanToMouse[$0] ?? $0 },
            cells: ds.expression.cells)
        let cross = try annotator.annotate(mouseNames, querySpecies: .mouse, with: bundle, knowledge: human, orthologs: orthologs, log: { _ in })
        XCTAssertNotNil(cross.overlap.orthologMapped)
        XCTAssertGreaterThan(cross.overlap.orthologMapped!, 600)
        let agree = zip(cross.bestLabels, same.bestLabels).filter { $0 == $1 }.count
        XCTAssertGreaterThan(Double(agree) / Double(same.bestLabels.count), 0.8)
    }
}
