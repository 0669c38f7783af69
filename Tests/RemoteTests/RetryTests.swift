import Foundation
import LexicellCore
import LexicellGenes
import LexicellText
import XCTest
@testable import LexicellRemote

/// The embeddings client against a scripted local server: retries, backoff, errors, partial progress.
final class RetryTests: XCTestCase {
    let texts = (0..<10).map { "gene text number \($0): a protein that binds things" }

    private func embedder(
        _ server: LoopbackServer, _ options: RemoteEmbeddingOptions, env: [String: String] = [:],
        log: LogLines = LogLines()
    ) throws -> RemoteEmbedder {
        var o = options
        o.dimension = 8
        return try RemoteEmbedder(spec: "\(server.base):fake-model", options: o, environment: env, log: log.sink)
    }

    private func assertRowsMatchTexts(_ m: DenseMatrix, _ texts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(m.rows, texts.count, file: file, line: line)
        XCTAssertEqual(m.cols, 8, file: file, line: line)
        for (i, t) in texts.enumerated() {
            XCTAssertEqual(Array(m.row(i)), fakeVector(t), "row \(i)", file: file, line: line)
        }
    }

    func testRetryAfterSecondsIsHonoured() throws {
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { n in
            n == 1 ? .status(429, headers: ["Retry-After": "1"], body: #"{"error":{"message":"Rate limit reached","type":"requests"}}"#) : .ok
        }
        let lines = LogLines()
        let e = try embedder(server, quickOptions(), log: lines)
        let m = try e.embed(Array(texts.prefix(3)), progress: nil)
        assertRowsMatchTexts(m, Array(texts.prefix(3)))
        let times = log.all.map(\.time)
        XCTAssertEqual(times.count, 2)
        // Base delay is 5 ms: a gap near one second can only come from Retry-After.
        XCTAssertGreaterThanOrEqual(times[1] - times[0], 0.95)
        XCTAssertLessThan(times[1] - times[0], 3)
        XCTAssertTrue(
            lines.all.contains { $0.contains("HTTP 429") && $0.contains("Rate limit reached") && $0.contains("retrying in 1.00 s") },
            "\(lines.all)")
    }

    func testRetryAfterHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        XCTAssertEqual(RetryPolicy.retryAfterSeconds("Tue, 14 Nov 2023 22:13:27 GMT", now: now)!, 7, accuracy: 1e-9)
        XCTAssertEqual(RetryPolicy.retryAfterSeconds("Tue, 14 Nov 2023 22:13:00 GMT", now: now), 0)
        XCTAssertEqual(RetryPolicy.retryAfterSeconds(" 2.5 ", now: now), 2.5)
        XCTAssertNil(RetryPolicy.retryAfterSeconds("soon", now: now))
    }

    func testBackoffDoublesWithinJitterBounds() {
        var p = RetryPolicy()
        p.baseDelay = 0.5
        p.maxDelay = 3
        XCTAssertEqual(p.backoff(afterAttempt: 1, uniform: 1), 0.5)
        XCTAssertEqual(p.backoff(afterAttempt: 1, uniform: 0), 0.25)
        XCTAssertEqual(p.backoff(afterAttempt: 3, uniform: 1), 2.0)
        XCTAssertEqual(p.backoff(afterAttempt: 5, uniform: 1), 3.0)  // 8 s capped at maxDelay
        XCTAssertEqual(p.backoff(afterAttempt: 5, uniform: 0.5), 2.25)
    }

    func testServerErrorsThenSuccess() throws {
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { n in
            n <= 2 ? .status(n == 1 ? 500 : 503, headers: [:], body: "upstream overloaded") : .ok
        }
        let lines = LogLines()
        let e = try embedder(server, quickOptions(concurrency: 1), log: lines)
        let m = try e.embed(texts, progress: nil)
        assertRowsMatchTexts(m, texts)
        XCTAssertEqual(log.count, 3)
        XCTAssertEqual(e.requestsSent, 3)
        XCTAssertEqual(lines.all.count, 2)
        XCTAssertTrue(lines.all[0].contains("HTTP 500") && lines.all[1].contains("HTTP 503"), "\(lines.all)")
        XCTAssertEqual(e.tokensSoFar, 70)  // the server's usage.total_tokens, 7 per text
    }

    func testPersistentServerErrorStopsWithClearMessage() throws {
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { _ in .status(502, headers: [:], body: "bad gateway") }
        let e = try embedder(server, quickOptions(concurrency: 1, attempts: 3))
        XCTAssertThrowsError(try e.embed(texts, progress: nil)) { error in
            let s = "\(error)"
            XCTAssertTrue(s.contains("failed after 3 attempts") && s.contains("HTTP 502") && s.contains("bad gateway"), s)
        }
        XCTAssertEqual(log.count, 3)
    }

    func testUnauthorizedSaysWhatToFixWithoutTheKey() throws {
        let key = "sk-proj-Zq81xWmT4pVb9NcK2rLd"
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { _ in
            .status(
                401, headers: [:],
                body:
                    #"{"error":{"message":"Incorrect API key provided: sk-proj-****2rLd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}"#
            )
        }
        var o = quickOptions()
        o.apiKeyVariable = "LEXICELL_TEST_KEY"
        let e = try embedder(server, o, env: ["LEXICELL_TEST_KEY": key])
        XCTAssertThrowsError(try e.embed(texts, progress: nil)) { error in
            let s = "\(error)"
            XCTAssertTrue(s.contains("HTTP 401") && s.contains("LEXICELL_TEST_KEY") && s.contains("refused the API key"), s)
            XCTAssertFalse(s.contains(key), s)
            XCTAssertFalse(s.contains("2rLd"), "the server's partial echo of the key must be removed: \(s)")
        }
        XCTAssertEqual(log.count, 1, "401 is not retried")
        XCTAssertEqual(log.all[0].authorization, "Bearer \(key)")
    }

    func testMissingOpenAIKeyNamesTheVariable() {
        XCTAssertThrowsError(try RemoteEmbedder(spec: "openai:text-embedding-3-small", environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("set the environment variable OPENAI_API_KEY"), "\(error)")
        }
    }

    func testBadRequestAndNotFoundMessages() throws {
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { n in
            n == 1
                ? .status(400, headers: [:], body: #"{"error":{"message":"This model's maximum context length is 8192 tokens"}}"#)
                : .status(404, headers: [:], body: #"{"error":{"message":"The model 'nope' does not exist"}}"#)
        }
        let e = try embedder(server, quickOptions(concurrency: 1))
        XCTAssertThrowsError(try e.embed(texts, progress: nil)) { error in
            let s = "\(error)"
            XCTAssertTrue(s.contains("HTTP 400") && s.contains("maximum context length") && s.contains("input limit"), s)
        }
        XCTAssertThrowsError(try e.embed(texts, progress: nil)) { error in
            let s = "\(error)"
            XCTAssertTrue(s.contains("HTTP 404") && s.contains("check the base URL") && s.contains("fake-model"), s)
        }
    }

    func testMalformedJSONIsAClearError() throws {
        let server = try fakeEmbeddingServer(log: RequestLog()) { _ in .malformed }
        let e = try embedder(server, quickOptions())
        XCTAssertThrowsError(try e.embed(texts, progress: nil)) { error in
            XCTAssertTrue("\(error)".contains("not a JSON object"), "\(error)")
        }
    }

    func testWrongNumberOfVectorsIsAClearError() throws {
        let server = try fakeEmbeddingServer(log: RequestLog()) { _ in .wrongCount }
        let e = try embedder(server, quickOptions())
        XCTAssertThrowsError(try e.embed(Array(texts.prefix(3)), progress: nil)) { error in
            XCTAssertTrue("\(error)".contains("returned 2 embeddings for 3 inputs"), "\(error)")
        }
    }

    func testWrongDimensionIsAClearError() throws {
        let server = try fakeEmbeddingServer(log: RequestLog()) { _ in .ok }
        var o = quickOptions()
        o.dimension = 16
        let e = try RemoteEmbedder(spec: "\(server.base):fake-model", options: o, environment: [:], log: { _ in })
        XCTAssertThrowsError(try e.embed(texts, progress: nil)) { error in
            XCTAssertTrue("\(error)".contains("vector of length 8") && "\(error)".contains("expected 16"), "\(error)")
        }
    }

    func testDroppedConnectionIsRetried() throws {
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { n in n == 2 ? .drop : .ok }
        let lines = LogLines()
        let e = try embedder(server, quickOptions(maxInputs: 4, concurrency: 1), log: lines)
        let m = try e.embed(texts, progress: nil)
        assertRowsMatchTexts(m, texts)
        XCTAssertEqual(log.count, 4)  // 3 batches + 1 retry
        XCTAssertTrue(lines.all.contains { $0.contains("connection failed") }, "\(lines.all)")
    }

    func testDroppedConnectionKeepsFinishedBatchesInTheCache() throws {
        let dir = temporaryDirectory("drop")
        let cachePath = dir + "/cache.sqlite"
        // Requests 1 and 2 succeed; then the connection always drops mid-body until the server is healed.
        final class Healed: @unchecked Sendable { var value = false }
        let healed = Healed()
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { n in n <= 2 || healed.value ? .ok : .drop }
        let spec = "\(server.base):fake-model"
        var o = quickOptions(maxInputs: 2, concurrency: 1, attempts: 2)
        o.dimension = 8
        let e = try RemoteEmbedder(spec: spec, options: o, environment: [:], log: { _ in })
        XCTAssertThrowsError(try e.cached(in: try EmbeddingCache(path: cachePath)).embed(texts, progress: nil)) { error in
            let s = "\(error)"
            XCTAssertTrue(s.contains("failed after 2 attempts") && s.contains("connection failed"), s)
        }
        XCTAssertEqual(log.count, 4)
        // The four texts of the two finished requests survived the failure, with their right vectors.
        let stored = try EmbeddingCache(path: cachePath).lookup(model: e.modelIdentity, keys: texts.map(EmbeddingCache.key))
        XCTAssertEqual(stored.count, 4)
        let sent = log.all.prefix(2).flatMap(inputs)
        XCTAssertEqual(sent.count, 4)
        for t in sent { XCTAssertEqual(stored[EmbeddingCache.key(t)], fakeVector(t)) }

        // A second run, server healed, sends only the six missing texts and gives every row right.
        healed.value = true
        let e2 = try RemoteEmbedder(spec: spec, options: o, environment: [:], log: { _ in })
        let out = try e2.cached(in: try EmbeddingCache(path: cachePath)).embed(texts, progress: nil)
        assertRowsMatchTexts(out, texts)
        XCTAssertEqual(Set(log.all.dropFirst(4).flatMap(inputs)), Set(texts).subtracting(sent))
    }

    private func inputs(_ e: RequestLog.Entry) -> [String] {
        (try! JSONSerialization.jsonObject(with: Data(e.body)) as! [String: Any])["input"] as! [String]
    }

    func testSlowServerTimesOutAndIsRetried() throws {
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { n in n == 1 ? .slow(4) : .ok }
        var o = quickOptions(attempts: 2)
        o.retry.requestTimeout = 1
        let lines = LogLines()
        let e = try embedder(server, o, log: lines)
        let start = Date()
        let m = try e.embed(Array(texts.prefix(2)), progress: nil)
        assertRowsMatchTexts(m, Array(texts.prefix(2)))
        XCTAssertLessThan(Date().timeIntervalSince(start), 3.5, "the first attempt was abandoned at its deadline")
        XCTAssertEqual(log.count, 2)
        XCTAssertTrue(lines.all.first?.contains("connection failed") ?? false, "\(lines.all)")
    }

    func testOneSessionPerTimeout() {
        // A shared session's default idle timeout (60 s) would cut a CPU server that needs 600 s for a batch.
        XCTAssertTrue(RetryingHTTP.session(timeout: 600) === RetryingHTTP.session(timeout: 600))
        XCTAssertFalse(RetryingHTTP.session(timeout: 600) === RetryingHTTP.session(timeout: 120))
        XCTAssertEqual(RetryingHTTP.session(timeout: 600).configuration.timeoutIntervalForRequest, 600)
        XCTAssertEqual(RetryingHTTP.session(timeout: 600).configuration.timeoutIntervalForResource, 600)
    }

    func testConcurrencyIsLimited() throws {
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { _ in .slow(0.15) }
        let many = (0..<24).map { "text \($0)" }
        let e = try embedder(server, quickOptions(maxInputs: 2, concurrency: 3))
        let m = try e.embed(many, progress: nil)
        assertRowsMatchTexts(m, many)
        XCTAssertEqual(log.count, 12)
        XCTAssertEqual(log.maxInFlight, 3)
    }
}

/// Parsing, request planning and cost estimates (no server).
final class PlanningTests: XCTestCase {
    func testParseSpecs() throws {
        let o = try RemoteModel.parse("openai:text-embedding-3-small")
        XCTAssertEqual(o.baseURL, "https://api.openai.com")
        XCTAssertEqual(o.identity, "openai:text-embedding-3-small")
        XCTAssertEqual(o.knownDimension, 1536)
        let h = try RemoteModel.parse("http://127.0.0.1:8000:e5-small")
        XCTAssertEqual(h.baseURL, "http://127.0.0.1:8000")
        XCTAssertEqual(h.model, "e5-small")
        XCTAssertEqual(h.identity, "http://127.0.0.1:8000:e5-small")
        XCTAssertEqual(try RemoteModel.parse("https://example.org/proxy/v1/:m").baseURL, "https://example.org/proxy")
        for bad in ["http://127.0.0.1:8000", "openai:", "ada-002", "http://:m", "ftp://host:1:m"] {
            XCTAssertThrowsError(try RemoteModel.parse(bad), bad) { XCTAssertTrue("\($0)".contains("expected") || "\($0)".contains("model name"), "\($0)") }
        }
    }

    func testBaseURLOverrideAndURLsWithSecrets() throws {
        let moved = try RemoteModel.parse("openai:text-embedding-3-small", environment: ["OPENAI_BASE_URL": "http://127.0.0.1:9000/v1/"])
        XCTAssertEqual(moved.baseURL, "http://127.0.0.1:9000")
        XCTAssertEqual(moved.identity, "openai:text-embedding-3-small@127.0.0.1:9000")  // cached apart from OpenAI's
        XCTAssertTrue(moved.isOpenAI)
        XCTAssertEqual(moved.knownDimension, 1536)
        let same = try RemoteModel.parse("openai:text-embedding-3-small", environment: ["OPENAI_BASE_URL": "https://api.openai.com/v1"])
        XCTAssertEqual(same.identity, "openai:text-embedding-3-small")
        XCTAssertEqual(
            try RemoteModel.parse("openai:m", environment: ["OPENAI_BASE_URL": "https://gw.example.org/openai/v1"]).identity,
            "openai:m@gw.example.org/openai")
        XCTAssertTrue(RemoteModel.isRemoteSpec(" openai:x") && RemoteModel.isRemoteSpec("https://h:1:m"))
        XCTAssertFalse(RemoteModel.isRemoteSpec("all-MiniLM-L6-v2") || RemoteModel.isRemoteSpec("models/minilm"))
        // A secret in the URL would become the cache key: refused, and not repeated in the message.
        let secret = "hunter2secret"
        for (spec, env) in [
            ("http://user:\(secret)@127.0.0.1:8000:e5", [String: String]()),
            ("http://127.0.0.1:8000/?key=\(secret):e5", [:]),
            ("openai:text-embedding-3-small", ["OPENAI_BASE_URL": "https://u:\(secret)@proxy.example.org/v1"]),
        ] {
            XCTAssertThrowsError(try RemoteModel.parse(spec, environment: env), spec) {
                XCTAssertTrue("\($0)".contains("refused") && !"\($0)".contains(secret), "\($0)")
            }
        }
        XCTAssertThrowsError(try RemoteModel.parse("openai:m", environment: ["OPENAI_BASE_URL": "api.openai.com"])) {
            XCTAssertTrue("\($0)".contains("OPENAI_BASE_URL") && "\($0)".contains("not an http(s) URL"), "\($0)")
        }
    }

    func testRequestShapeDefaultsPerServerAndOverrides() throws {
        let openAI = try RemoteEmbeddingOptions.defaults(for: try RemoteModel.parse("openai:text-embedding-3-small"))
        XCTAssertEqual([openAI.maxInputsPerRequest, openAI.maxConcurrentRequests], [2048, 4])
        let local = try RemoteEmbeddingOptions.defaults(for: try RemoteModel.parse("http://127.0.0.1:8000:e5"))
        XCTAssertEqual([local.maxInputsPerRequest, local.maxConcurrentRequests], [32, 1])
        XCTAssertEqual(local.retry.requestTimeout, 600)
        XCTAssertEqual(openAI.retry.requestTimeout, 120)
        let tuned = try RemoteEmbeddingOptions.defaults(
            for: try RemoteModel.parse("http://127.0.0.1:8000:e5"),
            environment: [
                "LEXICELL_REMOTE_BATCH": "16", "LEXICELL_REMOTE_CONCURRENCY": "1",
                "LEXICELL_REMOTE_TIMEOUT": "30",
            ])
        XCTAssertEqual([tuned.maxInputsPerRequest, tuned.maxConcurrentRequests], [16, 1])
        XCTAssertEqual(tuned.retry.requestTimeout, 30)
        XCTAssertThrowsError(try RemoteEmbeddingOptions.defaults(for: try RemoteModel.parse("openai:m"), environment: ["LEXICELL_REMOTE_BATCH": "5000"])) {
            XCTAssertTrue("\($0)".contains("LEXICELL_REMOTE_BATCH=5000") && "\($0)".contains("1 to 2048"), "\($0)")
        }
    }

    func testPlanRespectsBothLimits() {
        let counts = [5, 5, 5, 5, 5, 5, 5]
        XCTAssertEqual(RemoteEmbedder.plan(tokenCounts: counts, maxInputs: 3, maxTokens: 100), [0..<3, 3..<6, 6..<7])
        XCTAssertEqual(RemoteEmbedder.plan(tokenCounts: counts, maxInputs: 10, maxTokens: 12), [0..<2, 2..<4, 4..<6, 6..<7])
        // A text over the token limit goes alone (the server decides).
        XCTAssertEqual(RemoteEmbedder.plan(tokenCounts: [1, 50, 1], maxInputs: 10, maxTokens: 10), [0..<1, 1..<2, 2..<3])
        XCTAssertEqual(RemoteEmbedder.plan(tokenCounts: [], maxInputs: 10, maxTokens: 10), [])
    }

    func testTokenEstimate() {
        XCTAssertEqual(TokenEstimator.tokens(""), 1)
        XCTAssertEqual(TokenEstimator.tokens("abcd"), 1)
        XCTAssertEqual(TokenEstimator.tokens("abcde"), 2)
        XCTAssertEqual(TokenEstimator.tokens("é"), 1)  // 2 UTF-8 bytes
        XCTAssertEqual(TokenEstimator.tokens(String(repeating: "x", count: 400)), 100)
    }

    func testDryRunCountsOnlyUncachedTextsAndPricesThem() throws {
        let dir = temporaryDirectory("dry")
        let cache = try EmbeddingCache(path: dir + "/c.sqlite")
        let model = try RemoteModel.parse("openai:text-embedding-ada-002")
        let texts = [String(repeating: "a", count: 400), String(repeating: "b", count: 800), String(repeating: "a", count: 400), "cached"]
        try cache.store(model: model.identity, entries: [(EmbeddingCache.key("cached"), [1, 2])])
        var o = RemoteEmbeddingOptions()
        o.maxInputsPerRequest = 1
        let est = try RemoteEmbedder.dryRun(texts: texts, model: model, options: o, cache: cache)
        XCTAssertEqual(est.texts, 4)
        XCTAssertEqual(est.cachedTexts, 1)
        XCTAssertEqual(est.textsToSend, 2)
        XCTAssertEqual(est.estimatedTokens, 300)
        XCTAssertEqual(est.requests, 2)
        XCTAssertEqual(est.estimatedUSD!, 300 / 1e6 * 0.10, accuracy: 1e-15)
        XCTAssertEqual(try RemoteEmbedder.dryRun(texts: texts, model: try RemoteModel.parse("openai:text-embedding-3-small")).usdPerMillionTokens, 0.02)
        XCTAssertEqual(try RemoteEmbedder.dryRun(texts: texts, model: try RemoteModel.parse("openai:text-embedding-3-large")).usdPerMillionTokens, 0.13)
        XCTAssertNil(try RemoteEmbedder.dryRun(texts: texts, model: try RemoteModel.parse("http://127.0.0.1:1:x")).estimatedUSD)
    }
}

/// The dry run over the bundled human summaries equals scripts/remote_cost_estimate.py's count.
final class BundledCostTests: XCTestCase {
    func testDryRunOfBundledHumanSummaries() throws {
        let path =
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/data/genes/refseq_summaries_human.tsv.gz"
        let texts = try GeneTexts.load(path: path)
        let est = try RemoteEmbedder.dryRun(texts: texts.texts, model: try RemoteModel.parse("openai:text-embedding-ada-002"))
        // scripts/remote_cost_estimate.py: 15136 genes, 12531 distinct texts, 1575154 estimated tokens
        // (1342955 exact cl100k_base tokens).
        XCTAssertEqual(est.texts, 15136)
        XCTAssertEqual(est.textsToSend, 12531)
        XCTAssertEqual(est.estimatedTokens, 1_575_154)
        XCTAssertEqual(est.requests, 7)  // 2048 inputs per request bind before 300k tokens
        XCTAssertEqual(est.estimatedUSD!, 0.1575154, accuracy: 1e-9)
    }
}
