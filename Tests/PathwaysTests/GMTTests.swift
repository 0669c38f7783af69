import XCTest
import LexicellCore
@testable import LexicellPathways

final class GMTTests: XCTestCase {
    private func parse(_ text: String) throws -> GeneSetCollection {
        try GeneSetCollection.parse(Array(text.utf8), source: "sets.gmt", name: "sets")
    }

    private func assertError(_ text: String, line: Int, contains needle: String, file: StaticString = #filePath, lineNo: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: lineNo) { error in
            guard let e = error as? LexicellError else { return XCTFail("not a LexicellError: \(error)", file: file, line: lineNo) }
            XCTAssertEqual(e.file, "sets.gmt", file: file, line: lineNo)
            XCTAssertEqual(e.line, line, file: file, line: lineNo)
            XCTAssertTrue(e.description.contains(needle), "\(e.description)", file: file, line: lineNo)
        }
    }

    func testParsesSetsSkipsBlankAndCommentLinesAndDropsRepeatedGenes() throws {
        let c = try parse("# comment\nS1\tfirst\tA\tB\tA\r\n\nS2\t\tC\t\n")
        XCTAssertEqual(c.sets, [GeneSet(id: "S1", name: "first", genes: ["A", "B"]), GeneSet(id: "S2", name: "", genes: ["C"])])
        XCTAssertEqual(c.repeatedGenes, 1)
    }

    func testErrorsNameFileLineAndWhatWasExpected() {
        assertError("S1\tx\tA\n\tx\tB\n", line: 2, contains: "empty set name")
        assertError("S1\tx\tA\nS2\tonly description\t\t\n", line: 2, contains: "has no genes")
        assertError("S1\tx\tA\nS2\tx\tB\nS1\ty\tC\n", line: 3, contains: "duplicate set id 'S1' (first on line 1)")
        assertError("S1 x A B\n", line: 1, contains: "spaces are not separators")
        XCTAssertThrowsError(try parse("\n# nothing\n")) { XCTAssertTrue("\($0)".contains("no gene sets found")) }
    }

    func testGzipAndPlainFilesReadTheSame() throws {
        let text = "S1\tx\tA\tB\nS2\ty\tB\tC\n"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gmt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/a.gmt"))
        try Data(FileData.gzip(Array(text.utf8))).write(to: URL(fileURLWithPath: dir + "/b.gmt.gz"))
        let a = try GeneSetCollection.read(path: dir + "/a.gmt"), b = try GeneSetCollection.read(path: dir + "/b.gmt.gz")
        XCTAssertEqual(a.sets, b.sets)
        XCTAssertEqual(a.name, "a")
        XCTAssertEqual(b.name, "b")
    }

    func testMatchingThroughACallerMappingReportsCoverageAndDroppedSets() throws {
        let c = try parse("S1\tx\tGAD1\tGAD2\tNPY\nS2\ty\tFOO\tBAR\nS3\tz\tNPY\n")
        // Mouse-style dataset names mapped to the collection's upper-case symbols by the caller.
        let genes = ["Gad1", "Npy", "Gad2", "Xist", "NPY"]
        let m = c.matched(to: genes, symbol: { $0 == "Xist" ? nil : $0.uppercased() }, minSize: 1)
        XCTAssertEqual(m.sets.map(\.id), ["S1", "S3"])
        XCTAssertEqual(m.sets[0].genes, [0, 1, 2])  // sorted dataset indices
        XCTAssertEqual(m.sets[1].genes, [1])       // "NPY" (index 4) collides with "Npy" (index 1): the first wins
        XCTAssertEqual(m.symbolCollisions, 1)
        XCTAssertEqual(m.dropped.map(\.id), ["S2"])
        XCTAssertEqual(m.dropped[0].matched, 0)
        XCTAssertEqual(m.dropped[0].reason, "no gene matched")
        XCTAssertEqual(m.genesInCollection, 5)
        XCTAssertEqual(m.genesMatched, 3)
        let strict = c.matched(to: genes, symbol: { $0.uppercased() }, minSize: 2)
        XCTAssertEqual(strict.sets.map(\.id), ["S1"])
        XCTAssertEqual(strict.dropped.first { $0.id == "S3" }?.reason, "fewer than 2 genes matched")
    }

    func testBundledCollectionsReadWithTheDocumentedSizes() throws {
        // data/README.md: Hallmark 50 sets; GO BP human 6,482; Reactome mouse 1,603; WikiPathways mouse 161.
        for (file, count) in [("hallmark_human", 50), ("go_bp_human", 6482), ("reactome_mouse", 1603), ("wikipathways_mouse", 161)] {
            let c = try GeneSetCollection.read(path: "\(genesets)/\(file).gmt.gz")
            XCTAssertEqual(c.sets.count, count, file)
            XCTAssertEqual(c.name, file)
        }
    }
}
