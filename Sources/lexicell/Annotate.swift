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
    @OptionGroup var refineOptions: RefineOptions
    @OptionGroup var methodOptions: MethodOptions
    @Option(help: "Seed for the refiner and the cross-validation.") var seed: UInt64 = 0
    @Option(help: "Bundle directory to write.") var out: String

    func run() throws {
        let dataset = try dataOptions.load(log: logLine)
        let knowledge = try geneOptions.knowledge(genes: dataset.expression.genes, log: logLine)
        var trainer = ReferenceTrainer()
        trainer.settings = CellEmbeddingSettings(topN: embeddingOptions.topN, weighting: try embeddingOptions.cellWeighting())
        trainer.refinement = refineOptions.refine ? refineOptions.settings : nil
        trainer.seed = seed
        trainer.cachePath = embeddingOptions.cache
        let source: GeneTableSource = embeddingOptions.geneEmbeddings.map {
            $0 == "random" ? .random(dimension: embeddingOptions.randomDimension, seed: 0) : .file($0)
        } ?? .model(embeddingOptions.model)
        guard methodOptions.methods.count <= 1 else { throw ValidationError("train stores one method: give --method once") }
        let method = methodOptions.methods.first ?? (refineOptions.refine ? "paper" : "auto")
        let bundle: ReferenceBundle
        switch method {
        case "auto":
            bundle = try trainer.trainAuto(dataset, knowledge: knowledge, source: source, selection: try methodOptions.selection(), log: logLine)
        case "paper":
            trainer.refinement = refineOptions.settings
            bundle = try trainer.train(dataset, knowledge: knowledge, source: source, log: logLine)
        case "text":
            bundle = try trainer.train(dataset, knowledge: knowledge, source: source, log: logLine)
        default:
            throw ValidationError("train supports --method auto, paper or text (got \(method))")
        }
        try bundle.write(to: out)
        // Which genes drive each class (informational; not part of the checksummed bundle).
        let needed = TextCellEmbeddings.neededSymbols(expression: dataset.expression, knowledge: knowledge, topN: trainer.settings.topN, weighting: .mean)
        let table = try source.table(symbols: needed, knowledge: knowledge, cachePath: embeddingOptions.cache, defaultDimension: embeddingOptions.randomDimension, log: { _ in })
        let reading = GeneReading.compute(expression: dataset.expression, labels: dataset.labels, classNames: dataset.classNames,
                                          table: table, knowledge: knowledge, topN: trainer.settings.topN)
        try AtomicFile.write(GeneReading.csv(reading), to: out + "/gene_reading.csv")
        let what = bundle.manifest.classifier ?? "gene texts + KNN, k = \(bundle.manifest.k)" + (bundle.refiner != nil ? ", with a SupCon refiner" : "")
        logLine("wrote reference bundle \(out): \(bundle.manifest.cells) cells, \(bundle.manifest.classNames.count) classes, \(what); gene reading in \(out)/gene_reading.csv")
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

    @Option(help: "Reference bundle directory (from `lexicell train`).") var reference: String
    @Option(help: "Query data: a 10x directory, .h5ad, .mtx[.gz], or .csv/.tsv[.gz].") var data: String
    @Option(help: "Optional true labels of the query (CSV/TSV), to score the transfer.") var labels: String?
    @Option(help: "Label column in --labels.") var labelColumn: String = "Author_CellType"
    @Option(help: "Barcode column in --labels.") var barcodeColumn: String?
    @Option(help: "h5ad obs column with true labels.") var obsColumn: String?
    @Flag(help: "For h5ad: read raw/X instead of X.") var raw = false
    @Option(help: "Keep only the query cells listed in this file (one barcode per line).") var cellsFile: String?
    @Option(help: "Query species: auto, mouse, human.") var species: String = "auto"
    @Option(help: "Cells whose confidence (vote fraction, or calibrated probability for expression bundles) is below this are Unassigned.") var minConfidence: Double = 0.5
    @Option(help: "Subtype → group mapping (CSV/TSV: subtype, group), e.g. susceptible / resilient.") var groups: String?
    @Option(help: "SQLite cache of text embeddings.") var cache: String?
    @Flag(inversion: .prefixedNo, help: "Write annotated.h5ad (the query with obs columns and obsm embeddings/UMAP).") var h5ad = true
    @Option(help: "Output directory.") var out: String = "lexicell-annotate"

    func run() throws {
        let bundle = try ReferenceBundle.load(from: reference)
        let m = bundle.manifest
        logLine("reference: \(m.cells) cells, \(m.classNames.count) classes, "
            + (m.classifier ?? "k = \(m.k), genes \(m.geneEmbeddingModel)" + (m.refined ? ", refined" : "")))
        var ds = try DatasetReader.read(path: data, h5adMatrix: raw ? .raw : .x)
        if let cellsFile { ds = try ds.keepingCells(listedIn: cellsFile) }
        let query = ds.expression
        logLine("query: \(query.cellCount) cells × \(query.geneCount) genes")
        let qSpecies: Species
        switch species {
        case "mouse": qSpecies = .mouse
        case "human": qSpecies = .human
        default:
            let lower = query.genes.filter { $0.contains(where: \.isLowercase) }.count
            qSpecies = lower * 2 > query.genes.count ? .mouse : .human
        }
        let knowledge = try GeneKnowledge.load(species: m.species, housekeeping: .none)
        let orthologs = qSpecies != m.species ? try OrthologMap.loadHCOP(path: BundledData.path("genes/hcop_human_mouse_orthologs_15col.txt.gz")) : nil
        var annotator = Annotator()
        annotator.minConfidence = minConfidence
        annotator.cachePath = cache
        let a = try annotator.annotate(query, querySpecies: qSpecies, with: bundle, knowledge: knowledge, orthologs: orthologs, log: logLine)
        let groupMap = try groups.map { try GroupMap.load(path: $0) }

        var truth: [String?]?
        if let labels {
            let join = try LabelTable.read(path: labels, barcodeColumn: barcodeColumn, labelColumn: labelColumn).join(cells: query.cells, file: data)
            logLine(join.summary)
            truth = join.labels
        } else if let obsColumn {
            guard let col = ds.obs[obsColumn] else { throw LexicellError("no obs column '\(obsColumn)'", file: data) }
            truth = col.map { $0.isEmpty ? nil : $0 }
        }

        var csv = "cell,predicted_label,best_label,confidence,mean_similarity" + (groupMap != nil ? ",group" : "") + (truth != nil ? ",true_label,correct" : "") + "\n"
        for i in 0..<a.cells.count {
            csv += [EmbeddingTableCSV.quote(a.cells[i]), EmbeddingTableCSV.quote(a.labels[i]), EmbeddingTableCSV.quote(a.bestLabels[i]),
                    String(format: "%.4f", a.confidence[i]), String(format: "%.4f", a.meanSimilarity[i])].joined(separator: ",")
            if let g = groupMap { csv += "," + EmbeddingTableCSV.quote(g.group(a.labels[i])) }
            if let t = truth { csv += "," + EmbeddingTableCSV.quote(t[i] ?? "") + ",\(t[i] == a.labels[i])" }
            csv += "\n"
        }
        try AtomicFile.write(csv, to: out + "/predictions.csv")

        let summary = TransferSummary(annotation: a, truth: truth, classNames: m.classNames, groups: groupMap)
        let md = summary.markdown()
        try AtomicFile.write(md, to: out + "/summary.md")
        let layout = try UMAP.embed(a.embeddings, configuration: UMAPConfiguration(metric: .cosine))
        if h5ad {
            var obs: [(String, ObsColumn)] = [("lexicell_label", .categorical(a.labels)), ("lexicell_best_label", .categorical(a.bestLabels)),
                                              ("lexicell_confidence", .numbers(a.confidence)), ("lexicell_mean_similarity", .numbers(a.meanSimilarity))]
            if let g = groupMap { obs.append(("lexicell_group", .categorical(a.labels.map(g.group)))) }
            try H5ADWriter.write(path: out + "/annotated.h5ad", expression: query, cells: query.cells, genes: query.genes, obs: obs,
                                 obsm: [("X_lexicell", a.embeddings), ("X_umap", layout)])
        }
        // Gene-level reading of the predicted subtypes (assigned cells) and groups.
        var readings = [GeneReading]()
        let assigned = a.labels.indices.filter { a.labels[$0] != Annotation.unassigned }
        if !assigned.isEmpty, let geneTable = a.geneTable {
            let expr = a.query.selectingCells(assigned)
            let names = Array(Set(assigned.map { a.labels[$0] })).sorted()
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            readings = GeneReading.compute(expression: expr, labels: assigned.map { index[a.labels[$0]]! }, classNames: names,
                                           table: geneTable, knowledge: knowledge, topN: m.topN)
            if let g = groupMap {
                let groupNames = Array(Set(assigned.map { g.group(a.labels[$0]) })).sorted()
                let gi = Dictionary(uniqueKeysWithValues: groupNames.enumerated().map { ($1, $0) })
                readings += GeneReading.compute(expression: expr, labels: assigned.map { gi[g.group(a.labels[$0])]! }, classNames: groupNames,
                                                table: geneTable, knowledge: knowledge, topN: m.topN)
            }
            try AtomicFile.write(GeneReading.csv(readings), to: out + "/gene_reading.csv")
        }
        try AtomicFile.write(summary.report(layout: layout, source: data, reference: reference, genes: readings), to: out + "/report.html")
        print(md)
        logLine("wrote \(out)/predictions.csv, \(out)/summary.md, \(out)/report.html" + (readings.isEmpty ? "" : ", \(out)/gene_reading.csv")
            + (h5ad ? ", \(out)/annotated.h5ad" : ""))
    }
}
