import Foundation
import Lexicell

/// Times this UMAP on a .npy input, for side-by-side runs with umap-learn (scripts/report_umap_compare.py).
public enum UMAPBenchmark {
    public struct Result: Sendable {
        public var rows: Int
        public var cols: Int
        public var embedSeconds: Double
        public var trustworthiness: Double?
        public var embedding: DenseMatrix

        /// One line of `key=value` pairs the comparison script parses.
        public var summary: String {
            var s = "rows=\(rows) cols=\(cols) embed_seconds=\(String(format: "%.3f", embedSeconds))"
            if let t = trustworthiness { s += " trustworthiness=\(String(format: "%.6f", t))" }
            return s
        }
    }

    /// Reads `inputPath`, embeds it, optionally writes the embedding (.npy) and scores trustworthiness.
    public static func run(
        inputPath: String, outputPath: String? = nil,
        configuration: UMAPConfiguration = UMAPConfiguration(),
        trustworthinessK: Int? = nil, progress: ProgressLine? = nil
    ) throws -> Result {
        let x = try NPY.read(inputPath)
        let start = Date()
        let embedding = try UMAP.embed(x, configuration: configuration, progress: progress)
        let seconds = Date().timeIntervalSince(start)
        if let outputPath { try NPY.write(embedding, to: outputPath) }
        let trust = try trustworthinessK.map {
            try Trustworthiness.score(
                high: x, low: embedding, k: $0, metric: configuration.metric,
                threads: configuration.threads)
        }
        return Result(rows: x.rows, cols: x.cols, embedSeconds: seconds, trustworthiness: trust, embedding: embedding)
    }
}
