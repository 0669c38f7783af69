import ArgumentParser
import Foundation
import Lexicell

// Enumerated options parse into the library's own types; bad values are refused while parsing.
extension MatrixOrientation: ExpressibleByArgument, CaseIterable {
    public init?(argument: String) {
        switch argument {
        case "auto": self = .auto
        case "genes-by-cells": self = .genesByCells
        case "cells-by-genes": self = .cellsByGenes
        default: return nil
        }
    }
    public static var allCases: [MatrixOrientation] { [.auto, .genesByCells, .cellsByGenes] }
    public var defaultValueDescription: String {
        switch self {
        case .auto: return "auto"
        case .genesByCells: return "genes-by-cells"
        case .cellsByGenes: return "cells-by-genes"
        }
    }
    public static var allValueStrings: [String] { allCases.map(\.defaultValueDescription) }
}
extension SpeciesChoice: ExpressibleByArgument {}
extension CellWeighting: ExpressibleByArgument {}
extension CalibrationKind: ExpressibleByArgument {}
extension DistanceMetric: ExpressibleByArgument {}
extension HousekeepingChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String {
        switch self {
        case .bundled(let s): return s.rawValue
        case .file(let f): return f
        }
    }
}
extension ClassWeighting: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "none": self = .none
        case "balanced": self = .balanced
        default: return nil
        }
    }
    public var defaultValueDescription: String { self == .balanced ? "balanced" : "none" }
    public static var allValueStrings: [String] { ["none", "balanced"] }
}

/// Refuses a path that does not exist, before anything is read.
func requireExisting(_ path: String?, _ option: String) throws {
    guard let path else { return }
    guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("\(option) \(path): no such file or directory") }
}

/// The expression matrix to read.
struct InputOptions: ParsableArguments {
    @Option(help: "Expression data: a 10x directory, .h5ad, .mtx[.gz], or .csv/.tsv[.gz].")
    var data: String

    @Option(help: "Orientation of a delimited matrix.")
    var orientation: MatrixOrientation = .auto

    @Flag(help: "For h5ad: read raw/X instead of X.")
    var raw = false

    @Option(help: "Keep only the cells listed in this file (one barcode per line), e.g. one batch of a dataset.")
    var cellsFile: String?

    @Option(
        help:
            "Scale of the expression values: auto (detected and reported), counts, linear (TPM/RPKM/FPKM: normalised and log1p-transformed), log (used as is).")
    var inputScale: String = "auto"

    @Option(
        help:
            "PCA of the expression baseline: auto (exact up to 20,000 training cells, randomized above), exact, or randomized (seeded subspace iteration on the sparse matrix)."
    )
    var pcaSolver: ExpressionPCASolver = .auto

    @Option(help: "Highly variable genes of the expression baseline (scaled genes and PCA); fewer if the data have fewer genes.")
    var nTopGenes: Int = ExpressionBaselineConfiguration().nTopGenes

    func validate() throws {
        guard nTopGenes >= 1 else { throw ValidationError("--n-top-genes must be at least 1, got \(nTopGenes)") }
        do { _ = try InputScale.argument(inputScale) } catch { throw ValidationError("--input-scale: \(error)") }
        try requireExisting(data, "--data")
        try requireExisting(cellsFile, "--cells-file")
    }

    var request: DatasetRequest {
        var r = DatasetRequest(data: data)
        r.orientation = orientation
        r.raw = raw
        r.cellsFile = cellsFile
        r.inputScale = (try? InputScale.argument(inputScale)) ?? nil
        r.pcaSolver = pcaSolver == .auto ? nil : pcaSolver
        r.nTopGenes = nTopGenes
        return r
    }
}

/// Labels of the cells: a file joined by barcode, or an h5ad obs column.
struct LabelOptions: ParsableArguments {
    @Option(help: "CSV/TSV of cell labels joined by barcode (else --obs-column of an h5ad).")
    var labels: String?

    @Option(help: "Label column in --labels.")
    var labelColumn: String = "Author_CellType"

    @Option(help: "Barcode column in --labels (name or 1-based number; default: first column).")
    var barcodeColumn: String?

    @Option(help: "h5ad obs column holding the labels.")
    var obsColumn: String?

    func validate() throws { try requireExisting(labels, "--labels") }

    func apply(to r: inout DatasetRequest) {
        r.labels = labels
        r.labelColumn = labelColumn
        r.barcodeColumn = barcodeColumn
        r.obsColumn = obsColumn
    }

    /// Labels are needed and must be named.
    func require() throws {
        guard labels != nil || obsColumn != nil else { throw ValidationError("give --labels FILE (with --label-column) or --obs-column for an h5ad") }
    }
}

/// Labelled cells of the chosen classes: what evaluate, benchmark, train and refine read.
struct DataOptions: ParsableArguments {
    @OptionGroup var input: InputOptions
    @OptionGroup var labelOptions: LabelOptions

    @Option(name: .customLong("class"), help: "A class to keep; repeat for several (default: all with --min-cells-per-class cells).")
    var classList: [String] = []

    @Option(help: "File with the classes to keep, one per line (e.g. data/subsets/romanov_gaba6.txt).")
    var classesFile: String?

    @Option(help: "Keep classes with at least this many cells.")
    var minCellsPerClass: Int = 10

    func validate() throws {
        guard minCellsPerClass >= 1 else { throw ValidationError("--min-cells-per-class must be at least 1") }
        try requireExisting(classesFile, "--classes-file")
    }

    var request: DatasetRequest {
        var r = input.request
        labelOptions.apply(to: &r)
        r.classes = classList
        r.classesFile = classesFile
        r.minCellsPerClass = minCellsPerClass
        return r
    }

    func requireLabels() throws { try labelOptions.require() }
}

/// Gene texts, species and housekeeping genes.
struct GeneOptions: ParsableArguments {
    @Option(help: "Species of the gene symbols (auto: from the symbols' case).")
    var species: SpeciesChoice = .auto

    @Option(help: "Gene text TSV (default: the bundled RefSeq summaries for the species).")
    var geneTexts: String?

    @Option(help: "Text column of --gene-texts.")
    var textColumn: String = "summary"

    @Option(help: "Housekeeping genes for the second view: hrt, eisenberg, none, or a file with one symbol per line.")
    var housekeeping: HousekeepingChoice = .bundled(.hrt)

    func validate() throws {
        try requireExisting(geneTexts, "--gene-texts")
        if case .file(let f) = housekeeping { try requireExisting(f, "--housekeeping") }
    }

    var request: KnowledgeRequest {
        var r = KnowledgeRequest()
        r.species = species
        r.geneTexts = geneTexts
        r.textColumn = textColumn
        r.housekeeping = housekeeping
        return r
    }
}

/// How genes become vectors and cells become embeddings.
struct EmbeddingOptions: ParsableArguments {
    @Option(
        help:
            "Language model for gene texts: a name from `lexicell models`, a model folder, or a hosted model: openai:MODEL (key in OPENAI_API_KEY) or http://HOST:PORT:MODEL."
    )
    var model: String = ModelStore.defaultModelName

    @Flag(help: "With a hosted --model: print how many texts are not yet cached, the estimated tokens and cost, and stop before any request.")
    var dryRun = false

    @Option(help: "Gene embeddings from a file (.tsv/.csv: symbol + values, or .lxge), or 'random' for the control only.")
    var geneEmbeddings: String?

    @Flag(inversion: .prefixedNo, help: "Also evaluate the random-gene-vector control of the same dimension.")
    var control = true

    @Option(help: "Top genes per cell.")
    var topN: Int = CellEmbeddingSettings.defaultTopN

    @Option(help: "Cell embedding: mean (the paper), weighted (expression-weighted), genept-w (all genes, weighted).")
    var weighting: CellWeighting = .mean

    @Option(help: "Dimension of random gene vectors when no model or file sets it.")
    var randomDimension: Int = GeneTableSource.defaultRandomDimension

    @Option(help: "SQLite cache of text embeddings (default: beside the models).")
    var cache: String?

    func validate() throws {
        guard topN >= 1 else { throw ValidationError("--top-n must be at least 1 (got \(topN))") }
        guard (1...65_536).contains(randomDimension) else { throw ValidationError("--random-dimension must be between 1 and 65536 (got \(randomDimension))") }
        if let f = geneEmbeddings, f != "random" { try requireExisting(f, "--gene-embeddings") }
        try HostedModels.checkDryRun(dryRun, model: geneEmbeddings == nil ? model : nil)
    }

    var request: EmbeddingRequest {
        var r = EmbeddingRequest()
        r.model = model
        r.geneEmbeddings = geneEmbeddings
        r.control = control
        r.settings = CellEmbeddingSettings(topN: topN, weighting: weighting)
        r.randomDimension = randomDimension
        r.cachePath = cache
        return r
    }
}

/// The evaluation protocol.
struct ProtocolOptions: ParsableArguments {
    @Option(help: "Number of seeded 80/20 splits.")
    var seeds: Int = 5

    @Option(help: "First seed; splits use seed, seed+1, ….")
    var seed: UInt64 = 0

    @Option(help: "Comma-separated k values to choose from by cross-validation.")
    var kGrid: String = HeadGrids.defaultKGrid.map(String.init).joined(separator: ",")

    @Option(help: "Cross-validation folds on the training cells.")
    var folds: Int = 5

    @Option(help: "Fraction of each class held out for testing.")
    var testFraction: Double = 0.2

    var ks: [Int]? {
        let parts = kGrid.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.map { $0! }
    }

    func validate() throws {
        guard ks != nil else { throw ValidationError("--k-grid must list positive integers, e.g. 4,6,8 (got \(kGrid))") }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2") }
        guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1)") }
        guard (1...10_000).contains(seeds) else { throw ValidationError("--seeds must be between 1 and 10000 (got \(seeds))") }
        guard seed <= UInt64.max - UInt64(seeds - 1) else {
            throw ValidationError("--seed \(seed) with --seeds \(seeds) runs past the largest seed, \(UInt64.max)")
        }
    }

    var evaluation: EvaluationProtocol {
        var e = EvaluationProtocol()
        e.kGrid = ks ?? HeadGrids.defaultKGrid
        e.folds = folds
        e.testFraction = testFraction
        return e
    }

    var seedList: [UInt64] { (0..<UInt64(seeds)).map { seed + $0 } }
}

func logLine(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Settings of supervised contrastive refinement (SupCon), for every `+supcon` method and the paper's.
struct SupConOptions: ParsableArguments {
    @Option(help: "SupCon temperature.") var temperature: Float = 0.07
    @Option(help: "Maximum training epochs.") var maxEpochs: Int = 200
    @Option(help: "Epochs without a better validation KNN accuracy before stopping.") var patience: Int = 20
    @Option(help: "Refined embedding dimension.") var refinedDim: Int = 128
    @Option(help: "Hidden layer width.") var hiddenDim: Int = 512
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Batch size (cells; each gives two views).") var batchSize: Int = 256

    func validate() throws {
        guard temperature > 0, temperature.isFinite else { throw ValidationError("--temperature must be a positive number") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be a positive number") }
        for (name, v) in [("--max-epochs", maxEpochs), ("--patience", patience), ("--refined-dim", refinedDim), ("--hidden-dim", hiddenDim)] {
            guard v >= 1 else { throw ValidationError("\(name) must be at least 1 (got \(v))") }
        }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2 (got \(batchSize))") }
    }

    var settings: RefinementSettings {
        var s = RefinementSettings()
        s.temperature = temperature
        s.maxEpochs = maxEpochs
        s.patience = patience
        s.embeddingDim = refinedDim
        s.hiddenDim = hiddenDim
        s.learningRate = learningRate
        s.batchSize = batchSize
        return s
    }
}

/// How the output folder is written: all at once, and never over a file or folder Lexicell did not write.
struct OutputOptions: ParsableArguments {
    @Flag(help: "If --out holds a file or a folder Lexicell did not write, move it aside (to NAME.replaced-TIME) instead of refusing.")
    var force = false

    func request(_ out: String, inputs: [String?]) -> OutputRequest {
        var r = OutputRequest(directory: out, inputs: inputs.compactMap { $0 })
        r.force = force
        return r
    }
}

extension DataOptions {
    /// The paths an output folder must not replace.
    var inputPaths: [String?] { [input.data, labelOptions.labels, input.cellsFile, classesFile] }
}

extension ExpressionPCASolver: ExpressibleByArgument {}
