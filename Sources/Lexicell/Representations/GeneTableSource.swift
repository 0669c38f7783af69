import Foundation
import LexicellCore
import LexicellGenes

/// Where a run's gene vectors come from.
public enum GeneTableSource: Sendable {
    /// A language model over the gene texts, through the cache: a name from the model store, a model folder, or
    /// a name a resolver registered with `TextModels.register` claims (the command-line tool's hosted models,
    /// `openai:MODEL` and `http://HOST:PORT:MODEL`). A name rather than an embedder, so that reference bundles
    /// can record it and benchmark model lists can hold it.
    case model(String)
    /// A file of gene vectors.
    case file(String)
    /// The random control; `dimension` nil means "the same as the run's other gene vectors".
    case random(dimension: Int?, seed: UInt64)

    /// Dimension of random gene vectors when nothing else sets it: that of the default model, all-MiniLM-L6-v2.
    public static let defaultRandomDimension = 384

    public var label: String {
        switch self {
        case .model(let m): return (m as NSString).lastPathComponent
        case .file(let f): return (f as NSString).lastPathComponent
        case .random: return "random"
        }
    }

    /// The sources a run evaluates: the model or file, plus the random control unless switched off.
    public static func sources(model: String, file: String?, control: Bool, randomDimension: Int) -> [GeneTableSource] {
        if file == "random" { return [.random(dimension: randomDimension, seed: 0)] }
        let main: GeneTableSource = file.map { .file($0) } ?? .model(model)
        return control ? [main, .random(dimension: nil, seed: 0)] : [main]
    }

    /// The vectors of `symbols` (those with a text). A random source with no dimension of its own takes
    /// `defaultDimension` (the run's other gene vectors).
    public func table(
        symbols: [String], knowledge: GeneKnowledge, cachePath: String?, defaultDimension: Int,
        log: (String) -> Void
    ) throws -> GeneEmbeddingTable {
        switch self {
        case .file(let path):
            let t = try GeneEmbeddingTable.load(path: path)
            log("gene vectors: \(t.count) × \(t.dimension) from \(path)")
            return t
        case .random(let dim, let seed):
            let d = dim ?? defaultDimension
            log("gene vectors: \(symbols.count) × \(d) random Gaussian (seed \(seed)), the control")
            return try GeneEmbeddingTable.random(symbols: symbols, dimension: d, seed: seed)
        case .model(let name):
            return try TextModels.embedGenes(symbols: symbols, texts: knowledge.texts, model: name, cachePath: cachePath, log: log)
        }
    }
}
