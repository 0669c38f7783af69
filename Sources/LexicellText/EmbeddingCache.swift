import Foundation
import GRDB
import LexicellCore

/// Text embeddings on disk in SQLite (WAL mode), keyed by (model identity, SHA-256 of the exact text).
/// Each `store` is its own transaction, so an interrupted run keeps everything already stored.
public final class EmbeddingCache: @unchecked Sendable {
    static let format = "lexicell-embedding-cache"
    static let schemaVersion = 1

    public let path: String
    private let db: DatabasePool

    public init(path: String) throws {
        self.path = path
        let fm = FileManager.default
        if let handle = FileHandle(forReadingAtPath: path) {
            let head = (try? handle.read(upToCount: 16)) ?? Data()
            try? handle.close()
            if !head.isEmpty && head != Data("SQLite format 3\0".utf8) {
                throw LexicellError("not an SQLite database; expected a Lexicell embedding cache (delete it or choose another path)",
                                    file: path)
            }
        } else {
            try? fm.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                                    withIntermediateDirectories: true)
        }
        do {
            // SQLite returns "database is locked" without waiting in a few cases (switching a new file to
            // WAL while another connection does the same, WAL recovery): opening is retried until the timeout.
            let pool = try Self.retrying { try DatabasePool(path: path, configuration: Self.configuration()) }
            db = pool
            // One IMMEDIATE transaction: two processes creating the cache at once are serialised by SQLite's
            // write lock, and the second sees the first one's tables.
            try Self.retrying { try pool.write { db in
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                if tables.isEmpty {
                    try db.execute(sql: """
                        CREATE TABLE IF NOT EXISTS lexicell_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                        CREATE TABLE IF NOT EXISTS embeddings (
                            model TEXT NOT NULL, text_sha256 BLOB NOT NULL, dim INTEGER NOT NULL,
                            vector BLOB NOT NULL, PRIMARY KEY (model, text_sha256)) WITHOUT ROWID;
                        """)
                    try db.execute(sql: "INSERT OR IGNORE INTO lexicell_meta VALUES ('format', ?), ('version', ?)",
                                   arguments: [Self.format, String(Self.schemaVersion)])
                    return
                }
                guard tables.contains("lexicell_meta"), tables.contains("embeddings") else {
                    throw LexicellError("SQLite database without the embedding-cache schema (tables: \(tables.sorted().joined(separator: ", "))); not a Lexicell cache",
                                        file: path)
                }
                let meta = Dictionary(try Row.fetchAll(db, sql: "SELECT key, value FROM lexicell_meta")
                    .map { (($0["key"] as String?) ?? "", ($0["value"] as String?) ?? "") }, uniquingKeysWith: { a, _ in a })
                guard meta["format"] == Self.format else {
                    throw LexicellError("SQLite database is not a Lexicell embedding cache (format \(meta["format"] ?? "missing"))",
                                        file: path)
                }
                guard meta["version"] == String(Self.schemaVersion) else {
                    throw LexicellError("embedding cache has schema version \(meta["version"] ?? "missing"), this Lexicell reads version \(Self.schemaVersion)",
                                        file: path)
                }
            } }
        } catch let e as LexicellError {
            throw e
        } catch {
            throw LexicellError("cannot open embedding cache (\(Self.describe(error)))", file: path)
        }
    }

    /// How long a writer waits for another process's write lock before giving up.
    public static let busyTimeout: TimeInterval = 30

    /// WAL journal (readers never block writers nor take write locks), a busy timeout instead of an
    /// immediate "database is locked", and IMMEDIATE write transactions (GRDB's default for writes).
    static func configuration() -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.journalMode = .wal
        config.label = "lexicell-embedding-cache"
        return config
    }

    /// Runs `body`, again after a short pause while SQLite reports the database busy or locked without
    /// having waited itself, for at most `busyTimeout`.
    static func retrying<T>(_ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(busyTimeout)
        var pause: UInt32 = 10_000
        while true {
            do {
                return try body()
            } catch let e as DatabaseError where (e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED) && Date() < deadline {
                usleep(pause + UInt32.random(in: 0..<pause))
                pause = min(pause * 2, 200_000)
            }
        }
    }

    /// SQLite's own consistency check of the cache file ("ok" when sound).
    public func integrityCheck() throws -> String {
        try Self.retrying { try db.read { try String.fetchAll($0, sql: "PRAGMA integrity_check").joined(separator: "; ") } }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError { return "SQLite: \(e.message ?? e.resultCode.description)" }
        return "\(error)"
    }

    /// SHA-256 of the text's UTF-8 bytes: the cache key.
    public static func key(_ text: String) -> [UInt8] { SHA256.digest(Array(text.utf8)) }

    /// The cached vectors for `keys` under `model`; absent keys are missing from the result.
    public func lookup(model: String, keys: [[UInt8]]) throws -> [[UInt8]: [Float]] {
        do {
            return try Self.retrying { try db.read { db in
                var found = [[UInt8]: [Float]]()
                let statement = try db.cachedStatement(
                    sql: "SELECT dim, vector FROM embeddings WHERE model = ? AND text_sha256 = ?")
                for key in keys {
                    guard let row = try Row.fetchOne(statement, arguments: [model, Data(key)]) else { continue }
                    let dim: Int = row["dim"]
                    let blob: Data = row["vector"]
                    guard blob.count == dim * 4 else {
                        throw LexicellError("cache entry has \(blob.count) bytes for \(dim) dimensions (corrupt cache)",
                                            file: path)
                    }
                    found[key] = blob.withUnsafeBytes { raw in
                        (0..<dim).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
                    }
                }
                return found
            } }
        } catch let e as LexicellError {
            throw e
        } catch {
            throw LexicellError("cannot read embedding cache (\(Self.describe(error)))", file: path)
        }
    }

    /// Stores vectors in one transaction (committed when this returns).
    public func store(model: String, entries: [(key: [UInt8], vector: [Float])]) throws {
        do {
            try Self.retrying { try db.write { db in
                let statement = try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO embeddings (model, text_sha256, dim, vector) VALUES (?, ?, ?, ?)")
                for (key, vector) in entries {
                    var blob = Data(count: vector.count * 4)
                    blob.withUnsafeMutableBytes { raw in
                        for (i, v) in vector.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
                    }
                    try statement.execute(arguments: [model, Data(key), vector.count, blob])
                }
            } }
        } catch {
            throw LexicellError("cannot write embedding cache (\(Self.describe(error)))", file: path)
        }
    }

    /// Number of vectors stored for `model`.
    public func count(model: String) throws -> Int {
        try Self.retrying { try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM embeddings WHERE model = ?", arguments: [model]) ?? 0 } }
    }
}

/// A `TextEmbedder` that answers from the cache and embeds only the missing texts, storing each finished
/// batch at once (a killed run resumes where it stopped).
public final class CachedEmbedder: TextEmbedder, @unchecked Sendable {
    public struct Report: Sendable, Equatable {
        public var cached: Int
        public var computed: Int
    }

    public let base: TextEmbedder
    public let cache: EmbeddingCache
    /// Texts handed to the base embedder at a time; each batch is committed before the next starts.
    public var batchSize: Int
    /// Counts of the last `embed` call, in distinct texts.
    public private(set) var lastReport = Report(cached: 0, computed: 0)

    public init(base: TextEmbedder, cache: EmbeddingCache, batchSize: Int = 256) {
        self.base = base
        self.cache = cache
        self.batchSize = max(1, batchSize)
    }

    public var modelIdentity: String { base.modelIdentity }
    public var dimension: Int { base.dimension }

    public func embed(_ texts: [String], progress: ProgressLine?) throws -> DenseMatrix {
        let model = base.modelIdentity, dim = base.dimension
        let keys = texts.map(EmbeddingCache.key)
        var firstIndex = [[UInt8]: Int]()
        for (i, k) in keys.enumerated() where firstIndex[k] == nil { firstIndex[k] = i }
        var vectors = try cache.lookup(model: model, keys: Array(firstIndex.keys))
        for (k, v) in vectors where v.count != dim {
            throw LexicellError("cached vector for text \(firstIndex[k]!) has \(v.count) dimensions, model \(model) gives \(dim)",
                                file: cache.path)
        }
        let cachedCount = vectors.count
        progress?.advance(by: cachedCount)
        // Similar lengths together so the encoder's batches pack well.
        let missing = firstIndex.filter { vectors[$0.key] == nil }.map(\.value)
            .sorted { (texts[$0].utf8.count, $1) > (texts[$1].utf8.count, $0) }
        lastReport = Report(cached: cachedCount, computed: 0)
        for start in stride(from: 0, to: missing.count, by: batchSize) {
            let chunk = Array(missing[start..<min(start + batchSize, missing.count)])
            let out = try base.embed(chunk.map { texts[$0] }, progress: nil)
            guard out.rows == chunk.count, out.cols == dim else {
                throw LexicellError("embedder \(model) returned \(out.rows)×\(out.cols) for \(chunk.count) texts of dimension \(dim)")
            }
            var entries = [(key: [UInt8], vector: [Float])]()
            for (r, i) in chunk.enumerated() {
                let v = Array(out.row(r))
                vectors[keys[i]] = v
                entries.append((keys[i], v))
            }
            try cache.store(model: model, entries: entries)
            lastReport.computed += chunk.count
            progress?.advance(by: chunk.count)
        }
        var result = DenseMatrix(rows: texts.count, cols: dim)
        for (i, k) in keys.enumerated() {
            result.values.replaceSubrange((i * dim)..<((i + 1) * dim), with: vectors[k]!)
        }
        return result
    }
}
