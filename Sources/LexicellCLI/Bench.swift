import ArgumentParser
import Foundation
import Lexicell
import LexicellBench

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (use a release build): reading, top-N selection, cosine KNN and the other stages.",
        discussion: "Prints one line per measurement. Compare with scripts/bench_python.py, run on the same machine.")

    @Option(help: "Comma-separated parts: read, topn, baseline, knn, encoder, refiner, umap, heads (or all).")
    var only: String = "all"

    @Option(help: "Cells for the KNN benchmark (reference = query = this many synthetic vectors).")
    var knnCells: Int = 35_000

    @Option(help: "Comma-separated dimensions for the KNN benchmark.")
    var knnDimensions: String = "384,1536"

    @Option(help: "Gene summaries for the encoder benchmark (scripts/text_bench.py uses the same first N).")
    var encoderTexts: Int = 2000

    @Option(help: "Heads benchmark shape: rows,cols,classes (scripts/heads_bench.py draws the same recipe).")
    var headsShape: String = "30000,2000,20"

    @Option(help: "C of the heads benchmark (both heads; tolerance 1e-4 as scikit-learn's default).")
    var headsC: Double = 1

    @Option(help: "Repetitions; the best time is reported.")
    var repeats: Int = 3

    func validate() throws {
        guard shape != nil else { throw ValidationError("--heads-shape must be rows,cols,classes of positive integers (got \(headsShape))") }
        guard knnCells >= 1, repeats >= 1, encoderTexts >= 1 else { throw ValidationError("--knn-cells, --repeats and --encoder-texts must be at least 1") }
    }

    var shape: [Int]? {
        let s = headsShape.split(separator: ",").compactMap { Int($0) }
        return s.count == 3 && s.allSatisfy({ $0 > 0 }) ? s : nil
    }

    func run() throws {
        var suite = BenchSuite(parts: Set(only.split(separator: ",").map(String.init)))
        suite.knnCells = knnCells
        suite.knnDimensions = knnDimensions.split(separator: ",").compactMap { Int($0) }
        suite.encoderTexts = encoderTexts
        suite.headsShape = shape!
        suite.headsC = headsC
        suite.repeats = repeats
        try suite.run { print($0) }
    }
}

/// The Swift side of scripts/report_umap_compare.py: `lexicell bench-umap IN.npy OUT.npy METRIC [parallel]`.
struct BenchUMAP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-umap", abstract: "Time UMAP on a .npy matrix (for side-by-side runs with umap-learn).",
        shouldDisplay: false)

    @Argument(help: "Input .npy (2-D float32/float64).") var input: String
    @Argument(help: "Output .npy for the 2-D embedding.") var output: String
    @Argument(help: "euclidean or cosine.") var metric: String
    @Argument(help: "'parallel' for the 2-thread Hogwild layout, 'sequential' for one block (umap-learn's order).") var mode: String?

    func validate() throws {
        guard DistanceMetric(rawValue: metric) != nil else { throw ValidationError("metric must be euclidean or cosine") }
        guard [nil, "parallel", "sequential"].contains(mode) else { throw ValidationError("mode must be parallel or sequential") }
    }

    func run() throws {
        var config = UMAPConfiguration(metric: DistanceMetric(rawValue: metric)!, deterministic: mode != "parallel")
        if mode == "sequential" { config.layoutBlocks = 1 }
        print(try UMAPBenchmark.run(inputPath: input, outputPath: output, configuration: config).summary)
    }
}
