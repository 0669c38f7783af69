import Foundation
import Lexicell

/// Throughput of the native encoder, for `lexicell bench` (scripts/text_bench.py measures PyTorch on the same
/// texts).
public enum TextBenchmark {
    public struct Result: Sendable {
        public var texts: Int
        public var tokens: Int
        public var seconds: Double
        public var textsPerSecond: Double { Double(texts) / seconds }
        public var tokensPerSecond: Double { Double(tokens) / seconds }
    }

    nonisolated(unsafe) static var libmForTiming = false

    /// The first `count` non-empty values of the `summary` column of a (gzipped) gene-summary TSV.
    public static func loadSummaries(path: String, count: Int = 2000) throws -> [String] {
        let text = String(decoding: try FileData.read(path), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard let header = lines.next()?.split(separator: "\t", omittingEmptySubsequences: false),
            let column = header.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "summary" })
        else {
            throw LexicellError("no `summary` column in the header", file: path)
        }
        var out = [String]()
        while out.count < count, let line = lines.next() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard column < fields.count else { continue }
            let s = fields[column].trimmingCharacters(in: .whitespacesAndNewlines)
            if !s.isEmpty { out.append(s) }
        }
        return out
    }

    /// Tokenises and embeds `texts` with the model in `modelDir` (after a warm-up batch) and times it; tokens counts the
    /// ids after truncation to `maxLength`, [CLS]/[SEP] included.
    public static func run(
        modelDir: String, texts: [String], maxLength: Int = 256,
        parallelism: BertEncoder.Parallelism = .blasThreads(2)
    ) throws -> Result {
        let folder = try ModelFolder(URL(fileURLWithPath: modelDir))
        let encoder = try folder.encoder()
        encoder.parallelism = parallelism
        encoder.libmKernels = libmForTiming
        func truncated(_ t: [String]) throws -> [[Int32]] {
            try encoder.tokenIDs(t).map { $0.count > maxLength ? Array($0.prefix(maxLength - 1)) + [$0.last!] : $0 }
        }
        _ = try encoder.embed(tokenIDs: try truncated(Array(texts.prefix(16))), progress: nil)
        // Tokenisation is timed too, as sentence-transformers' encode() includes it.
        let start = Date()
        let ids = try truncated(texts)
        _ = try encoder.embed(tokenIDs: ids, progress: nil)
        let seconds = Date().timeIntervalSince(start)
        return Result(texts: texts.count, tokens: ids.reduce(0) { $0 + $1.count }, seconds: seconds)
    }

    /// The convenience pair asked for by the CLI.
    public static func run(modelDir: String, texts: [String]) throws -> (textsPerSec: Double, tokensPerSec: Double) {
        let r = try run(modelDir: modelDir, texts: texts, maxLength: 256)
        return (r.textsPerSecond, r.tokensPerSecond)
    }
}
