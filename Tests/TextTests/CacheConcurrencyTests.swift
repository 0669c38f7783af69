import Foundation
import XCTest
@testable import LexicellText
import LexicellCore
import GRDB

/// Two runs sharing one embedding cache must never fail with "database is locked": WAL, a busy timeout,
/// IMMEDIATE write transactions and a race-safe schema creation.
final class CacheConcurrencyTests: XCTestCase {
    let model = "test-model@1:mean:norm"

    /// A deterministic vector per text index.
    private func vector(_ i: Int, dim: Int = 8) -> [Float] { (0..<dim).map { Float(i * 31 + $0) / 7 } }
    private func key(_ i: Int) -> [UInt8] { EmbeddingCache.key("text \(i)") }

    /// Two handles (each its own connection pool, as two processes have) create the same new cache at once,
    /// then hammer it with overlapping writes and reads from two threads.
    func testTwoHandlesCreateAndHammerOneCache() throws {
        let path = Fixtures.temporaryPath(".sqlite")
        var caches = [EmbeddingCache?](repeating: nil, count: 2)
        var errors = [Error]()
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            do {
                let c = try EmbeddingCache(path: path)
                lock.lock(); caches[t] = c; lock.unlock()
            } catch {
                lock.lock(); errors.append(error); lock.unlock()
            }
        }
        XCTAssertTrue(errors.isEmpty, "opening: \(errors)")
        let handles = try caches.map { try XCTUnwrap($0) }

        // Thread t writes batches of keys t, t+2, … and the shared keys 1000…; both read everything often.
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            let cache = handles[t]
            do {
                for round in 0..<40 {
                    let mine = (0..<5).map { round * 10 + t + 2 * $0 }
                    let shared = [1000 + round % 7]
                    try cache.store(model: model, entries: (mine + shared).map { (key($0), vector($0)) })
                    let found = try cache.lookup(model: model, keys: (mine + shared).map(key))
                    for i in mine + shared where found[key(i)] != vector(i) {
                        throw LexicellError("thread \(t) round \(round): vector \(i) read back wrong")
                    }
                    _ = try cache.lookup(model: model, keys: (0..<400).map(key))
                }
            } catch {
                lock.lock(); errors.append(error); lock.unlock()
            }
        }
        XCTAssertTrue(errors.isEmpty, "hammering: \(errors)")
        var all = Set<Int>(1000..<1007)
        for r in 0..<40 { for t in 0..<2 { for j in 0..<5 { all.insert(r * 10 + t + 2 * j) } } }
        let fresh = try EmbeddingCache(path: path)
        let found = try fresh.lookup(model: model, keys: all.map(key))
        XCTAssertEqual(found.count, all.count)
        for i in all { XCTAssertEqual(found[key(i)], vector(i), "vector \(i)") }
        XCTAssertEqual(try fresh.count(model: model), all.count)
        XCTAssertEqual(try fresh.integrityCheck(), "ok")
    }

    /// Another process (the sqlite3 shell) holds the write lock for two seconds: our store waits for it
    /// instead of failing, reads go on meanwhile, and both processes' rows end up in a sound database.
    func testWriterWaitsForAnotherProcessHoldingTheLock() throws {
        let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let sqlite3 else { throw XCTSkip("the sqlite3 shell is not installed (apt-get install sqlite3)") }
        let path = Fixtures.temporaryPath(".sqlite")
        let cache = try EmbeddingCache(path: path)
        try cache.store(model: model, entries: [(key(0), vector(0))])

        let locked = path + ".locked"
        let blob = vector(1).map { String(format: "%08x", $0.bitPattern.byteSwapped) }.joined()
        let hexKey = key(1).map { String(format: "%02x", $0) }.joined()
        let script = """
            .timeout 30000
            BEGIN IMMEDIATE;
            INSERT INTO embeddings VALUES ('\(model)', x'\(hexKey)', 8, x'\(blob)');
            .shell touch '\(locked)'
            .shell sleep 2
            COMMIT;
            """
        let child = Process()
        child.executableURL = URL(fileURLWithPath: sqlite3)
        child.arguments = [path]
        let input = Pipe(), output = Pipe()
        child.standardInput = input
        child.standardOutput = output
        child.standardError = output
        try child.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        // Wait (without a deadline assertion) until the child holds the write lock.
        while !FileManager.default.fileExists(atPath: locked) && child.isRunning { usleep(10_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: locked), "sqlite3 never took the lock: \(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")

        // Reads never need the write lock; the store waits for the child's COMMIT.
        XCTAssertEqual(try cache.lookup(model: model, keys: [key(0)])[key(0)], vector(0))
        try cache.store(model: model, entries: [(key(2), vector(2))])
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 0, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))

        let found = try EmbeddingCache(path: path).lookup(model: model, keys: [key(0), key(1), key(2)])
        XCTAssertEqual(found[key(0)], vector(0))
        XCTAssertEqual(found[key(1)], vector(1), "the other process's row, written as little-endian Float32")
        XCTAssertEqual(found[key(2)], vector(2))
        XCTAssertEqual(try cache.integrityCheck(), "ok")
    }

    /// The opening race alone, many times: two handles creating the same new cache file at the same moment
    /// (SQLite answers "database is locked" without waiting while a new file is switched to WAL).
    func testSimultaneousCreationOfNewCaches() throws {
        for round in 0..<30 {
            let path = Fixtures.temporaryPath(".sqlite")
            var errors = [String]()
            let lock = NSLock()
            DispatchQueue.concurrentPerform(iterations: 2) { t in
                do {
                    let cache = try EmbeddingCache(path: path)
                    try cache.store(model: model, entries: [(key(t), vector(t))])
                } catch {
                    lock.lock(); errors.append("round \(round), handle \(t): \(error)"); lock.unlock()
                }
            }
            XCTAssertEqual(errors, [])
            XCTAssertEqual(try EmbeddingCache(path: path).count(model: model), 2, "round \(round)")
        }
    }

    func testConfigurationWaitsInsteadOfFailing() {
        let c = EmbeddingCache.configuration()
        guard case .timeout(let seconds) = c.busyMode else { return XCTFail("busy mode is not a timeout") }
        XCTAssertEqual(seconds, EmbeddingCache.busyTimeout)
        XCTAssertGreaterThanOrEqual(seconds, 30)
    }
}
