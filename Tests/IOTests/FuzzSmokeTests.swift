import Foundation
import LexicellCore
import LexicellTestSupport
import XCTest

@testable import LexicellIO

/// A short fuzz run inside the suite: the replay build of `LexicellFuzz` runs the committed corpus and seeded
/// mutations of it through every parser, in a child process, so a trap shows up as a signal here instead of
/// killing the test runner. The long libFuzzer runs are `make fuzz`.
final class FuzzSmokeTests: XCTestCase {
    /// The build's products folder (the test runner lives there beside the executables).
    static let products = URL(fileURLWithPath: H5ADProbe.currentExecutable).deletingLastPathComponent().path
    static let replayTool = products + "/LexicellFuzz"

    func run(_ arguments: [String]) throws -> (status: Int32, signalled: Bool, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.replayTool)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal, String(decoding: data, as: UTF8.self))
    }

    func testEveryParserSurvivesSeededMutationsOfItsCorpus() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.replayTool), "LexicellFuzz replay tool not built at \(Self.replayTool)")
        let corpus = Repository.root + "/Tests/Fuzz/corpus"
        for target in ["mtx", "csv", "labels", "npy", "lxge", "manifest"] {
            let r = try run([target, "--mutations", "500", "--seed", "7", corpus + "/" + target])
            XCTAssertFalse(r.signalled, "\(target): the parser trapped: \(r.output.suffix(2000))")
            XCTAssertEqual(r.status, 0, "\(target): \(r.output.suffix(2000))")
            // Every corpus file and its 500 mutations ran, and the unmutated corpus parses.
            let files = try FileManager.default.contentsOfDirectory(atPath: corpus + "/" + target).count
            XCTAssertTrue(r.output.contains("\(files * 501) inputs"), "\(target): \(r.output)")
            XCTAssertTrue(r.output.contains("no crash"), "\(target): \(r.output)")
        }
    }

    /// Mutated h5ad files and the libhdf5 crash reproducers: the probe child takes the crash, the caller gets an error.
    func testH5ADMutationsAndLibhdf5CrashesEndAsErrors() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.replayTool), "LexicellFuzz replay tool not built")
        let r = try run(["h5ad", "--mutations", "12", "--seed", "3", Repository.root + "/Tests/Fuzz/corpus/h5ad", Repository.root + "/Tests/Fuzz/libhdf5"])
        XCTAssertFalse(r.signalled, r.output)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("no crash"), r.output)
    }

    /// In-process: with the probe on, each reproducer is a `LexicellError` naming the file — a crash, a hang
    /// (time limit) or a refused field — and a sound file still reads.
    func testProbeTurnsLibhdf5CrashesAndHangsIntoErrors() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.replayTool), "LexicellFuzz replay tool not built")
        H5ADProbe.executable = Self.replayTool
        H5ADProbe.timeout = 5
        defer {
            H5ADProbe.executable = nil
            H5ADProbe.timeout = 120
        }
        let dir = Repository.root + "/Tests/Fuzz/libhdf5"
        let expected = [
            "segv-H5HG_read.h5ad": "libhdf5 crashed (signal 11)",
            "segv-H5C_protect.h5ad": "libhdf5 crashed (signal 11)",
            "memcpy-overlap-H5HG_read.h5ad": "libhdf5 crashed",
            "hang-H5HG_read-in-H5Aread.h5ad": "within 5 s",
        ]
        for (name, fragment) in expected.sorted(by: { $0.key < $1.key }) {
            assertLexicellError([name, fragment]) { _ = try DatasetReader.readH5AD(path: dir + "/" + name) }
            assertLexicellError([name]) { _ = try LabelTable.readH5AD(path: dir + "/" + name, column: "celltype") }
            assertLexicellError([name, fragment]) { _ = try CellChunks.open(path: dir + "/" + name) }  // annotate's streaming reader
        }
        let good = try DatasetReader.readH5AD(path: Repository.root + "/Tests/Fuzz/corpus/h5ad/anndata07_layout.h5ad")
        XCTAssertGreaterThan(good.expression.cellCount, 0)
    }
}
