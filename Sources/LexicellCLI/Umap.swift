import ArgumentParser
import Foundation
import Lexicell

struct Umap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "umap",
        abstract: "UMAP coordinates for any embedding (CSV `cell[,label],values…` as written by `refine`, or .npy).",
        discussion: "Writes CSV `cell,umap1,umap2` (and a JSON with parameters and trustworthiness); umap-learn's defaults.")

    @Option(help: "Embedding file: CSV with a header (first column cell; a `label` column is kept) or a 2-D float32 .npy.")
    var input: String
    @Option(help: "Output CSV.") var out: String
    @Option(help: "Also write an h5ad with obsm X_embedding and X_umap (no X), for scanpy.") var h5ad: String?
    @Option(help: "Neighbours.") var nNeighbors: Int = 15
    @Option(help: "Minimum distance.") var minDist: Float = 0.1
    @Option(help: "Metric: euclidean or cosine.") var metric: DistanceMetric = .cosine
    @Option(help: "Epochs (default: 500 up to 10,000 points, else 200).") var epochs: Int?
    @Option(help: "Seed.") var seed: UInt64 = 42
    @Option(help: "Neighbours for trustworthiness (0 to skip).") var trustworthinessK: Int = 15

    func validate() throws {
        guard nNeighbors >= 2 else { throw ValidationError("--n-neighbors must be at least 2") }
        guard minDist >= 0, minDist.isFinite else { throw ValidationError("--min-dist must be 0 or more") }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be at least 1") }
        guard trustworthinessK >= 0 else { throw ValidationError("--trustworthiness-k must be 0 or more") }
        try requireExisting(input, "--input")
    }

    func run() throws {
        let m = metric
        let (x, cells) = try EmbeddingInput.read(input)
        let config = UMAPConfiguration(nNeighbors: nNeighbors, minDist: minDist, nEpochs: epochs, metric: m, seed: seed)
        let t0 = Date()
        let y = try UMAP.embed(x, configuration: config, progress: ProgressLine("UMAP", total: config.epochs(forPoints: x.rows), unit: "epochs"))
        let seconds = Date().timeIntervalSince(t0)
        var s = "cell,umap1,umap2\n"
        for i in 0..<y.rows { s += "\(EmbeddingTableCSV.quote(cells[i])),\(y[i, 0]),\(y[i, 1])\n" }
        try AtomicFile.write(s, to: out)
        var info: [String: String] = [
            "points": "\(x.rows)", "dimensions": "\(x.cols)", "seconds": String(format: "%.2f", seconds),
            "n_neighbors": "\(nNeighbors)", "min_dist": "\(minDist)", "metric": metric.rawValue, "seed": "\(seed)",
        ]
        if trustworthinessK > 0 && Double(trustworthinessK) < Double(x.rows) / 2 {
            info["trustworthiness"] = String(format: "%.4f", try Trustworthiness.score(high: x, low: y, k: trustworthinessK, metric: m))
            info["trustworthiness_k"] = "\(trustworthinessK)"
        }
        if let h5ad {
            try H5ADWriter.write(path: h5ad, expression: nil, cells: cells, genes: [], obsm: [("X_embedding", x), ("X_umap", y)])
        }
        let json = try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(json, to: (out as NSString).deletingPathExtension + ".json")
        logLine(
            "UMAP of \(x.rows) × \(x.cols) in " + String(format: "%.2f s", seconds)
                + (info["trustworthiness"].map { ", trustworthiness \($0)" } ?? "") + "; wrote \(out)")
    }
}
