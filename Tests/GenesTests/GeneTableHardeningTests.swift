import Foundation
import XCTest
import LexicellCore
@testable import LexicellGenes

/// `.lxge` headers that lie about sizes end in an error naming the file and the header field, before any
/// vector memory is allocated.
final class GeneTableHardeningTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "lexicell-lxge-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Magic, the little-endian header length (`length` overrides the true one), the JSON header, then `data`.
    private func lxge(_ name: String, json: String, length: UInt64? = nil, data: [UInt8] = []) throws -> String {
        var bytes = GeneEmbeddingTable.magic
        let header = Array(json.utf8)
        let len = length ?? UInt64(header.count)
        for i in 0..<8 { bytes.append(UInt8((len >> (8 * UInt64(i))) & 0xff)) }
        bytes += header + data
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }

    private func expectError(_ path: String, _ fragments: [String], line: UInt = #line) {
        XCTAssertThrowsError(try GeneEmbeddingTable.load(path: path), line: line) { error in
            let s = "\(error)"
            for f in [(path as NSString).lastPathComponent] + fragments { XCTAssertTrue(s.contains(f), "\"\(s)\" lacks \"\(f)\"", line: line) }
        }
    }

    func testValidFileStillReads() throws {
        let p = try lxge("ok.lxge", json: #"{"count":2,"dimension":2,"modelIdentity":"m","symbols":["A","B"]}"#, data: floats([1, 2, 3, 4]))
        let t = try GeneEmbeddingTable.load(path: p)
        XCTAssertEqual(t.symbols, ["A", "B"])
        XCTAssertEqual(t.vectors.values, [1, 2, 3, 4])
    }

    func testDimensionTwoToThe62() throws {
        let p = try lxge("dim.lxge", json: #"{"count":1,"dimension":4611686018427387904,"modelIdentity":"m","symbols":["A"]}"#, data: floats([1]))
        expectError(p, ["'count' × 'dimension'", "4611686018427387904", "overflows"])
    }

    func testCountTimesDimensionOverflow() throws {
        let p = try lxge("mul.lxge", json: #"{"count":4294967296,"dimension":4294967296,"modelIdentity":"m","symbols":[]}"#)
        // symbols ≠ count is found first: nothing is allocated either way.
        expectError(p, ["'symbols'", "0 symbols but 'count' is 4294967296"])
        let q = try lxge("mul2.lxge", json: #"{"count":2,"dimension":2305843009213693952,"modelIdentity":"m","symbols":["A","B"]}"#)
        expectError(q, ["'count' × 'dimension'", "overflows"])
        let big = try lxge("big.lxge", json: #"{"count":2,"dimension":1000000000,"modelIdentity":"m","symbols":["A","B"]}"#, data: floats([1]))
        expectError(big, ["expected 8000000000 bytes of vectors", "found 4", "truncated file"])
    }

    func testHeaderLengthBeyondTheFile() throws {
        let p = try lxge("len.lxge", json: #"{"count":0}"#, length: UInt64.max)
        expectError(p, ["header length field says 18446744073709551615 bytes", "only 11 bytes follow"])
        let q = try lxge("len2.lxge", json: #"{"count":0}"#, length: 1 << 40)
        expectError(q, ["header length field says 1099511627776 bytes"])
    }

    func testSymbolsCountAndOtherFields() throws {
        let p = try lxge("sym.lxge", json: #"{"count":3,"dimension":1,"modelIdentity":"m","symbols":["A","B"]}"#, data: floats([1, 2, 3]))
        expectError(p, ["'symbols': 2 symbols but 'count' is 3", "one symbol per vector"])
        let neg = try lxge("neg.lxge", json: #"{"count":-1,"dimension":1,"modelIdentity":"m","symbols":[]}"#)
        expectError(neg, ["'count': -1"])
        let zero = try lxge("zero.lxge", json: #"{"count":1,"dimension":0,"modelIdentity":"m","symbols":["A"]}"#)
        expectError(zero, ["'dimension': 0", "positive"])
        let dup = try lxge("dup.lxge", json: #"{"count":2,"dimension":1,"modelIdentity":"m","symbols":["A","A"]}"#, data: floats([1, 2]))
        expectError(dup, ["'symbols'", "'A' twice"])
        let long = try lxge("long.lxge", json: #"{"count":1,"dimension":1,"modelIdentity":"m","symbols":["A"]}"#, data: floats([1, 2]))
        expectError(long, ["expected 4 bytes", "found 8", "trailing bytes"])
        let nan = try lxge("nan.lxge", json: #"{"count":2,"dimension":2,"modelIdentity":"m","symbols":["A","B"]}"#, data: floats([1, 2, 3, .infinity]))
        expectError(nan, ["vector of 'B'", "inf", "position 2", "finite"])
        let json = try lxge("json.lxge", json: #"{"count":"many"}"#)
        expectError(json, ["corrupt JSON header"])
    }
}
