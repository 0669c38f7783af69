import Foundation

/// The progress line of a remote run: texts done, texts/s, tokens so far and ETA, on standard error and only
/// on a terminal (Core's `ProgressLine` has no place for the token count).
final class RemoteProgress: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var texts = 0
    private var tokens = 0
    private let lock = NSLock()

    init(label: String, total: Int, enabled: Bool? = nil) {
        self.label = label
        self.total = total
        self.enabled = enabled ?? (isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["CI"] == nil)
    }

    func advance(texts n: Int, tokens t: Int) {
        lock.lock(); defer { lock.unlock() }
        texts += n
        tokens = t
        guard enabled else { return }
        let now = Date()
        if now.timeIntervalSince(lastDraw) < 0.2 && texts < total { return }
        lastDraw = now
        FileHandle.standardError.write(Data(line(now).utf8))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard enabled, texts > 0 else { return }
        FileHandle.standardError.write(Data((line(Date()) + "\n").utf8))
    }

    private func line(_ now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(texts) / elapsed
        let eta = rate > 0 ? Int((Double(total - texts) / rate).rounded()) : 0
        return String(
            format: "\r%@ %d/%d texts, %.1f texts/s, %d tokens so far, ETA %d:%02d   ",
            label, texts, total, rate, tokens, eta / 60, eta % 60)
    }
}
