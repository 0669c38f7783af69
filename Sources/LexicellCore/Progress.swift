import Foundation

/// A progress line on standard error with rate and ETA; silent when stderr is not a terminal.
public final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let unit: String
    private let total: Int
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool
    private let lock = NSLock()
    private var done = 0

    public init(_ label: String, total: Int, unit: String = "items", enabled: Bool? = nil) {
        self.label = label
        self.total = total
        self.unit = unit
        self.enabled = enabled ?? (isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["CI"] == nil)
    }

    /// Adds `n` finished items and redraws at most ten times a second.
    public func advance(by n: Int = 1) {
        lock.lock(); defer { lock.unlock() }
        done += n
        guard enabled else { return }
        let now = Date()
        if now.timeIntervalSince(lastDraw) < 0.1 && done < total { return }
        lastDraw = now
        draw(now)
    }

    public func finish() {
        lock.lock(); defer { lock.unlock() }
        guard enabled else { return }
        draw(Date())
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private func draw(_ now: Date) {
        let elapsed = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let pct = total > 0 ? 100 * Double(done) / Double(total) : 100
        let line = String(
            format: "\r%@ %d/%d (%.0f%%) %.1f %@/s, ETA %@   ", label, done, total, pct, rate, unit,
            Self.clock(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600
            ? String(format: "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60)
            : String(format: "%d:%02d", t / 60, t % 60)
    }
}
