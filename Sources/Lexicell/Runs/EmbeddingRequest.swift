import LexicellCore
import LexicellCells
import LexicellText

/// How genes become vectors and cells embeddings: the model or a file of gene vectors, the random control, the
/// cell-embedding settings and the cache.
public struct EmbeddingRequest: Sendable {
    public var model = ModelStore.defaultModelName
    public var geneEmbeddings: String?
    public var control = true
    public var settings = CellEmbeddingSettings()
    public var randomDimension = GeneTableSource.defaultRandomDimension
    public var cachePath: String?
    public init() {}

    /// Where the main gene vectors come from: the file, the random control (`--gene-embeddings random`), or the model.
    public var source: GeneTableSource {
        guard let f = geneEmbeddings else { return .model(model) }
        return f == "random" ? .random(dimension: randomDimension, seed: 0) : .file(f)
    }

    public func stage(_ knowledge: GeneKnowledge) -> TextEmbeddingStage {
        TextEmbeddingStage(knowledge: knowledge, settings: settings, cachePath: cachePath)
    }
}
