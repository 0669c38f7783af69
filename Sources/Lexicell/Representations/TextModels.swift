import Foundation
import LexicellCore
import LexicellGenes
import LexicellText

/// A text embedder supplied from outside the model store (a hosted model, say), run through the same cache as
/// the native encoder. Its vectors are cached under `embedder.modelIdentity`, which must name the model and
/// where it is served from, and nothing secret.
public struct ExternalTextModel: @unchecked Sendable {
    /// Short name for logs and method labels.
    public var label: String
    public var embedder: TextEmbedder
    /// Texts handed to the embedder at a time; each call's vectors are committed to the cache before the next.
    public var batchSize: Int
    /// Called once before anything is embedded, with the opened cache and the distinct texts of the run (cached
    /// or not). A hosted model learns its vector length here and commits each request as it arrives; a dry run
    /// throws here to stop before any request.
    public var prepare: ((_ cache: EmbeddingCache, _ texts: [String]) throws -> Void)?

    public init(
        label: String, embedder: TextEmbedder, batchSize: Int = 64,
        prepare: ((_ cache: EmbeddingCache, _ texts: [String]) throws -> Void)? = nil
    ) {
        self.label = label
        self.embedder = embedder
        self.batchSize = max(1, batchSize)
        self.prepare = prepare
    }
}

/// Gene texts to vectors with a language model from the model store, or an external one, through the SQLite cache.
public enum TextModels {
    /// The default cache file: `embeddings.sqlite` beside the installed models.
    public static func defaultCachePath(store: ModelStore = ModelStore()) -> String {
        store.directory.appendingPathComponent("embeddings.sqlite").path
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var resolvers = [@Sendable (String) throws -> ExternalTextModel?]()

    /// Lets model names that the model store does not hold (e.g. `openai:…`) resolve to an external model
    /// wherever a model is named (`GeneTableSource.model`, benchmark model lists, reference bundles). A resolver
    /// returns nil for names it does not handle. The command-line tool registers the hosted-model resolver.
    public static func register(_ resolver: @escaping @Sendable (String) throws -> ExternalTextModel?) {
        lock.lock(); defer { lock.unlock() }
        resolvers.append(resolver)
    }

    /// The external model a registered resolver makes of `name`, or nil when none claims it.
    public static func external(_ name: String) throws -> ExternalTextModel? {
        lock.lock()
        let all = resolvers
        lock.unlock()
        for r in all { if let m = try r(name) { return m } }
        return nil
    }

    /// Embeds the texts of `symbols` (those that have one) with `model`; texts already in the cache are not
    /// embedded again, and each finished batch is stored at once so a killed run resumes. A name claimed by a
    /// registered resolver goes to that external model.
    public static func embedGenes(
        symbols: [String], texts: GeneTexts, model: String, cachePath: String?,
        log: (String) -> Void
    ) throws -> GeneEmbeddingTable {
        if let external = try external(model) {
            return try embedGenes(symbols: symbols, texts: texts, external: external, cachePath: cachePath, log: log)
        }
        let store = ModelStore()
        let folder = try store.resolve(model)
        let encoder = try folder.encoder()
        let cache = try EmbeddingCache(path: cachePath ?? defaultCachePath(store: store))
        let cached = CachedEmbedder(base: encoder, cache: cache, batchSize: 64)
        let wanted = symbols.filter { texts.contains($0) }
        let progress = ProgressLine("embedding gene texts", total: wanted.count, unit: "genes")
        let t0 = Date()
        let table = try GeneEmbeddingTable.embed(texts, symbols: wanted, with: cached, progress: progress)
        progress.finish()
        logEmbedded(table, cached.lastReport, seconds: Date().timeIntervalSince(t0), log: log)
        return table
    }

    /// The same with any `TextEmbedder`, cached under its `modelIdentity`.
    public static func embedGenes(
        symbols: [String], texts: GeneTexts, embedder: TextEmbedder, batchSize: Int = 64,
        cachePath: String?, log: (String) -> Void
    ) throws -> GeneEmbeddingTable {
        try embedGenes(
            symbols: symbols, texts: texts,
            external: ExternalTextModel(label: embedder.modelIdentity, embedder: embedder, batchSize: batchSize),
            cachePath: cachePath, log: log)
    }

    /// The same with an external model. It draws its own progress, if any.
    public static func embedGenes(
        symbols: [String], texts: GeneTexts, external: ExternalTextModel, cachePath: String?,
        log: (String) -> Void
    ) throws -> GeneEmbeddingTable {
        let cache = try EmbeddingCache(path: cachePath ?? defaultCachePath())
        let wanted = symbols.filter { texts.contains($0) }
        if let prepare = external.prepare {
            var seen = Set<String>()
            try prepare(cache, wanted.map { texts.text(for: $0)! }.filter { seen.insert($0).inserted })
        }
        let cached = CachedEmbedder(base: external.embedder, cache: cache, batchSize: external.batchSize)
        let t0 = Date()
        let table = try GeneEmbeddingTable.embed(texts, symbols: wanted, with: cached, progress: nil)
        logEmbedded(table, cached.lastReport, seconds: Date().timeIntervalSince(t0), log: log)
        return table
    }

    private static func logEmbedded(_ table: GeneEmbeddingTable, _ r: CachedEmbedder.Report, seconds: Double, log: (String) -> Void) {
        log(
            String(
                format: "gene vectors: %d × %d from %@ (%d from cache, %d embedded in %.1f s)", table.count, table.dimension,
                table.modelIdentity, r.cached, r.computed, seconds))
    }
}
