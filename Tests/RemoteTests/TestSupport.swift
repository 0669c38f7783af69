import Foundation
import XCTest
@testable import LexicellRemote
@_exported import LexicellTestSupport

/// An HTTP/1.1 server on 127.0.0.1 with a kernel-chosen port, run for one test: plain POSIX sockets, one
/// thread per connection, one request per connection (`Connection: close`), enough for the clients' tests.
final class LoopbackServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        /// Header names in lower case.
        var headers: [String: String]
        var body: [UInt8]
    }

    struct Reply: Sendable {
        var status: Int
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var body: [UInt8]
        /// Send only this many body bytes (after a Content-Length for all of them), then close: a dropped connection.
        var truncateAt: Int? = nil

        init(status: Int, headers: [(String, String)] = [("Content-Type", "application/json")], body: String, truncateAt: Int? = nil) {
            self.status = status
            self.headers = headers
            self.body = Array(body.utf8)
            self.truncateAt = truncateAt
        }
    }

    let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Reply

    init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LexicellErrorForTests("socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw LexicellErrorForTests("bind/listen on 127.0.0.1 failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let accepting = Thread { [handler] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue }; return }
                Thread.detachNewThread { Self.serve(client, handler) }
            }
        }
        accepting.start()
    }

    var base: String { "http://127.0.0.1:\(port)" }

    deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private static func serve(_ fd: Int32, _ handler: @Sendable (Request) -> Reply) {
        defer { close(fd) }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        func readMore() -> Bool {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int? = nil
        while headerEnd == nil {
            if buffer.count >= 4 {
                headerEnd = (0...(buffer.count - 4)).first { buffer[$0..<($0 + 4)].elementsEqual(separator) }
            }
            if headerEnd == nil, !readMore() { return }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = head[0].split(separator: " ").map(String.init)
        guard requestLine.count >= 2 else { return }
        var headers = [String: String]()
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["expect"]?.lowercased() == "100-continue" { write(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = headerEnd! + 4
        while buffer.count - bodyStart < length { if !readMore() { return } }
        let request = Request(
            method: requestLine[0], path: requestLine[1], headers: headers,
            body: Array(buffer[bodyStart..<(bodyStart + length)]))
        let reply = handler(request)
        var out = "HTTP/1.1 \(reply.status) \(reply.status == 200 ? "OK" : "Status")\r\n"
        for (name, value) in reply.headers where name.lowercased() != "content-length" { out += "\(name): \(value)\r\n" }
        out += "Content-Length: \(reply.body.count)\r\nConnection: close\r\n\r\n"
        write(fd, Array(out.utf8) + Array(reply.body.prefix(reply.truncateAt ?? reply.body.count)))
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}

/// Requests seen by a test server, with arrival times.
final class RequestLog: @unchecked Sendable {
    struct Entry { var path: String; var body: [UInt8]; var authorization: String?; var time: Double }
    private let lock = NSLock()
    private var entries = [Entry]()
    private var inFlight = 0
    private(set) var maxInFlight = 0

    func add(_ e: Entry) -> Int { lock.lock(); defer { lock.unlock() }; entries.append(e); return entries.count }
    var all: [Entry] { lock.lock(); defer { lock.unlock() }; return entries }
    var count: Int { lock.lock(); defer { lock.unlock() }; return entries.count }
    func enter() { lock.lock(); inFlight += 1; maxInFlight = max(maxInFlight, inFlight); lock.unlock() }
    func leave() { lock.lock(); inFlight -= 1; lock.unlock() }
}

/// The vector the fake embedding server gives a text: 8 numbers from an FNV-1a hash, so every test can
/// check rows against their texts.
func fakeVector(_ text: String) -> [Float] {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return (0..<8).map { Float((h >> (8 * UInt64($0))) & 0xff) / 255 - 0.5 }
}

/// What the fake embedding server does with request number n (1-based).
enum FakeReply {
    case ok
    case status(Int, headers: [String: String], body: String)
    case malformed
    case wrongCount
    /// Headers and half of a valid body, then the connection is closed.
    case drop
    case slow(Double)
}

/// An OpenAI-style /v1/embeddings endpoint with deterministic vectors and a scripted misbehaviour.
func fakeEmbeddingServer(log: RequestLog, script: @escaping @Sendable (Int) -> FakeReply) throws -> LoopbackServer {
    try LoopbackServer { request in
        guard request.method == "POST", request.path == "/v1/embeddings" else {
            return .init(status: 404, body: #"{"error":"not found"}"#)
        }
        let body = request.body
        let n = log.add(
            .init(
                path: "/v1/embeddings", body: body, authorization: request.headers["authorization"],
                time: Date().timeIntervalSince1970))
        log.enter()
        defer { log.leave() }
        let obj = try! JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
        let inputs = obj["input"] as! [String]
        let base64 = (obj["encoding_format"] as? String) == "base64"
        func valid(_ texts: [String]) -> String {
            let data: [[String: Any]] = texts.enumerated().map { i, t in
                let v = fakeVector(t)
                let emb: Any =
                    base64
                    ? Data(v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }).base64EncodedString()
                    : v.map { Double($0) }
                return ["object": "embedding", "index": i, "embedding": emb]
            }
            // Answer out of order: the client must place vectors by "index".
            let shuffled = data.reversed()
            let out: [String: Any] = [
                "object": "list", "data": Array(shuffled), "model": obj["model"] ?? "",
                "usage": ["prompt_tokens": 7 * texts.count, "total_tokens": 7 * texts.count],
            ]
            return String(decoding: try! JSONSerialization.data(withJSONObject: out), as: UTF8.self)
        }
        switch script(n) {
        case .ok:
            return .init(status: 200, body: valid(inputs))
        case .slow(let s):
            Thread.sleep(forTimeInterval: s)
            return .init(status: 200, body: valid(inputs))
        case .status(let code, let extra, let text):
            return .init(status: code, headers: [("Content-Type", "application/json")] + extra.map { ($0.key, $0.value) }, body: text)
        case .malformed:
            return .init(status: 200, body: "{\"data\": [{\"embedding\": [0.1, 0.2")
        case .wrongCount:
            return .init(status: 200, body: valid(Array(inputs.dropLast())))
        case .drop:
            let full = valid(inputs)
            return .init(status: 200, body: full, truncateAt: full.utf8.count / 2)
        }
    }
}

/// Collects log lines of a client.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines = [String]()
    var sink: @Sendable (String) -> Void {
        { [self] line in
            lock.lock(); lines.append(line); lock.unlock()
        }
    }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

/// Options with tiny backoff so retry tests run in milliseconds.
func quickOptions(maxInputs: Int = 2048, concurrency: Int = 4, attempts: Int = 4) -> RemoteEmbeddingOptions {
    var o = RemoteEmbeddingOptions()
    o.maxInputsPerRequest = maxInputs
    o.maxConcurrentRequests = concurrency
    o.retry.maxAttempts = attempts
    o.retry.baseDelay = 0.005
    o.retry.maxDelay = 0.05
    o.retry.requestTimeout = 10
    o.showProgress = false
    return o
}

struct LexicellErrorForTests: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
