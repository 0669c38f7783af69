import Foundation
import LexicellCore
import LexicellIO
import LexicellGenes
import Lexicell

/// libFuzzer harness for the readers. The parser is chosen by `LEXICELL_FUZZ_TARGET`:
/// `mtx` (10x MatrixMarket), `csv` (delimited expression table), `labels` (label table), `npy`, `lxge`, `manifest` (a reference bundle's manifest.json),
/// `h5ad`. Every input must end in a value or a `LexicellError`; anything else (a trap, a sanitizer report,
/// another error type) is a finding.
///
/// Fuzzing build (see `make fuzz`):
///   swift build -c debug --product LexicellFuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING
///   LEXICELL_FUZZ_TARGET=npy .build/debug/LexicellFuzz Tests/Fuzz/corpus/npy
/// Ordinary build: a replay tool, `LexicellFuzz <target> <file>…`, that runs saved inputs (crash reproducers
/// or the corpus) through the same code.
enum Harness {
    static let target: String = ProcessInfo.processInfo.environment["LEXICELL_FUZZ_TARGET"] ?? "npy"

    /// A private scratch folder per process (in /dev/shm when there is one).
    static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let dir = base + "/lexicell-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir + "/tenx", withIntermediateDirectories: true)
        // 10x siblings: 3 genes, 3 cells, so any matrix parse runs to the size comparison.
        try? Data("g1\tA\ng2\tB\ng3\tC\n".utf8).write(to: URL(fileURLWithPath: dir + "/tenx/features.tsv"))
        try? Data("c1\nc2\nc3\n".utf8).write(to: URL(fileURLWithPath: dir + "/tenx/barcodes.tsv"))
        return dir
    }()

    static func write(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> String {
        let path = scratch + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(buffer: bytes))
        return path
    }

    /// Runs one input; returns whether it parsed.
    @discardableResult
    static func run(_ target: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        do {
            switch target {
            case "mtx":
                _ = write(bytes, "tenx/matrix.mtx")
                _ = try DatasetReader.read(path: scratch + "/tenx")
            case "csv":
                _ = try DatasetReader.readDelimited(path: write(bytes, "table.csv"))
            case "labels":
                let t = try LabelTable.read(path: write(bytes, "labels.csv"), labelColumn: "2")
                _ = try t.join(cells: ["a", "b", "X1.1"], file: "cells")
            case "npy":
                _ = try NPY.decode(Array(bytes), path: "input.npy")
            case "manifest":
                _ = try ReferenceBundle.parseManifest(Array(bytes), path: "manifest.json")
            case "lxge":
                _ = try GeneEmbeddingTable.load(path: write(bytes, "genes.lxge"))
            case "h5ad":
                let path = write(bytes, "input.h5ad")
                _ = try DatasetReader.readH5AD(path: path)
                _ = try? LabelTable.readH5AD(path: path, column: "type")
            default:
                fatalError("unknown LEXICELL_FUZZ_TARGET \(target); use mtx, csv, labels, npy, lxge, manifest or h5ad")
            }
            return true
        } catch is LexicellError {
            return false
        } catch {
            fatalError("\(target): not a LexicellError: \(error)")
        }
    }
}

#if FUZZING
    @_cdecl("LLVMFuzzerTestOneInput")
    public func lexicellFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        Harness.run(Harness.target, UnsafeBufferPointer(start: data, count: size))
        return 0
    }

    /// libFuzzer's driver, entered from the executable's main: SwiftPM links an executable target with
    /// `main` bound to `<module>_main`, so libFuzzer's own `main` is not used.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @_cdecl("LexicellFuzz_main")
    public func lexicellFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
        // h5ad through the product's guard: a replay build of this tool answers the probe in a child process.
        if let probe = ProcessInfo.processInfo.environment["LEXICELL_FUZZ_PROBE"] {
            H5ADProbe.executable = probe
            H5ADProbe.timeout = 5
        }
        var count = argc
        var vector = argv
        return LLVMFuzzerRunDriver(&count, &vector, lexicellFuzzOne)
    }
#else
    @main
    struct Replay {
        static func main() {
            var args = Array(CommandLine.arguments.dropFirst())
            if args.count == 2 && args[0] == H5ADProbe.argument { H5ADProbe.childMain(args[1]) }
            var mutations = 0
            var seed: UInt64 = 0
            while let i = args.firstIndex(where: { $0 == "--mutations" || $0 == "--seed" }), i + 1 < args.count {
                if args[i] == "--mutations" { mutations = Int(args[i + 1]) ?? 0 } else { seed = UInt64(args[i + 1]) ?? 0 }
                args.removeSubrange(i...(i + 1))
            }
            guard args.count >= 2 else {
                print("usage: LexicellFuzz <mtx|csv|labels|npy|lxge|manifest|h5ad> [--mutations N --seed S] <file or folder>…")
                print("  replays inputs through the fuzz harness; with --mutations, also N seeded mutations of each input")
                exit(2)
            }
            // A libhdf5 crash on a mutated h5ad is caught by the probe (a child of this tool), as in `lexicell`.
            H5ADProbe.executable = H5ADProbe.currentExecutable
            H5ADProbe.timeout = 10
            var files = [String]()
            for a in args.dropFirst() {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: a, isDirectory: &isDir), isDir.boolValue {
                    files += ((try? FileManager.default.contentsOfDirectory(atPath: a)) ?? []).sorted().map { a + "/" + $0 }
                } else {
                    files.append(a)
                }
            }
            var rng = SeededGenerator(seed: seed)
            var runs = 0, parsed = 0
            for f in files {
                let original = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: f))) ?? Data())
                for m in 0...mutations {
                    let bytes = m == 0 ? original : Mutator.mutate(original, using: &rng)
                    if bytes.withUnsafeBufferPointer({ Harness.run(args[0], $0) }) { parsed += 1 }
                    runs += 1
                }
            }
            print("\(runs) inputs, \(parsed) parsed, \(runs - parsed) refused with a LexicellError, no crash")
        }
    }

    /// libFuzzer-like edits for the replay tool's smoke runs: flips, inserts, deletions, truncation, copied
    /// blocks and digit runs replaced by extreme numbers (the sizes that files declare).
    enum Mutator {
        static let numbers: [[UInt8]] = ["0", "-1", "18446744073709551616", "9223372036854775807", "4294967296", "1e309", "inf", "nan", "-0"]
            .map { Array($0.utf8) }

        static func mutate(_ input: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
            var b = input
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0 where !b.isEmpty: b[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                case 1: b.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                case 2 where !b.isEmpty: b.remove(at: at)
                case 3 where !b.isEmpty: b.removeSubrange(at...)
                case 4 where !b.isEmpty:
                    let end = min(b.count, at + Int.random(in: 1...64, using: &rng))
                    b.insert(contentsOf: Array(b[at..<end]), at: Int.random(in: 0...b.count, using: &rng))
                default:
                    // Replace the digit run at or after `at` with an extreme number.
                    guard let start = b[at...].firstIndex(where: { (48...57).contains($0) }) else { continue }
                    let end = b[start...].firstIndex(where: { !(48...57).contains($0) }) ?? b.count
                    b.replaceSubrange(start..<end, with: numbers[Int.random(in: 0..<numbers.count, using: &rng)])
                }
            }
            return b
        }
    }
#endif
