import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells

/// Gene-text cell embeddings of a dataset: both views, computed once (each cell's embedding depends on that
/// cell alone, so nothing is fitted and nothing leaks between cells).
public struct TextCellEmbeddings: Sendable {
    /// View 1: top-N of all genes with a vector.
    public var allGenes: DenseMatrix
    /// View 2: top-N after removing housekeeping genes.
    public var withoutHousekeeping: DenseMatrix
    public var coverage: GeneCoverage
    public var modelIdentity: String

    public init(
        expression: ExpressionMatrix, labels: [String]?, table: GeneEmbeddingTable, knowledge: GeneKnowledge,
        settings: CellEmbeddingSettings
    ) {
        let rows = CellEmbedder.alignGenes(expression.genes, to: table, resolver: knowledge.resolver)
        let hk = knowledge.housekeepingIndices(genes: expression.genes)
        let embedder = CellEmbedder(settings)
        allGenes = embedder.embed(expression, table: table, geneRows: rows)
        withoutHousekeeping = embedder.embed(expression, table: table, geneRows: rows, exclude: hk)
        coverage = GeneCoverage.compute(expression, geneRows: rows, topN: settings.topN, labels: labels, excluded: hk)
        modelIdentity = table.modelIdentity
    }
}

/// The text-embedding stage, written once: a dataset's needed genes (by the `TopGeneRule`) → their gene vectors
/// (a model through the SQLite cache, a file, or the random control) → the cell embeddings of both views.
/// Every command and library caller goes through it.
public struct TextEmbeddingStage {
    public var knowledge: GeneKnowledge
    public var settings: CellEmbeddingSettings
    public var cachePath: String?

    public init(knowledge: GeneKnowledge, settings: CellEmbeddingSettings = CellEmbeddingSettings(), cachePath: String? = nil) {
        self.knowledge = knowledge
        self.settings = settings
        self.cachePath = cachePath
    }

    /// The rule for a dataset's genes: eligible = has a text (after alias resolution); housekeeping genes leave view 2.
    public func rule(genes: [String]) -> TopGeneRule {
        TopGeneRule(
            settings: settings, eligible: knowledge.textSymbols(for: genes).map { $0 != nil },
            housekeeping: knowledge.housekeepingIndices(genes: genes))
    }

    /// The text symbols the dataset needs embedded (sorted, distinct).
    public func neededSymbols(_ expression: ExpressionMatrix) -> [String] {
        let symbols = knowledge.textSymbols(for: expression.genes)
        return Array(Set(rule(genes: expression.genes).neededGenes(expression).compactMap { symbols[$0] })).sorted()
    }

    /// The gene vectors of `symbols` from `source`; a random source without a dimension of its own takes
    /// `defaultDimension`.
    public func geneTable(
        _ source: GeneTableSource, symbols: [String],
        defaultDimension: Int = GeneTableSource.defaultRandomDimension, log: (String) -> Void
    ) throws -> GeneEmbeddingTable {
        try source.table(symbols: symbols, knowledge: knowledge, cachePath: cachePath, defaultDimension: defaultDimension, log: log)
    }

    /// Both views' cell embeddings of `expression` from a gene table (`labels` only feed the per-class coverage).
    public func cellEmbeddings(_ expression: ExpressionMatrix, labels: [String]?, table: GeneEmbeddingTable) -> TextCellEmbeddings {
        TextCellEmbeddings(expression: expression, labels: labels, table: table, knowledge: knowledge, settings: settings)
    }

    /// The whole stage: needed genes → gene table → cell embeddings.
    public func run(
        _ expression: ExpressionMatrix, labels: [String]?, source: GeneTableSource,
        defaultDimension: Int = GeneTableSource.defaultRandomDimension,
        log: (String) -> Void
    ) throws -> (embeddings: TextCellEmbeddings, table: GeneEmbeddingTable) {
        let table = try geneTable(source, symbols: neededSymbols(expression), defaultDimension: defaultDimension, log: log)
        return (cellEmbeddings(expression, labels: labels, table: table), table)
    }
}
