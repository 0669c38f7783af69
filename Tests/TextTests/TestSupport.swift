import Foundation
import XCTest
@testable import LexicellText
import LexicellCore
@_exported import LexicellTestSupport

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func folder(_ name: String) -> URL { directory.appendingPathComponent(name) }

    struct Case: Decodable { var text: String; var ids: [Int32] }
    struct Truncation: Decodable { var text: String; var max_length: Int; var ids: [Int32] }
    struct Vectors: Decodable { var cls: [[Float]]; var mean: [[Float]] }
    struct Expected: Decodable {
        var tokenizer_cased: [Case]
        var truncation_cased: Truncation
        var forward_texts: [String]
        var forward_ids: [[Int32]]
        var f32: Vectors
        var bf16: Vectors
        var tokenizer_uncased_minilm: [Case]
    }

    /// Outputs recorded by scripts/text_make_fixtures.py (transformers + tokenizers).
    static let expected: Expected = {
        let data = try! Data(contentsOf: directory.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    /// A scratch copy of a fixture folder that a test may damage.
    static func copy(_ name: String) throws -> URL {
        let dest = FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-text-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder(name), to: dest)
        return dest
    }

    static func temporaryPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-text-\(UUID().uuidString)\(suffix)").path
    }
}

/// The real all-MiniLM-L6-v2, found through ModelStore (LEXICELL_MODELS or the default folder). Loaded once.
enum MiniLM {
    nonisolated(unsafe) private static var cache: [String: BertEncoder] = [:]
    private static let lock = NSLock()

    static func folder() throws -> ModelFolder {
        let store = ModelStore()
        do {
            return try store.resolve(ModelStore.defaultModelName)
        } catch {
            XCTFail("all-MiniLM-L6-v2 is not installed in \(store.directory.path): run `make models` (or set LEXICELL_MODELS). \(error)")
            throw error
        }
    }

    static func encoder(pooling: BertEncoder.Pooling, normalize: Bool) throws -> BertEncoder {
        lock.lock(); defer { lock.unlock() }
        let key = "\(pooling)\(normalize)"
        if let e = cache[key] { return e }
        let e = try folder().encoder(pooling: pooling, normalize: normalize)
        cache[key] = e
        return e
    }
}

func assertClose(
    _ a: ArraySlice<Float>, _ b: [Float], tolerance: Float, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, "length differs \(message)", file: file, line: line)
    var worst: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
    XCTAssertLessThanOrEqual(worst, tolerance, "max |Δ| = \(worst) \(message)", file: file, line: line)
}
