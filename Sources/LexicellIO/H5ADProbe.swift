import CLexSys
import Foundation
import LexicellCore

/// Keeps a libhdf5 crash on a damaged file from taking the whole run down without a word.
///
/// libhdf5 1.10 can segfault or hang on a corrupted `.h5ad` (fuzzing found crashes in `H5HG_read` and
/// `H5C_protect` and hangs under `H5Aread`; reproducers in `Tests/Fuzz/libhdf5`). No process recovers from a
/// segfault inside a C library, so before an h5ad is read, its structure (every dataframe with its columns and
/// strings, the matrices' attributes and dataset headers) is walked by a child process with a time limit. A
/// crash or hang there becomes a `LexicellError` naming the file; only a file that passed is opened here.
/// The numeric payload (matrix values) is not read by the probe: its cost would double a large read.
public enum H5ADProbe {
    /// The argument that makes an executable run `childMain` on the file that follows it.
    public static let argument = "__probe-h5ad"
    /// The executable that answers `argument FILE` (the `lexicell` tool names itself); nil: no probe (library use).
    nonisolated(unsafe) public static var executable: String?
    /// Seconds the walk may take before the file is declared unreadable.
    nonisolated(unsafe) public static var timeout: TimeInterval = 120
    /// This process's executable (to name as `executable` when it answers `argument` itself).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var passed = Set<String>()

    /// Throws if the child crashes, hangs or finds the file unreadable; returns at once without an executable,
    /// and for a file (same path, size and modification time) that already passed in this process.
    public static func check(_ path: String) throws {
        guard let executable else { return }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let key = "\(path)|\((attributes?[.size] as? NSNumber)?.intValue ?? -1)|\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        if lock.withLock({ passed.contains(key) }) { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [argument, path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw LexicellError("cannot start the h5ad check (\(executable)): \(error)", file: path)
        }
        // Drain stderr while waiting, so a chatty child never blocks on a full pipe.
        let collected = LockedData()
        let reader = Thread {
            collected.append(errors.fileHandleForReading.readDataToEndOfFile())
        }
        reader.start()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw LexicellError(
                "libhdf5 did not finish reading the file's structure within \(Int(timeout)) s (a corrupted file can make it loop); the file is damaged: re-export it (anndata: adata.write_h5ad)",
                file: path)
        }
        process.waitUntilExit()
        while !collected.isComplete { usleep(1_000) }
        let message = String(decoding: collected.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch process.terminationReason {
        case .uncaughtSignal:
            throw LexicellError(
                "libhdf5 crashed (signal \(process.terminationStatus)) while reading the file's structure; the file is damaged: re-export it (anndata: adata.write_h5ad)",
                file: path)
        case .exit where message.contains("AddressSanitizer"):
            // A sanitizer build reports the crash and exits instead of dying by the signal.
            throw LexicellError(
                "libhdf5 crashed (signal 11, reported by AddressSanitizer) while reading the file's structure; the file is damaged: re-export it (anndata: adata.write_h5ad)",
                file: path)
        case .exit where process.terminationStatus != 0:
            // The child's own LexicellError, already naming the file and the field.
            throw LexicellError(message.isEmpty ? "the h5ad check failed (exit status \(process.terminationStatus))" : message)
        default:
            lock.withLock { _ = passed.insert(key) }
        }
    }

    /// The child's side: walks the structure, exits 0 if it is readable, or 1 with the error on stderr.
    public static func childMain(_ path: String) -> Never {
        // A probe stuck in libhdf5 must not outlive a parent that was killed or timed out.
        let parent = getppid()
        lex_die_with_parent()
        if getppid() != parent { exit(1) }
        do {
            try walk(path)
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(1)
        }
    }

    /// Everything of the file that libhdf5 parses from metadata and heaps: dataframes with all columns
    /// (variable-length strings, categoricals), matrix attributes and dataset headers.
    static func walk(_ path: String) throws {
        let file = try H5File.open(path)
        let root = file.root
        for name in ["obs", "var", "raw/var", "raw.var"] where root.has(name) {
            let frame = try DataFrame(try root.open(name), root: root)
            for column in frame.columns { _ = try frame.column(column) }
        }
        for name in ["X", "raw/X", "raw.X"] where root.has(name) {
            let m = try root.open(name)
            if m.isDataset {
                _ = try m.elementCount(memorySize: MemoryLayout<Float>.stride, maxRank: 2)
                continue
            }
            _ = m.stringAttribute("encoding-type")
            _ = m.stringAttribute("h5sparse_format")
            for shape in ["shape", "h5sparse_shape"] where m.hasAttribute(shape) { _ = try m.integerArrayAttribute(shape) }
            for part in ["data", "indices", "indptr"] where m.has(part) {
                _ = try m.open(part).elementCount(memorySize: MemoryLayout<Float>.stride, maxRank: 1)
            }
        }
    }
}

/// Bytes filled by one thread and read by another once complete.
private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    private var done = false
    func append(_ d: Data) {
        lock.withLock {
            bytes.append(d); done = true
        }
    }
    var isComplete: Bool { lock.withLock { done } }
    var data: Data { lock.withLock { bytes } }
}
