import Foundation
import LexicellCore
import LexicellText
import XCTest
@testable import LexicellRemote

/// The API keys reach the servers and nothing else: no log line, cache byte, report, file or error message.
final class KeyLeakTests: XCTestCase {
    let openAIKey = "sk-lexicell-test-7QmZ2xR9vK4pT8wN3bJ6"
    let ncbiKey = "c0ffee5ec7e70000badd00d5a1b2c3d4e5f6"

    private func assertNoKey(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for key in [openAIKey, ncbiKey] {
            XCTAssertFalse(text.contains(key), "\(what) holds a key: \(text)", file: file, line: line)
            // Nor any 8-character piece of it (servers echo partial keys).
            let c = Array(key)
            for i in 0...(c.count - 8) where text.contains(String(c[i..<(i + 8)])) {
                XCTFail("\(what) holds part of a key (\(String(c[i..<(i + 8)]))): \(text)", file: file, line: line)
                return
            }
        }
    }

    private func assertNoKey(bytes: [UInt8], _ what: String) {
        for key in [openAIKey, ncbiKey] {
            let k = Array(key.utf8)
            let found = bytes.count >= k.count && (0...(bytes.count - k.count)).contains { bytes[$0..<($0 + k.count)].elementsEqual(k) }
            XCTAssertFalse(found, "\(what) holds a key")
        }
    }

    func testKeysAppearNowhere() throws {
        let dir = temporaryDirectory("leak")
        let cachePath = dir + "/embeddings.sqlite"
        let env = ["OPENAI_API_KEY": openAIKey, "NCBI_API_KEY": ncbiKey]
        let lines = LogLines()
        var messages = [String]()

        // Embeddings: a retried 500 whose body echoes the key, a 429, success, then a 401 echoing it again.
        let log = RequestLog()
        let key = openAIKey
        let server = try fakeEmbeddingServer(log: log) { n in
            switch n {
            case 1: return .status(500, headers: [:], body: #"{"error":{"message":"internal error for key \#(key)"}}"#)
            case 2: return .status(429, headers: ["Retry-After": "0"], body: "slow down \(key)")
            case 3, 4: return .ok
            default: return .status(401, headers: [:], body: #"{"error":{"message":"Incorrect API key provided: \#(key.prefix(8))****\#(key.suffix(4))."}}"#)
            }
        }
        var o = quickOptions(maxInputs: 2, concurrency: 1)
        o.dimension = 8
        let embedder = try RemoteEmbedder(spec: "\(server.base):fake-model", options: o, environment: env, log: lines.sink)
        let cache = try EmbeddingCache(path: cachePath)
        let cached = try embedder.cached(in: cache)
        let texts = ["alpha", "beta", "gamma", "delta"]
        _ = try cached.embed(texts, progress: nil)
        XCTAssertEqual(log.all.map(\.authorization), Array(repeating: "Bearer \(openAIKey)", count: 4), "the key is sent")
        XCTAssertThrowsError(try embedder.embed(["epsilon"], progress: nil)) {
            messages.append("\($0)"); messages.append($0.localizedDescription)
        }
        messages.append(try RemoteEmbedder.dryRun(texts: texts, model: embedder.remote, cache: cache).description)
        messages.append("\(embedder.remote)")
        messages.append(String(describing: APIKey.fromEnvironment("OPENAI_API_KEY", environment: env)!))
        messages.append(String(reflecting: APIKey.fromEnvironment("OPENAI_API_KEY", environment: env)!))
        var dumped = ""
        dump(APIKey.fromEnvironment("OPENAI_API_KEY", environment: env)!, to: &dumped)
        messages.append(dumped)

        // NCBI: the key goes in the POST body; an "invalid key" answer echoes it.
        let ncbiLog = RequestLog()
        let nkey = ncbiKey
        let eutils = try fakeEUtils(log: ncbiLog) { n in
            n == 1
                ? (429, #"{"error":"API rate limit exceeded","api-key":"\#(nkey)","count":"11","limit":"10"}"#)
                : n >= 4 ? (400, #"{"error":"API key invalid","api-key":"\#(nkey)","type":"invalid","status":"unknown"}"#) : nil
        }
        var no = NCBIGeneOptions()
        no.baseURL = eutils.base + "/entrez/eutils/"
        no.retry.baseDelay = 0.005
        let ncbiCache = dir + "/ncbi.tsv"
        let ncbi = try NCBIGeneClient(options: no, cachePath: ncbiCache, environment: env, log: lines.sink)
        let genes = try ncbi.fetch(symbols: ["Gapdh"], species: .mouse)
        XCTAssertEqual(formFields(ncbiLog.all[0].body)["api_key"], ncbiKey, "the key is sent")
        messages.append(genes.report)
        try genes.writeTSV(path: dir + "/genes.tsv")
        XCTAssertThrowsError(try ncbi.fetch(symbols: ["Pomc"], species: .mouse)) {
            messages.append("\($0)")
            XCTAssertTrue("\($0)".contains("NCBI_API_KEY"), "\($0)")
        }

        XCTAssertGreaterThanOrEqual(lines.all.count, 3)
        for l in lines.all { assertNoKey(l, "log line") }
        for m in messages { assertNoKey(m, "message") }
        XCTAssertTrue(messages[0].contains("OPENAI_API_KEY"), messages[0])
        // Every byte of the SQLite cache (and its WAL), the NCBI cache and the written TSV.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertTrue(files.contains("embeddings.sqlite") && files.contains("ncbi.tsv") && files.contains("genes.tsv"), "\(files)")
        for f in files {
            assertNoKey(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))), f)
        }
        XCTAssertEqual(try cache.count(model: embedder.modelIdentity), 4)
    }
}
