import CLexSys
import Foundation

/// Writes an output folder all at once: everything goes into a hidden sibling `.<name>.lexicell-tmp-<pid>`,
/// which is then renamed into place, so a killed run leaves the old folder or the new one, never a mix.
///
/// Rules (none of them ever deletes a file Lexicell did not write):
/// - a folder Lexicell wrote carries the marker file `.lexicell-output` listing the files written; such a
///   folder (when nobody added files to it) is swapped with the new one in one `renameat2(RENAME_EXCHANGE)`
///   and then removed; where the filesystem cannot swap, it is renamed aside (`.<name>.lexicell-old-<pid>`),
///   the new one renamed in, then the old one removed;
/// - a missing path or an empty folder is simply created;
/// - an existing file, symbolic link, or non-empty folder without the marker is refused with an error that
///   names the path and `--force`; with `force` it is not deleted but renamed to `<name>.replaced-<time>`
///   beside it (reported in `Result.keptAside`);
/// - an output path equal to, or containing, one of `inputs` is refused (even with `force`);
/// - leftovers of killed runs (`.<name>.lexicell-tmp-<pid>` / `.<name>.lexicell-old-<pid>` whose process is
///   gone and which carry the marker) are cleaned up first; an old folder set aside by a run killed before
///   the new one was renamed in is put back.
public enum OutputDirectory {
    /// The file that marks a folder as written by Lexicell.
    public static let marker = ".lexicell-output"

    public struct Result: Sendable, Equatable {
        /// The absolute output path.
        public var path: String
        /// Whether an earlier Lexicell output was replaced.
        public var replacedLexicellOutput: Bool
        /// Where a pre-existing non-Lexicell file or folder was moved (only with `force`).
        public var keptAside: String?
    }

    /// Runs `write(tempDir)` to fill a fresh temporary folder, then puts it at `path`.
    /// `inputs` are the run's input paths: `path` may neither equal nor contain any of them.
    @discardableResult
    public static func commit(
        to path: String, force: Bool = false, inputs: [String] = [],
        write: (String) throws -> Void
    ) throws -> Result {
        let fm = FileManager.default
        let target = absolute(path)
        let name = (target as NSString).lastPathComponent
        let parent = (target as NSString).deletingLastPathComponent
        guard !name.isEmpty, name != "/", name != ".", name != ".." else {
            throw LexicellError("cannot use this as an output folder; give a folder path such as out/run1", file: path)
        }
        try checkInputs(target: target, inputs: inputs, shown: path)
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw LexicellError("cannot create the parent folder of the output (\(error.localizedDescription))", file: path)
        }
        try cleanStale(parent: parent, name: name, target: target)

        // What is at the target now decides what may happen to it.
        enum Existing { case none, emptyFolder, lexicellOutput, foreign(String) }
        let existing: Existing
        var st = stat()
        if lstat(target, &st) != 0 {
            existing = .none
        } else if (st.st_mode & S_IFMT) == S_IFLNK {
            existing = .foreign("a symbolic link")
        } else if (st.st_mode & S_IFMT) != S_IFDIR {
            existing = .foreign("a file")
        } else if fm.fileExists(atPath: target + "/" + marker) {
            let added = filesNotWritten(in: target)
            existing =
                added.isEmpty
                ? .lexicellOutput
                : .foreign("a Lexicell output to which other files were added (\(added.prefix(3).joined(separator: ", "))\(added.count > 3 ? ", …" : ""))")
        } else if ((try? fm.contentsOfDirectory(atPath: target)) ?? ["?"]).isEmpty {
            existing = .emptyFolder
        } else {
            existing = .foreign("a folder Lexicell did not write (it has no \(marker) file)")
        }
        if case .foreign(let what) = existing, !force {
            throw LexicellError(
                "the output path exists and is \(what); refusing to replace it. Choose another --out, or pass --force to move it aside (to \(name).replaced-<time>) and write here",
                file: path)
        }

        // Write everything into the temporary sibling.
        let temp = (parent as NSString).appendingPathComponent(".\(name).lexicell-tmp-\(getpid())")
        if lexists(temp) { try removeOurs(temp, shown: path) }
        do {
            try fm.createDirectory(atPath: temp, withIntermediateDirectories: false)
            try writeMarker(in: temp)
        } catch {
            throw LexicellError("cannot create the temporary output folder \(temp) (\(error.localizedDescription))", file: path)
        }
        do {
            try write(temp)
            try writeMarker(in: temp, manifest: relativeFiles(in: temp))
        } catch {
            try? fm.removeItem(atPath: temp)
            throw error
        }

        // Put it in place.
        var result = Result(path: target, replacedLexicellOutput: false, keptAside: nil)
        switch existing {
        case .none, .emptyFolder:
            // rename(2) atomically replaces an empty folder.
            try move(temp, to: target, shown: path, cleanup: temp)
        case .lexicellOutput:
            // One atomic swap where the filesystem can: the path always holds the old output or the new one.
            if lex_rename_exchange(temp, target) == 0 {
                try? fm.removeItem(atPath: temp)  // now the old output
                result.replacedLexicellOutput = true
                break
            }
            let old = (parent as NSString).appendingPathComponent(".\(name).lexicell-old-\(getpid())")
            if lexists(old) { try removeOurs(old, shown: path) }
            try move(target, to: old, shown: path, cleanup: temp)
            do {
                try move(temp, to: target, shown: path, cleanup: nil)
            } catch {
                _ = rename(old, target)  // put the old output back
                try? fm.removeItem(atPath: temp)
                throw error
            }
            try? fm.removeItem(atPath: old)
            result.replacedLexicellOutput = true
        case .foreign:
            let stamp = ISO8601DateFormatter.string(
                from: Date(), timeZone: TimeZone(identifier: "UTC")!,
                formatOptions: [.withYear, .withMonth, .withDay, .withTime])
            var aside = target + ".replaced-" + stamp
            var n = 1
            while lexists(aside) { n += 1; aside = target + ".replaced-\(stamp)-\(n)" }
            try move(target, to: aside, shown: path, cleanup: temp)
            do {
                try move(temp, to: target, shown: path, cleanup: nil)
            } catch {
                _ = rename(aside, target)
                try? fm.removeItem(atPath: temp)
                throw error
            }
            result.keptAside = aside
        }
        return result
    }

    /// Whether `path` is a folder Lexicell wrote (it carries the marker file).
    public static func isLexicellOutput(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
            && FileManager.default.fileExists(atPath: path + "/" + marker)
    }

    // MARK: helpers

    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let abs = expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
        var standard = (abs as NSString).standardizingPath
        while standard.count > 1 && standard.hasSuffix("/") { standard.removeLast() }
        return standard
    }

    /// The path with symbolic links resolved as far as it exists (the rest appended unchanged).
    static func resolved(_ path: String) -> String {
        var head = absolute(path)
        var tail = [String]()
        while head != "/" {
            if let r = realpath(head, nil) {
                defer { free(r) }
                let base = String(cString: r)
                return tail.isEmpty ? base : (base == "/" ? "" : base) + "/" + tail.reversed().joined(separator: "/")
            }
            tail.append((head as NSString).lastPathComponent)
            head = (head as NSString).deletingLastPathComponent
        }
        return "/" + tail.reversed().joined(separator: "/")
    }

    static func checkInputs(target: String, inputs: [String], shown: String) throws {
        let out = resolved(target)
        for input in inputs {
            let inPath = resolved(input)
            if inPath == out || inPath.hasPrefix(out == "/" ? "/" : out + "/") {
                throw LexicellError(
                    "the output folder \(inPath == out ? "is" : "contains") the input \(input); writing there would replace it. Choose another --out",
                    file: shown)
            }
        }
    }

    private static func lexists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// The marker: who wrote the folder and, once written, the files it holds (so files added later by
    /// someone else are noticed and never deleted).
    private static func writeMarker(in dir: String, manifest: [String]? = nil) throws {
        var text =
            "This folder was written by Lexicell (pid \(getpid()), \(ISO8601DateFormatter().string(from: Date()))).\nLexicell replaces it as a whole when the same output path is used again.\n"
        if let manifest { text += "files:\n" + manifest.map { $0 + "\n" }.joined() }
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + marker))
    }

    /// Files and folders below `dir` (relative paths, sorted), without the marker.
    static func relativeFiles(in dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out = [String]()
        while let p = e.nextObject() as? String { if p != marker { out.append(p) } }
        return out.sorted()
    }

    /// Files in a Lexicell output that its marker's manifest does not list (added by someone else).
    static func filesNotWritten(in dir: String) -> [String] {
        guard let text = try? String(contentsOfFile: dir + "/" + marker, encoding: .utf8),
            let start = text.range(of: "\nfiles:\n")
        else { return [] }
        let listed = Set(text[start.upperBound...].split(separator: "\n").map(String.init))
        return relativeFiles(in: dir).filter { !listed.contains($0) }
    }

    private static func move(_ from: String, to: String, shown: String, cleanup: String?) throws {
        guard rename(from, to) == 0 else {
            let reason = String(cString: strerror(errno))
            if let cleanup { try? FileManager.default.removeItem(atPath: cleanup) }
            throw LexicellError("cannot rename \(from) to \(to) (\(reason))", file: shown)
        }
    }

    /// Removes a temporary or set-aside folder of ours; refuses one without the marker.
    private static func removeOurs(_ path: String, shown: String) throws {
        guard isLexicellOutput(path) else {
            throw LexicellError(
                "\(path) is in the way of the output and was not written by Lexicell (no \(marker)); move it away",
                file: shown)
        }
        try FileManager.default.removeItem(atPath: path)
    }

    static func processIsAlive(_ pid: Int32) -> Bool {
        if pid <= 0 { return false }
        if kill(pid, 0) == 0 { return true }
        return errno != ESRCH
    }

    /// Removes `.<name>.lexicell-tmp-<pid>` and `.<name>.lexicell-old-<pid>` left by dead processes (only
    /// folders with the marker). An old output set aside by a run that died before renaming the new one in
    /// is restored to `target` when nothing is there.
    static func cleanStale(parent: String, name: String, target: String) throws {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for kind in ["old", "tmp"] {
            let prefix = ".\(name).lexicell-\(kind)-"
            for entry in entries.sorted() where entry.hasPrefix(prefix) {
                guard let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid(), !processIsAlive(pid) else { continue }
                let path = (parent as NSString).appendingPathComponent(entry)
                guard isLexicellOutput(path) else { continue }
                if kind == "old" && !lexists(target) {
                    _ = rename(path, target)
                } else {
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
    }
}
