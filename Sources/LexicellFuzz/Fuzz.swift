import Foundation
import LexicellCore
import LexicellIO
import LexicellGenes

/// libFuzzer harness for the readers. The parser is chosen by `LEXICELL_FUZZ_TARGET`:
/// `mtx` (10x MatrixMarket), `csv` (delimited expression table), `labels` (label table), `npy`, `lxge`,
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
            case "lxge":
                _ = try GeneEmbeddingTable.load(path: write(bytes, "genes.lxge"))
            case "h5ad":
                let path = write(bytes, "input.h5ad")
                _ = try DatasetReader.readH5AD(path: path)
                _ = try? LabelTable.readH5AD(path: path, column: "type")
            default:
                fatalError("unknown LEXICELL_FUZZ_TARGET \(target); use mtx, csv, labels, npy, lxge or h5ad")
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
        var count = argc
        var vector = argv
        return LLVMFuzzerRunDriver(&count, &vector, lexicellFuzzOne)
    }
#else
    @main
    struct Replay {
        static func main() {
            let args = Array(CommandLine.arguments.dropFirst())
            guard args.count >= 2 else {
                print("usage: LexicellFuzz <mtx|csv|labels|npy|lxge|h5ad> <file or folder>…  (replays inputs through the fuzz harness)")
                exit(2)
            }
            var files = [String]()
            for a in args.dropFirst() {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: a, isDirectory: &isDir), isDir.boolValue {
                    files += ((try? FileManager.default.contentsOfDirectory(atPath: a)) ?? []).sorted().map { a + "/" + $0 }
                } else {
                    files.append(a)
                }
            }
            var parsed = 0
            for f in files {
                let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: f))) ?? Data())
                if bytes.withUnsafeBufferPointer({ Harness.run(args[0], $0) }) { parsed += 1 }
            }
            print("\(files.count) inputs, \(parsed) parsed, \(files.count - parsed) refused with a LexicellError, no crash")
        }
    }
#endif
