import XCTest
@testable import LexicellText
import LexicellCore
import GRDB

/// Wraps the tiny fixture encoder, counting texts it embeds and failing on a chosen call (a "killed" run).
final class CountingEmbedder: TextEmbedder {
    let base: BertEncoder
    var calls = 0
    var embeddedTexts = 0
    var failOnCall: Int?
    init(base: BertEncoder) { self.base = base }
    var modelIdentity: String { base.modelIdentity }
    var dimension: Int { base.dimension }
    func embed(_ texts: [String], progress: ProgressLine?) throws -> DenseMatrix {
        calls += 1
        if let failOnCall, calls >= failOnCall { throw LexicellError("simulated kill") }
        embeddedTexts += texts.count
        return try base.embed(texts, progress: progress)
    }
}

final class CacheTests: XCTestCase {
    let texts = (0..<23).map { "Gene \($0) encodes a protein in cells" + String(repeating: " and DNA", count: $0 % 4) }

    private func tinyEncoder() throws -> BertEncoder {
        try ModelFolder.load(Fixtures.folder("tiny-bert-cased").path, pooling: .mean, normalize: true)
    }

    func testSecondRunEmbedsNothingAndReturnsSameVectors() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        let encoder = try tinyEncoder()
        let direct = try encoder.embed(texts, progress: nil)

        let counting = CountingEmbedder(base: encoder)
        let first = CachedEmbedder(base: counting, cache: try EmbeddingCache(path: path), batchSize: 5)
        let a = try first.embed(texts + [texts[0]], progress: nil)  // a duplicate is embedded once
        XCTAssertEqual(first.lastReport, .init(cached: 0, computed: 23))
        XCTAssertEqual(counting.embeddedTexts, 23)
        // Other batch compositions change BLAS summation order: equal within rounding.
        for i in texts.indices { assertClose(a.row(i), Array(direct.row(i)), tolerance: 1e-6, "text \(i)") }
        XCTAssertEqual(Array(a.row(23)), Array(a.row(0)))

        // A new process: fresh cache handle, fresh embedder.
        let counting2 = CountingEmbedder(base: encoder)
        let second = CachedEmbedder(base: counting2, cache: try EmbeddingCache(path: path))
        let b = try second.embed(texts, progress: nil)
        XCTAssertEqual(second.lastReport, .init(cached: 23, computed: 0))
        XCTAssertEqual(counting2.calls, 0)
        XCTAssertEqual(b.values, Array(a.values.prefix(23 * a.cols)))  // blobs round-trip Float32 bits exactly
        XCTAssertEqual(try second.cache.count(model: encoder.modelIdentity), 23)
    }

    func testKilledRunResumesWithOnlyTheRest() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        let encoder = try tinyEncoder()
        let killed = CountingEmbedder(base: encoder)
        killed.failOnCall = 3  // two batches of 5 succeed
        let run1 = CachedEmbedder(base: killed, cache: try EmbeddingCache(path: path), batchSize: 5)
        XCTAssertThrowsError(try run1.embed(texts, progress: nil))
        XCTAssertEqual(try run1.cache.count(model: encoder.modelIdentity), 10)

        let resumed = CountingEmbedder(base: encoder)
        let run2 = CachedEmbedder(base: resumed, cache: try EmbeddingCache(path: path), batchSize: 5)
        let out = try run2.embed(texts, progress: nil)
        XCTAssertEqual(run2.lastReport, .init(cached: 10, computed: 13))
        XCTAssertEqual(resumed.embeddedTexts, 13)
        let direct = try encoder.embed(texts, progress: nil)
        for i in texts.indices { assertClose(out.row(i), Array(direct.row(i)), tolerance: 1e-6, "text \(i)") }
    }

    func testOtherModelIdentityDoesNotHit() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        let mean = try tinyEncoder()
        let cls = try ModelFolder.load(Fixtures.folder("tiny-bert-cased").path, pooling: .cls, normalize: true)
        _ = try CachedEmbedder(base: mean, cache: try EmbeddingCache(path: path)).embed(texts, progress: nil)
        let other = CachedEmbedder(base: cls, cache: try EmbeddingCache(path: path))
        _ = try other.embed(texts, progress: nil)
        XCTAssertEqual(other.lastReport, .init(cached: 0, computed: 23))
    }

    func testNonSQLiteFileIsRejected() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        try Data("gene\tvector\nTP53\t0.1\n".utf8).write(to: URL(fileURLWithPath: path))
        assertThrowsLexicell(try EmbeddingCache(path: path), containing: ["not an SQLite database", (path as NSString).lastPathComponent])
    }

    func testCorruptSQLiteFileIsRejected() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        var bytes = [UInt8]("SQLite format 3\0".utf8)
        bytes += [UInt8](repeating: 0xA5, count: 8192)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        assertThrowsLexicell(try EmbeddingCache(path: path), containing: ["embedding cache"])
    }

    func testForeignSQLiteDatabaseIsRejected() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: "CREATE TABLE cells (barcode TEXT, label TEXT)") }
        try q.close()
        assertThrowsLexicell(try EmbeddingCache(path: path), containing: ["without the embedding-cache schema", "cells"])
    }

    func testOtherSchemaVersionIsRejected() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        _ = try EmbeddingCache(path: path)
        let q = try DatabaseQueue(path: path)
        try q.write { try $0.execute(sql: "UPDATE lexicell_meta SET value = '7' WHERE key = 'version'") }
        try q.close()
        assertThrowsLexicell(try EmbeddingCache(path: path), containing: ["schema version 7", "version 1"])
    }

    func testCacheUsesWAL() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        _ = try EmbeddingCache(path: path)
        let q = try DatabaseQueue(path: path)
        XCTAssertEqual(try q.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }, "wal")
    }
}
