import Dispatch
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import LexicellCore

/// A secret read from an environment variable. It prints as `<NAME: redacted>` in every context
/// (description, debugDescription, dump), so it cannot reach a log line or an error message by accident.
public struct APIKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The environment variable it came from: the only part that is ever shown.
    public let variable: String
    let value: String

    public init(variable: String, value: String) {
        self.variable = variable
        self.value = value
    }

    /// The key in `variable`, or nil when the variable is unset or blank.
    public static func fromEnvironment(
        _ variable: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> APIKey? {
        guard let v = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return APIKey(variable: variable, value: v)
    }

    public var description: String { "<\(variable): redacted>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["variable": variable]) }

    /// `text` with the key and any long piece of it (as in "sk-abc…xyz" echoes from servers) removed.
    func scrub(_ text: String) -> String {
        guard !value.isEmpty else { return text }
        var out = text.replacingOccurrences(of: value, with: "<redacted>")
        // Servers echo partial keys ("Incorrect API key provided: sk-proj-****abcd"); drop any word that
        // shares 6 or more consecutive characters with the key.
        let window = 6
        guard value.count >= window else { return out }
        let chars = Array(value)
        var pieces = Set<String>()
        for i in 0...(chars.count - window) { pieces.insert(String(chars[i..<(i + window)])) }
        out = out.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let w = Array(word)
            guard w.count >= window else { return String(word) }
            for i in 0...(w.count - window) where pieces.contains(String(w[i..<(i + window)])) { return "<redacted>" }
            return String(word)
        }.joined(separator: " ")
        return out
    }
}

/// How failed requests are retried: exponential backoff with jitter on 429, 408, 5xx and dropped or timed-out
/// connections, honouring Retry-After.
public struct RetryPolicy: Sendable {
    /// Attempts per request, the first included.
    public var maxAttempts: Int = 6
    /// Delay before the second attempt; doubles with each further attempt.
    public var baseDelay: Double = 1.0
    /// Upper bound of the doubling delay (Retry-After may ask for more, up to `maxRetryAfter`).
    public var maxDelay: Double = 60
    /// Longest Retry-After honoured; a server asking for more stops the run with an error.
    public var maxRetryAfter: Double = 600
    /// Time allowed for one request, connection and body included (whole seconds: Foundation's timers
    /// on Linux truncate fractions, so values below 1 are taken as 1).
    public var requestTimeout: Double = 120
    /// Seed of the jitter (each delay is scaled by a uniform factor in [0.5, 1]).
    public var jitterSeed: UInt64 = 0x5EED

    public init() {}

    /// Delay before attempt `attempt + 1` after `attempt` failures, given a uniform draw `u` in [0, 1).
    public func backoff(afterAttempt attempt: Int, uniform u: Double) -> Double {
        let raw = baseDelay * pow(2, Double(max(0, attempt - 1)))
        return min(raw, maxDelay) * (0.5 + 0.5 * u)
    }

    /// Seconds asked for by a Retry-After header: delta-seconds or an HTTP date (RFC 9110), relative to `now`.
    public static func retryAfterSeconds(_ header: String, now: Date = Date()) -> Double? {
        let h = header.trimmingCharacters(in: .whitespaces)
        if let s = Double(h), s.isFinite { return max(0, s) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        for pattern in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            f.dateFormat = pattern
            if let d = f.date(from: h) { return max(0, d.timeIntervalSince(now)) }
        }
        return nil
    }
}

/// One HTTP request as the clients build it (the toolchain's URLSession sends it; no TLS stack of our own).
struct HTTPRequest: Sendable {
    var url: String
    var method = "POST"
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    func urlRequest(timeout: Double) throws -> URLRequest {
        guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https" else {
            throw LexicellError("not an http(s) URL: \(url)")
        }
        var r = URLRequest(url: u, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: max(1, timeout.rounded(.up)))
        r.httpMethod = method
        for (name, value) in headers { r.setValue(value, forHTTPHeaderField: name) }
        r.httpBody = Data(body)
        return r
    }
}

/// A finished HTTP exchange whose status was not retried.
struct HTTPReply: Sendable {
    var status: Int
    var body: [UInt8]
    var bodyText: String { String(decoding: body.prefix(2000), as: UTF8.self) }
}

/// Shared request loop of both clients: timeouts, retries, backoff, logging without secrets.
final class RetryingHTTP: @unchecked Sendable {
    let policy: RetryPolicy
    let key: APIKey?
    let log: @Sendable (String) -> Void
    /// What the server is, for messages ("api.openai.com", "127.0.0.1:8080").
    let serverName: String
    private let lock = NSLock()
    private var jitter: SeededGenerator
    private var attemptCount = 0
    /// Hook for rate limiting: awaited before every attempt.
    let beforeAttempt: (@Sendable () async throws -> Void)?

    init(
        policy: RetryPolicy, key: APIKey?, serverName: String, log: @escaping @Sendable (String) -> Void,
        beforeAttempt: (@Sendable () async throws -> Void)? = nil
    ) {
        self.policy = policy
        self.key = key
        self.serverName = serverName
        self.log = log
        self.beforeAttempt = beforeAttempt
        jitter = SeededGenerator(seed: policy.jitterSeed)
    }

    /// HTTP requests sent so far, retries included.
    var attempts: Int { lock.lock(); defer { lock.unlock() }; return attemptCount }

    func scrub(_ s: String) -> String { key?.scrub(s) ?? s }

    private func nextUniform() -> Double {
        lock.lock(); defer { lock.unlock() }
        return jitter.nextUniform()
    }

    private func countAttempt() {
        lock.lock(); attemptCount += 1; lock.unlock()
    }

    /// Sends the request built by `make` until it gets a status that is not retried, and returns it.
    /// `what` names the call in messages ("embeddings request 3/12").
    func send(what: String, maxBodyBytes: Int = 256 << 20, _ make: () -> HTTPRequest) async throws -> HTTPReply {
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            if let beforeAttempt { try await beforeAttempt() }
            countAttempt()
            var retryReason: String
            var retryAfter: Double? = nil
            do {
                let request = try make().urlRequest(timeout: policy.requestTimeout)
                let (data, response) = try await Self.session(timeout: policy.requestTimeout).data(for: request)
                guard let http = response as? HTTPURLResponse else { throw LexicellError("not an HTTP response") }
                let status = http.statusCode
                let body = [UInt8](data)
                if status == 429 || status == 408 || (500...599).contains(status) {
                    retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap { RetryPolicy.retryAfterSeconds($0) }
                    retryReason = "HTTP \(status)" + (Self.errorSnippet(Array(body.prefix(64 << 10))).map { " (\(scrub($0)))" } ?? "")
                } else {
                    guard body.count <= maxBodyBytes else {
                        throw LexicellError("\(what) to \(serverName): the response has \(body.count) bytes, more than the \(maxBodyBytes) allowed")
                    }
                    return HTTPReply(status: status, body: body)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as LexicellError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                retryReason = "connection failed: \(scrub(Self.describe(error)))"
            }
            guard attempt < policy.maxAttempts else {
                throw LexicellError("\(what) to \(serverName) failed after \(attempt) attempts; last: \(retryReason)")
            }
            var delay = policy.backoff(afterAttempt: attempt, uniform: nextUniform())
            if let retryAfter {
                guard retryAfter <= policy.maxRetryAfter else {
                    throw LexicellError(
                        "\(what) to \(serverName): \(retryReason); the server asks to wait \(Int(retryAfter)) s, longer than the \(Int(policy.maxRetryAfter)) s allowed; try again later"
                    )
                }
                delay = retryAfter
            }
            log("\(what) to \(serverName): \(retryReason); retrying in \(String(format: "%.2f", delay)) s (attempt \(attempt + 1)/\(policy.maxAttempts))")
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }

    /// A transport error in one line: URLError's code and description, without the request's headers.
    static func describe(_ error: Error) -> String {
        if let u = error as? URLError {
            return "\(u.localizedDescription) (URLError \(u.code.rawValue))"
        }
        return String(describing: error)
    }

    private static let sessionsLock = NSLock()
    nonisolated(unsafe) private static var sessions = [Int64: URLSession]()

    /// A session whose idle and total timeouts are the request's own (a CPU server may compute a batch for
    /// minutes before its first byte). One session per timeout, kept for the life of the process.
    static func session(timeout: Double) -> URLSession {
        let seconds = max(1, timeout.rounded(.up))
        let ms = Int64((seconds * 1000).rounded(.up))
        sessionsLock.lock(); defer { sessionsLock.unlock() }
        if let s = sessions[ms] { return s }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpMaximumConnectionsPerHost = 16
        let s = URLSession(configuration: configuration)
        sessions[ms] = s
        return s
    }

    /// The `error.message` of an OpenAI-style error body, or the first line of a text body.
    static func errorSnippet(_ body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        if let obj = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            if let e = obj["error"] as? [String: Any], let m = e["message"] as? String { return m }
            if let m = obj["error"] as? String { return m }
            if let m = obj["message"] as? String { return m }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? nil : line
    }
}

/// Runs async work to completion from synchronous code. The work runs on a detached task while the calling
/// thread waits on a semaphore, so the caller must not be a Swift-concurrency thread (call the synchronous
/// APIs from the main thread or a Dispatch queue, never from inside an `async` function: there, use the
/// `async` variants).
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

final class ResultBox<T>: @unchecked Sendable { var result: Result<T, Error>? }

/// Writes a line to standard error (the default log of both clients).
@Sendable public func logToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
