import CLexSys
import Foundation
import LexicellTestSupport
import XCTest
@testable import LexicellCore

final class NumberParserTests: XCTestCase {
    private func int(_ s: String) -> Int? { Array(s.utf8).withUnsafeBufferPointer { NumberParser.int($0, 0..<$0.count) } }
    private func double(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { NumberParser.double($0, 0..<$0.count) } }
    private func finite(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { NumberParser.finiteDouble($0, 0..<$0.count) } }

    func testIntegersRefuseOverflowInsteadOfWrapping() {
        XCTAssertNil(int("18446744073709551616"))  // 2^64 used to read as 0
        XCTAssertNil(int("18446744073709551617"))  // 2^64 + 1 used to read as 1
        XCTAssertNil(int("9223372036854775808"))  // Int.max + 1
        XCTAssertNil(int("-9223372036854775809"))
        XCTAssertNil(int("99999999999999999999999999"))
        XCTAssertEqual(int("9223372036854775807"), Int.max)
        XCTAssertEqual(int("-9223372036854775808"), Int.min)
        XCTAssertEqual(int("+42"), 42)
        XCTAssertEqual(int("-7"), -7)
        XCTAssertNil(int("1x"))
        XCTAssertNil(int("-"))
    }

    func testDoublesAndNonFinite() {
        XCTAssertEqual(double("18446744073709551616"), 18446744073709551616.0)
        XCTAssertEqual(double("1.5e3"), 1500)
        XCTAssertEqual(double("inf"), .infinity)
        XCTAssertEqual(double("-Infinity"), -.infinity)
        XCTAssertTrue(double("nan")!.isNaN)
        XCTAssertEqual(double("1e99999999999999999999"), .infinity)  // exponent beyond Int: no trap
        XCTAssertEqual(double("1e-99999999999999999999"), 0)
        XCTAssertEqual(double("1e9223372036854775807"), .infinity)  // exponent sum overflows Int
        for s in ["inf", "-inf", "infinity", "nan", "NaN", "1e400", "-1e999"] { XCTAssertNil(finite(s), s) }
        XCTAssertEqual(finite("2.5"), 2.5)
    }
}

final class NPYHardeningTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = temporaryDirectory("npy") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// A v1 .npy file with `header` (padded as numpy does) and `data`.
    private func file(_ name: String, _ header: String, data: [UInt8] = [], major: UInt8 = 1) throws -> String {
        var h = header
        let pre = major == 1 ? 10 : 12
        while (pre + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        let n = h.utf8.count
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0, UInt8(n & 0xff), UInt8(n >> 8)]
        if major != 1 { bytes += [0, 0] }
        bytes += Array(h.utf8) + data
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func f4(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    func testValidFilesStillRead() throws {
        let p = try file("ok.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data: f4([1, 2, 3, 4]))
        XCTAssertEqual(try NPY.read(p), DenseMatrix(rows: 2, cols: 2, values: [1, 2, 3, 4]))
        let v2 = try file("v2.npy", "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 1)}", data: f4([7]), major: 2)
        XCTAssertEqual(try NPY.read(v2).values, [7])
        let empty = try file("e.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }")
        XCTAssertEqual(try NPY.read(empty).rows, 0)
        let m = DenseMatrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        try NPY.write(m, to: dir + "/w.npy")
        XCTAssertEqual(try NPY.read(dir + "/w.npy"), m)
    }

    func testHostileShapes() throws {
        let cases: [(String, String, [String])] = [
            ("huge.npy", "(4611686018427387904, 2)", ["'shape'", "overflows"]),
            ("huge2.npy", "(3037000500, 3037000500)", ["'shape'", "overflows"]),
            ("big.npy", "(100000, 100000)", ["expected 40000000000 data bytes", "found 4", "truncated file"]),
            ("neg.npy", "(-2, 3)", ["'shape'", "\"-2\" is not a non-negative integer"]),
            ("frac.npy", "(2.5, 3)", ["'shape'", "\"2.5\" is not a non-negative integer"]),
            ("word.npy", "(n, 3)", ["'shape'", "\"n\" is not a non-negative integer"]),
            ("wide.npy", "(99999999999999999999999, 1)", ["'shape'", "fits in 64 bits"]),
            ("one.npy", "(6,)", ["'shape'", "expected a 2-D array", "(6,)"]),
            ("three.npy", "(1, 1, 1)", ["expected a 2-D array", "(1, 1, 1)"]),
            ("list.npy", "[1, 1]", ["'shape'", "expected a tuple of integers"]),
        ]
        for (name, shape, fragments) in cases {
            let p = try file(name, "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }", data: f4([1]))
            assertLexicellError([name] + fragments) { _ = try NPY.read(p) }
        }
    }

    func testDataLengthDtypeAndOrder() throws {
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
        let short = try file("short.npy", h, data: f4([1, 2, 3]))
        assertLexicellError(["short.npy", "expected 16 data bytes for shape (2, 2)", "found 12", "truncated file"]) { _ = try NPY.read(short) }
        let long = try file("long.npy", h, data: f4([1, 2, 3, 4, 5]))
        assertLexicellError(["long.npy", "expected 16 data bytes", "found 20", "trailing bytes"]) { _ = try NPY.read(long) }
        for (i, dtype) in ["'>f4'", "'<i4'", "'<f2'", "'|u1'", "'<c8'", "[('a', '<f4')]"].enumerated() {
            let p = try file("d\(i).npy", "{'descr': \(dtype), 'fortran_order': False, 'shape': (1, 1), }", data: f4([1]))
            assertLexicellError(["d\(i).npy", "'descr'", dtype, "expected little-endian float32 '<f4' or float64 '<f8'"]) { _ = try NPY.read(p) }
        }
        let fortran = try file("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: f4([1, 2, 3, 4]))
        assertLexicellError(["fortran.npy", "'fortran_order': True, expected False"]) { _ = try NPY.read(fortran) }
        let noShape = try file("noshape.npy", "{'descr': '<f4', 'fortran_order': False}")
        assertLexicellError(["noshape.npy", "no 'shape' field"]) { _ = try NPY.read(noShape) }
        let nan = try file("nan.npy", h, data: f4([1, 2, .nan, 4]))
        assertLexicellError(["nan.npy", "value at row 1, column 0 is nan", "finite"]) { _ = try NPY.read(nan) }
    }

    func testHostileHeaderFraming() throws {
        // Header length larger than the file.
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xff, 0xff, 0xff, 0x7f] + Array("{}".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/len.npy"))
        assertLexicellError(["len.npy", "truncated .npy header", "declares 2147483647 bytes"]) { _ = try NPY.read(dir + "/len.npy") }
        bytes = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 9, 0, 0, 0]
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/ver.npy"))
        assertLexicellError(["ver.npy", "version 9.0 is not supported"]) { _ = try NPY.read(dir + "/ver.npy") }
        let notDict = try file("nd.npy", "descr <f4")
        assertLexicellError(["nd.npy", "not a Python dict literal"]) { _ = try NPY.read(notDict) }
    }
}

final class OutputDirectoryTests: XCTestCase {
    var dir = ""
    let fm = FileManager.default
    override func setUpWithError() throws { dir = temporaryDirectory("out") }
    override func tearDownWithError() throws { try? fm.removeItem(atPath: dir) }

    private func contents(_ path: String) -> [String] { ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    private func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
    private func put(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    /// The pid of a process that has exited.
    private func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func testNewFolderThenReplacedAsAWhole() throws {
        let out = dir + "/run"
        let r1 = try OutputDirectory.commit(to: out) { tmp in
            XCTAssertTrue((tmp as NSString).lastPathComponent.hasPrefix(".run.lexicell-tmp-"))
            try put("one", tmp + "/a.txt")
            try put("old only", tmp + "/stale.txt")
        }
        XCTAssertEqual(r1.replacedLexicellOutput, false)
        XCTAssertEqual(contents(out), [OutputDirectory.marker, "a.txt", "stale.txt"])
        XCTAssertTrue(OutputDirectory.isLexicellOutput(out))
        let r2 = try OutputDirectory.commit(to: out) { tmp in try put("two", tmp + "/a.txt") }
        XCTAssertTrue(r2.replacedLexicellOutput)
        XCTAssertEqual(text(out + "/a.txt"), "two")
        XCTAssertFalse(fm.fileExists(atPath: out + "/stale.txt"), "old and new are never mixed")
        XCTAssertEqual(contents(dir), ["run"], "no temporary or set-aside folder is left")
    }

    /// The replacement's primitive: both names swap in one call, so the output path is never missing.
    func testRenameExchangeSwapsTwoFolders() throws {
        let a = dir + "/a", b = dir + "/b"
        try fm.createDirectory(atPath: a, withIntermediateDirectories: false)
        try fm.createDirectory(atPath: b, withIntermediateDirectories: false)
        try put("in a", a + "/file.txt")
        try put("in b", b + "/file.txt")
        XCTAssertEqual(lex_rename_exchange(a, b), 0, String(cString: strerror(errno)))
        XCTAssertEqual(text(a + "/file.txt"), "in b")
        XCTAssertEqual(text(b + "/file.txt"), "in a")
        XCTAssertNotEqual(lex_rename_exchange(a, dir + "/missing"), 0, "exchange needs both names to exist")
    }

    func testFailedWriteLeavesTheOldOutput() throws {
        let out = dir + "/run"
        try OutputDirectory.commit(to: out) { tmp in try put("old", tmp + "/a.txt") }
        struct Boom: Error {}
        XCTAssertThrowsError(
            try OutputDirectory.commit(to: out) { tmp in
                try put("half", tmp + "/a.txt")
                throw Boom()
            })
        XCTAssertEqual(text(out + "/a.txt"), "old")
        XCTAssertEqual(contents(dir), ["run"])
    }

    func testFileOrForeignFolderIsRefusedAndKeptWithForce() throws {
        let file = dir + "/report.txt"
        try put("mine", file)
        assertLexicellError([file, "is a file", "--force"]) { try OutputDirectory.commit(to: file) { _ in } }
        XCTAssertEqual(text(file), "mine")

        let folder = dir + "/results"
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try put("precious", folder + "/thesis.tex")
        assertLexicellError([folder, "Lexicell did not write", "--force"]) { try OutputDirectory.commit(to: folder) { _ in } }
        XCTAssertEqual(text(folder + "/thesis.tex"), "precious")

        // --force moves it aside; nothing of the user's is deleted.
        let r = try OutputDirectory.commit(to: folder, force: true) { tmp in try put("new", tmp + "/a.txt") }
        let aside = try XCTUnwrap(r.keptAside)
        XCTAssertTrue(aside.hasPrefix(folder + ".replaced-"))
        XCTAssertEqual(text(aside + "/thesis.tex"), "precious")
        XCTAssertEqual(text(folder + "/a.txt"), "new")
        let rf = try OutputDirectory.commit(to: file, force: true) { _ in }
        XCTAssertEqual(text(try XCTUnwrap(rf.keptAside)), "mine")
    }

    /// Files a user added to a Lexicell output are never deleted: the folder is then treated as foreign.
    func testFilesAddedToAnOutputAreKept() throws {
        let out = dir + "/run"
        try OutputDirectory.commit(to: out) { tmp in
            try fm.createDirectory(atPath: tmp + "/plots", withIntermediateDirectories: false)
            try put("p", tmp + "/plots/umap.svg")
            try put("r", tmp + "/report.md")
        }
        let marker = text(out + "/" + OutputDirectory.marker) ?? ""
        XCTAssertTrue(marker.contains("files:\nplots\nplots/umap.svg\nreport.md\n"), marker)
        try put("my notes", out + "/plots/notes.txt")
        assertLexicellError([out, "other files were added (plots/notes.txt)", "--force"]) {
            try OutputDirectory.commit(to: out) { tmp in try put("new", tmp + "/report.md") }
        }
        XCTAssertEqual(text(out + "/plots/notes.txt"), "my notes")
        let r = try OutputDirectory.commit(to: out, force: true) { tmp in try put("new", tmp + "/report.md") }
        XCTAssertEqual(text(try XCTUnwrap(r.keptAside) + "/plots/notes.txt"), "my notes")
        XCTAssertEqual(text(out + "/report.md"), "new")
    }

    func testEmptyFolderIsUsed() throws {
        let out = dir + "/empty"
        try fm.createDirectory(atPath: out, withIntermediateDirectories: false)
        try OutputDirectory.commit(to: out) { tmp in try put("x", tmp + "/a.txt") }
        XCTAssertEqual(contents(out), [OutputDirectory.marker, "a.txt"])
    }

    func testOutputMayNotBeOrContainAnInput() throws {
        let data = dir + "/data"
        try fm.createDirectory(atPath: data + "/sample", withIntermediateDirectories: true)
        try put("counts", data + "/sample/matrix.mtx")
        assertLexicellError(["is the input", "Choose another --out"]) {
            try OutputDirectory.commit(to: data + "/sample", force: true, inputs: [data + "/sample"]) { _ in }
        }
        assertLexicellError(["contains the input", data + "/sample/matrix.mtx"]) {
            try OutputDirectory.commit(to: data, force: true, inputs: [data + "/sample/matrix.mtx"]) { _ in }
        }
        // The same through a symbolic link and a relative path with "..".
        try fm.createSymbolicLink(atPath: dir + "/link", withDestinationPath: data)
        assertLexicellError(["contains the input"]) {
            try OutputDirectory.commit(to: dir + "/link/../data", force: true, inputs: [dir + "/link/sample/matrix.mtx"]) { _ in }
        }
        XCTAssertEqual(text(data + "/sample/matrix.mtx"), "counts")
        // An output inside an input folder is fine (nothing of the input is replaced).
        try OutputDirectory.commit(to: data + "/out", inputs: [data]) { _ in }
        XCTAssertTrue(OutputDirectory.isLexicellOutput(data + "/out"))
    }

    func testStaleSiblingsOfDeadRunsAreCleanedOnlyWithTheMarker() throws {
        let out = dir + "/run"
        try OutputDirectory.commit(to: out) { tmp in try put("old", tmp + "/a.txt") }
        let pid = try deadPid()
        let stale = dir + "/.run.lexicell-tmp-\(pid)"
        try fm.createDirectory(atPath: stale, withIntermediateDirectories: false)
        try put("", stale + "/" + OutputDirectory.marker)
        try put("half", stale + "/a.txt")
        let foreign = dir + "/.run.lexicell-tmp-\(pid + 1_000_000)"
        try fm.createDirectory(atPath: foreign, withIntermediateDirectories: false)
        try put("not ours", foreign + "/notes.txt")
        let live = dir + "/.run.lexicell-tmp-1"  // pid 1 is alive
        try fm.createDirectory(atPath: live, withIntermediateDirectories: false)
        try put("", live + "/" + OutputDirectory.marker)

        try OutputDirectory.commit(to: out) { tmp in try put("new", tmp + "/a.txt") }
        XCTAssertFalse(fm.fileExists(atPath: stale), "a dead run's temporary folder with the marker is removed")
        XCTAssertEqual(text(foreign + "/notes.txt"), "not ours", "a folder without the marker is never deleted")
        XCTAssertTrue(fm.fileExists(atPath: live), "a live process's folder is left alone")
        XCTAssertEqual(text(out + "/a.txt"), "new")
    }

    /// A run killed between "old aside" and "new in" leaves no output at the path; the next run puts the old one back first.
    func testOldOutputSetAsideByAKilledRunIsRestored() throws {
        let out = dir + "/run"
        try OutputDirectory.commit(to: out) { tmp in try put("old", tmp + "/a.txt") }
        let pid = try deadPid()
        XCTAssertEqual(rename(out, dir + "/.run.lexicell-old-\(pid)"), 0)
        var seen: String?
        struct Stop: Error {}
        XCTAssertThrowsError(
            try OutputDirectory.commit(to: out) { _ in
                seen = self.text(out + "/a.txt")
                throw Stop()
            })
        XCTAssertEqual(seen, "old", "the old output is back in place before the new one is written")
        XCTAssertEqual(text(out + "/a.txt"), "old")
        XCTAssertEqual(contents(dir), ["run"])
    }
}

/// zlib counts bytes in UInt32; inputs over 4 GiB are handed over in slices (here lowered to a few bytes).
final class GzipSlicingTests: XCTestCase {
    func testSlicedInflateAndDeflate() throws {
        let saved = FileData.inputSlice
        defer { FileData.inputSlice = saved }
        var rng = SeededGenerator(seed: 3)
        let text = (0..<5000).map { _ in UInt8(truncatingIfNeeded: 65 + rng.next() % 26) }
        let whole = FileData.gzip(text)
        for slice in [1, 7, 4096] {
            FileData.inputSlice = slice
            let sliced = FileData.gzip(text)
            XCTAssertEqual(try FileData.gunzip(sliced, name: "a.gz"), text, "slice \(slice)")
            XCTAssertEqual(try FileData.gunzip(whole + [0, 0] + whole, name: "two.gz"), text + text, "two members, slice \(slice)")
            assertLexicellError(["cut.gz", "truncated"]) { _ = try FileData.gunzip(Array(whole.dropLast(9)), name: "cut.gz") }
        }
        assertLexicellError(["empty.gz", "empty"]) { _ = try FileData.gunzip([], name: "empty.gz") }
    }
}

final class FileDataEdgeTests: XCTestCase {
    func testEmptyAndMissingFiles() throws {
        let dir = temporaryDirectory("filedata")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.txt"))
        XCTAssertEqual(try FileData.read(dir + "/empty.txt"), [])
        assertLexicellError([dir + "/none.txt", "file not found"]) { _ = try FileData.read(dir + "/none.txt") }
        // A gzip magic with nothing after it is a truncated stream, named.
        try Data([0x1f, 0x8b]).write(to: URL(fileURLWithPath: dir + "/cut.gz"))
        assertLexicellError(["cut.gz", "truncated"]) { _ = try FileData.read(dir + "/cut.gz") }
    }
}
