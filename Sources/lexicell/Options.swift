import ArgumentParser
import Foundation
import Lexicell

/// Where the cells and their labels come from.
struct DataOptions: ParsableArguments {
    @Option(help: "Expression data: a 10x directory, .h5ad, .mtx[.gz], or .csv/.tsv[.gz].")
    var data: String

    @Option(help: "CSV/TSV of cell labels joined by barcode (else --obs-column of an h5ad).")
    var labels: String?

    @Option(help: "Label column in --labels.")
    var labelColumn: String = "Author_CellType"

    @Option(help: "Barcode column in --labels (name or 1-based number; default: first column).")
    var barcodeColumn: String?

    @Option(help: "h5ad obs column holding the labels.")
    var obsColumn: String?

    @Option(help: "Orientation of a delimited matrix: auto, genes-by-cells, cells-by-genes.")
    var orientation: String = "auto"

    @Flag(help: "For h5ad: read raw/X instead of X.")
    var raw = false

    @Option(help: "Keep only the cells listed in this file (one barcode per line), e.g. one batch of a dataset.")
    var cellsFile: String?

    @Option(name: .customLong("class"), help: "A class to keep; repeat for several (default: all with --min-cells-per-class cells).")
    var classList: [String] = []

    @Option(help: "File with the classes to keep, one per line (e.g. data/subsets/romanov_gaba6.txt).")
    var classesFile: String?

    @Option(help: "Keep classes with at least this many cells.")
    var minCellsPerClass: Int = 10

    /// The expression matrix alone (no labels needed).
    func loadExpression(log: (String) -> Void) throws -> ExpressionMatrix { try read(log: log).expression }

    private func read(log: (String) -> Void) throws -> Dataset {
        let o: MatrixOrientation
        switch orientation {
        case "auto": o = .auto
        case "genes-by-cells": o = .genesByCells
        case "cells-by-genes": o = .cellsByGenes
        default: throw ValidationError("--orientation must be auto, genes-by-cells or cells-by-genes")
        }
        let t0 = Date()
        var ds = try DatasetReader.read(path: data, orientation: o, h5adMatrix: raw ? .raw : .x)
        if let cellsFile { ds = try ds.keepingCells(listedIn: cellsFile) }
        log(String(format: "read %@: %d cells × %d genes, %d non-zeros (%.2f s)", data, ds.expression.cellCount,
                   ds.expression.geneCount, ds.expression.values.nonZeroCount, Date().timeIntervalSince(t0)))
        return ds
    }

    func load(log: (String) -> Void) throws -> LabelledDataset {
        let ds = try read(log: log)
        let perCell: [String?]
        let source: String
        if let labels {
            let table = try LabelTable.read(path: labels, barcodeColumn: barcodeColumn, labelColumn: labelColumn)
            let join = try table.join(cells: ds.expression.cells, file: data)
            log(join.summary)
            perCell = join.labels
            source = labels
        } else if let obsColumn {
            guard let col = ds.obs[obsColumn] else {
                throw LexicellError("no obs column '\(obsColumn)' (columns: \(ds.obsColumns.joined(separator: ", ")))", file: data)
            }
            perCell = col.map { $0.isEmpty ? nil : $0 }
            source = "\(data) obs/\(obsColumn)"
        } else {
            throw ValidationError("give --labels FILE (with --label-column) or --obs-column for an h5ad")
        }
        var chosenList = classList
        if let classesFile {
            let bytes = try FileData.read(classesFile)
            chosenList += LineSplitter(bytes).strings().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let chosen = chosenList.isEmpty ? nil : chosenList
        let labelled = try LabelledDataset(expression: ds.expression, labels: perCell, classes: chosen,
                                           minCellsPerClass: minCellsPerClass, labelSource: source)
        log("classes: \(labelled.classNames.count) (\(labelled.expression.cellCount) cells; sizes \(labelled.classSizes.min()!)–\(labelled.classSizes.max()!))")
        return labelled
    }
}

/// Gene texts, species and housekeeping genes.
struct GeneOptions: ParsableArguments {
    @Option(help: "Species of the gene symbols: auto, mouse, human.")
    var species: String = "auto"

    @Option(help: "Gene text TSV (default: the bundled RefSeq summaries for the species).")
    var geneTexts: String?

    @Option(help: "Text column of --gene-texts.")
    var textColumn: String = "summary"

    @Option(help: "Housekeeping genes for the second view: hrt, eisenberg, none, or a file with one symbol per line.")
    var housekeeping: String = "hrt"

    func knowledge(genes: [String], log: (String) -> Void) throws -> GeneKnowledge {
        let sp: Species
        switch species {
        case "mouse": sp = .mouse
        case "human": sp = .human
        case "auto" where genes.isEmpty:
            throw ValidationError("give --species mouse or human (no dataset to guess it from)")
        case "auto":
            // Mouse symbols are capitalised (Gad1), human ones upper case (GAD1).
            let lower = genes.filter { $0.contains(where: \.isLowercase) }.count
            sp = lower * 2 > genes.count ? .mouse : .human
            log("species: \(sp.rawValue) (from gene symbol case; override with --species)")
        default: throw ValidationError("--species must be auto, mouse or human")
        }
        let source = HousekeepingSource(rawValue: housekeeping)
        let k = try GeneKnowledge.load(species: sp, textsPath: geneTexts, textColumn: textColumn,
                                       housekeeping: source ?? .none, housekeepingPath: source == nil ? housekeeping : nil)
        log("gene texts: \(k.texts.count) genes from \((k.texts.source as NSString).lastPathComponent)"
            + (k.housekeeping.map { "; housekeeping: \($0.name), \($0.symbols.count) genes" } ?? "; no housekeeping filter"))
        return k
    }
}

/// How genes become vectors and cells become embeddings.
struct EmbeddingOptions: ParsableArguments {
    @Option(help: "Language model for gene texts: a name from `lexicell models`, a model folder, or a hosted model: openai:MODEL (key in OPENAI_API_KEY) or http://HOST:PORT:MODEL.")
    var model: String = "all-MiniLM-L6-v2"

    @Flag(help: "With a hosted --model: print how many texts are not yet cached, the estimated tokens and cost, and stop before any request.")
    var dryRun = false

    @Option(help: "Gene embeddings from a file (.tsv/.csv: symbol + values, or .lxge), or 'random' for the control only.")
    var geneEmbeddings: String?

    @Flag(inversion: .prefixedNo, help: "Also evaluate the random-gene-vector control of the same dimension.")
    var control = true

    @Option(help: "Top genes per cell.")
    var topN: Int = 20

    @Option(help: "Cell embedding: mean (the paper), weighted (expression-weighted), genept-w (all genes, weighted).")
    var weighting: String = "mean"

    @Option(help: "Dimension of random gene vectors when no model or file sets it.")
    var randomDimension: Int = 384

    @Option(help: "SQLite cache of text embeddings (default: beside the models).")
    var cache: String?

    func cellWeighting() throws -> CellWeighting {
        guard let w = CellWeighting(rawValue: weighting) else { throw ValidationError("--weighting must be mean, weighted or genept-w") }
        return w
    }

    func validate() throws {
        try HostedModels.checkDryRun(dryRun, model: geneEmbeddings == nil ? model : nil)
    }
}

/// The evaluation protocol.
struct ProtocolOptions: ParsableArguments {
    @Option(help: "Number of seeded 80/20 splits.")
    var seeds: Int = 5

    @Option(help: "First seed; splits use seed, seed+1, ….")
    var seed: UInt64 = 0

    @Option(help: "Comma-separated k values to choose from by cross-validation.")
    var kGrid: String = "4,6,8,10,12,14"

    @Option(help: "Cross-validation folds on the training cells.")
    var folds: Int = 5

    @Option(help: "Fraction of each class held out for testing.")
    var testFraction: Double = 0.2

    func evaluation() throws -> KNNEvaluation {
        var e = KNNEvaluation()
        let ks = kGrid.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !ks.isEmpty, ks.allSatisfy({ $0 > 0 }) else { throw ValidationError("--k-grid must list positive integers, e.g. 4,6,8") }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2") }
        guard testFraction > 0 && testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1)") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        e.kGrid = ks
        e.folds = folds
        e.testFraction = testFraction
        return e
    }

    var seedList: [UInt64] { (0..<UInt64(seeds)).map { seed + $0 } }
}

func logLine(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Supervised contrastive refinement.
struct RefineOptions: ParsableArguments {
    @Flag(help: "Also refine the cell embeddings with supervised contrastive learning (trained on training cells only) and report both.")
    var refine = false

    @Option(help: "SupCon temperature.") var temperature: Float = 0.07
    @Option(help: "Maximum training epochs.") var maxEpochs: Int = 200
    @Option(help: "Epochs without a better validation KNN accuracy before stopping.") var patience: Int = 20
    @Option(help: "Refined embedding dimension.") var refinedDim: Int = 128
    @Option(help: "Hidden layer width.") var hiddenDim: Int = 512
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Batch size (cells; each gives two views).") var batchSize: Int = 256

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

    func describe() -> [String: String] {
        ["refine_temperature": "\(temperature)", "refine_max_epochs": "\(maxEpochs)", "refine_patience": "\(patience)",
         "refine_dims": "\(hiddenDim)->\(refinedDim)", "refine_learning_rate": "\(learningRate)", "refine_batch": "\(batchSize)"]
    }
}
