import ArgumentParser
import Foundation
import Lexicell

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a reference bundle from labelled cells, to annotate other datasets with `lexicell annotate`.",
        discussion: """
            --method auto (the default) chooses by 5-fold cross-validation on the reference cells among expression PCs \
            + KNN or logistic regression, scaled highly variable genes + logistic regression or linear SVM, and the \
            paper's gene-text embedding + KNN, and stores the choice (with calibrated probabilities) in the bundle. \
            --method paper stores the paper's method (gene texts + SupCon + KNN); --method text the unrefined one.
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var geneOptions: GeneOptions
    @OptionGroup var embeddingOptions: EmbeddingOptions
    @OptionGroup var refineOptions: SupConOptions
    @Flag(help: "Without --method: train the paper's method (gene texts + SupCon) instead of auto.")
    var refine = false
    @OptionGroup var methodOptions: MethodOptions
    @Option(help: "Seed for the refiner and the cross-validation.") var seed: UInt64 = 0
    @Option(help: "Bundle directory to write.") var out: String
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        try dataOptions.requireLabels()
        if let m = methodOptions.methods.first {
            guard methodOptions.methods.count == 1 else { throw ValidationError("train stores one method: give --method once") }
            do { try TrainingRun.checkMethod(m) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() throws {
        var run = TrainingRun(dataset: dataOptions.request, output: outputOptions.request(out, inputs: dataOptions.inputPaths))
        run.knowledge = geneOptions.request
        run.embedding = embeddingOptions.request
        run.method = methodOptions.methods.first ?? (refine ? "paper" : "auto")
        run.selection = methodOptions.selection
        run.refinement = refineOptions.settings
        run.seed = seed
        _ = try run.run(log: logLine)
    }
}

struct Annotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label query cells with a reference bundle: per-cell confidence, Unassigned below a threshold, CSV + h5ad + report.",
        discussion: """
            The query is represented as the reference was (the same gene vectors, N, weighting and refiner; or, for \
            bundles trained with --method auto that chose expression, the reference's genes, scaling, PCA and head) \
            and labelled by the reference's classifier. Across species, query genes are renamed through the HCOP ortholog table. \
            With --labels (or --obs-column) the predictions are also scored, including the fraction unassigned at \
            several thresholds.
            """)

    @Option(help: "Reference bundle directory (from `lexicell train`); or give --markers.") var reference: String?
    @Option(help: "Zero-shot instead of a reference: marker file (type, positive, negative, description; docs/markers.md).") var markers: String?
    @Option(help: "With --markers: weight of knowledge in (1 - w) z(marker) + w z(knowledge) (default: chosen on Romanov GABA-6).")
    var knowledgeWeight = KnowledgeWeight.chosenOnGABA6
    /// The query; labels, if given, score the transfer.
    @OptionGroup var query: InputOptions
    @OptionGroup var queryLabels: LabelOptions
    @Option(help: "Query species (auto: from the symbols' case).") var species: SpeciesChoice = .auto
    @Option(help: "Cells whose confidence (vote fraction, or calibrated probability for expression bundles) is below this are Unassigned.") var minConfidence:
        Double = 0.5
    @Option(help: "Subtype → group mapping (CSV/TSV: subtype, group), e.g. susceptible / resilient.") var groups: String?
    @Option(help: "SQLite cache of text embeddings.") var cache: String?
    @Flag(inversion: .prefixedNo, help: "Write annotated.h5ad (the query with obs columns and obsm embeddings/UMAP).") var h5ad = true
    @Flag(inversion: .prefixedNo, help: "Compute the report's UMAP (on at most --umap-cells cells).") var umap = true
    @Option(help: "Largest number of query cells in the UMAP; a larger query is subsampled (seeded).") var umapCells = 50_000
    @Option(help: "Query cells read, classified and written at a time (memory grows with this, not with the query).")
    var chunkCells = 20_480
    @Option(
        help: ArgumentHelp(
            "Annotate only shard I of N (0 ≤ I < N): a contiguous range of the query's cells; join the shards with `lexicell merge`.",
            valueName: "I/N"))
    var shard: String?
    @Flag(help: "Also read what each predicted subtype does: markers.csv, pathways.csv, pathway_scores.csv, scores in the h5ad and report.")
    var pathways = false
    @Option(
        name: .customLong("gene-sets"),
        help: "With --pathways: a bundled collection or a .gmt[.gz] file; repeat for several (default: all bundled for the species).")
    var geneSets: [String] = []
    @Option(help: "With --pathways: markers and enrichment on at most this many annotated cells (seeded subsample).") var pathwayCells = 20_000
    @Option(help: "Output directory.") var out: String = "lexicell-annotate"
    @OptionGroup var outputOptions: OutputOptions

    var shardSpec: ShardSpec? { shard.flatMap(ShardSpec.init) }

    func validate() throws {
        guard (0...1).contains(minConfidence) else { throw ValidationError("--min-confidence must be between 0 and 1") }
        guard umapCells >= 3 else { throw ValidationError("--umap-cells must be at least 3") }
        guard (reference == nil) != (markers == nil) else { throw ValidationError("give exactly one of --reference DIR and --markers FILE") }
        guard (0...1).contains(knowledgeWeight) else { throw ValidationError("--knowledge-weight must be between 0 and 1") }
        guard chunkCells >= 1 else { throw ValidationError("--chunk-cells must be at least 1") }
        if let shard {
            guard ShardSpec(shard) != nil else {
                throw ValidationError("--shard \(shard): expected I/N with whole numbers 0 ≤ I < N (e.g. 0/3, 1/3, 2/3)")
            }
            guard h5ad else { throw ValidationError("--shard needs the h5ad (lexicell merge joins the shards' annotated.h5ad): drop --no-h5ad") }
        }
        guard !geneSets.isEmpty ? pathways : true else { throw ValidationError("--gene-sets needs --pathways") }
        guard pathwayCells >= 20 else { throw ValidationError("--pathway-cells must be at least 20") }
        guard !pathways || (shard == nil && markers == nil) else {
            throw ValidationError(
                "--pathways runs on a whole --reference annotation: not with --shard (run `lexicell pathways` on the merged h5ad) or --markers")
        }
        guard markers == nil || shard == nil else { throw ValidationError("--shard works with --reference; a --markers run is not sharded") }
        try requireExisting(reference, "--reference")
        try requireExisting(markers, "--markers")
        try requireExisting(groups, "--groups")
    }

    func run() throws {
        var request = query.request
        queryLabels.apply(to: &request)
        let output = outputOptions.request(out, inputs: [reference, markers, query.data, query.cellsFile, queryLabels.labels, groups])
        guard let reference else { return try runMarkers(request, output: output) }
        var run = AnnotationRun(reference: reference, query: request, output: output)
        run.species = species
        run.minConfidence = minConfidence
        run.groups = groups
        run.cachePath = cache
        run.h5ad = h5ad
        run.umap = umap
        run.umapCells = umapCells
        run.chunkCells = chunkCells
        run.shard = shardSpec
        if pathways { run.pathways = geneSets }
        run.pathwayCells = pathwayCells
        print(try run.run(log: logLine))
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the outputs of `annotate --shard I/N` into one predictions.csv, annotated.h5ad and report.",
        discussion: """
            The shards are put in query order and must together cover every query cell once, from one reference \
            bundle, one query and the same options; anything else is refused, naming the shard. The result equals \
            that of one unsharded `annotate` run, cell for cell, including the report's UMAP subsample.
            """)

    @Argument(help: "The shards' output folders (any order).") var shards: [String]
    @Option(help: "Output directory.") var out: String = "lexicell-merged"
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shard output folders to merge") }
        for s in shards { try requireExisting(s, "shard") }
        guard Set(shards).count == shards.count else { throw ValidationError("a shard folder is given twice") }
    }

    func run() throws {
        let run = MergeRun(shards: shards, output: outputOptions.request(out, inputs: shards))
        print(try run.run(log: logLine))
    }
}

extension Annotate {
    /// `--markers`: zero-shot annotation (`MarkerAnnotationRun`).
    func runMarkers(_ request: DatasetRequest, output: OutputRequest) throws {
        var run = MarkerAnnotationRun(markers: markers!, query: request, output: output)
        run.species = species
        run.minConfidence = minConfidence
        run.knowledgeWeight = knowledgeWeight
        run.embedding.cachePath = cache
        run.groups = groups
        run.h5ad = h5ad
        run.umap = umap
        run.umapCells = umapCells
        print(try run.run(log: logLine))
    }
}
