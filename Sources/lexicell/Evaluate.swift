import ArgumentParser
import Foundation
import Lexicell

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate classification methods on a labelled dataset (default: auto, chosen on training cells).",
        discussion: """
        Reads the data and labels and reports accuracy, weighted F1, macro F1, Cohen's kappa and balanced accuracy \
        over seeded stratified 80/20 splits. `--method auto` (the default) chooses, on the training cells of each \
        split only, among expression PCs, scaled genes, gene-text and hybrid representations with KNN, logistic \
        regression or linear SVM heads, and says what it chose; `--method paper` is the paper's method. The \
        random-gene control runs beside them unless --no-control. Writes result.json, predictions.csv, summary.md \
        and report.html into --out; prints the summary.
        """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var geneOptions: GeneOptions
    @OptionGroup var embeddingOptions: EmbeddingOptions
    @OptionGroup var methodOptions: MethodOptions
    @OptionGroup var protocolOptions: ProtocolOptions

    @OptionGroup var refineOptions: RefineOptions

    @Flag(inversion: .prefixedNo, help: "Write report.html (UMAPs, confusion matrices, comparison plots).")
    var report = true

    @Option(help: "Output directory.")
    var out: String = "lexicell-out"

    func run() throws {
        let evaluation = try protocolOptions.evaluation()
        let dataset = try dataOptions.load(log: logLine)
        let knowledge = try geneOptions.knowledge(genes: dataset.expression.genes, log: logLine)
        let settings = CellEmbeddingSettings(topN: embeddingOptions.topN, weighting: try embeddingOptions.cellWeighting())
        let w = settings.weighting == .mean ? "" : "/" + settings.weighting.rawValue
        var specs = methodOptions.methods.isEmpty ? ["auto"] : methodOptions.methods
        if refineOptions.refine && !specs.contains("paper") { specs.append("paper") }
        if embeddingOptions.control {
            specs.append("random" + w)
            if refineOptions.refine { specs.append("random\(w)+supcon") }
        }
        // The knowledge source: the model, a file of gene vectors, or only the random control.
        let sources = GeneTableSource.sources(model: embeddingOptions.model, file: embeddingOptions.geneEmbeddings,
                                              control: false, randomDimension: embeddingOptions.randomDimension)
        var plan = BenchmarkPlan(specs: specs, textSources: sources)
        plan.topN = settings.topN
        plan.refinement = refineOptions.settings
        plan.cachePath = embeddingOptions.cache
        plan.randomDimension = embeddingOptions.randomDimension
        plan.selection = try methodOptions.selection()
        plan.selection.grids.knnK = evaluation.kGrid
        plan.selection.folds = evaluation.folds
        var timings = [String: Double]()
        let methods = try plan.methods(dataset: dataset, knowledge: knowledge, log: logLine, timings: &timings)
        let coverage = plan.lastCoverage
        if let c = coverage {
            logLine(String(format: "coverage: %.1f %% of each cell's top %d genes have a text; %.1f %% are housekeeping genes",
                           100 * c.meanFraction, settings.topN, 100 * c.meanExcludedFraction))
        }
        var parameters = ["top_n": "\(settings.topN)", "weighting": settings.weighting.rawValue, "methods": specs.joined(separator: ","),
                          "housekeeping": knowledge.housekeeping?.name ?? "none", "gene_texts": knowledge.texts.source,
                          "gene_texts_version": knowledge.texts.version, "species": knowledge.species.rawValue,
                          "test_fraction": "\(evaluation.testFraction)", "folds": "\(evaluation.folds)",
                          "calibration": methodOptions.calibration, "min_confidence": "\(methodOptions.minConfidence)",
                          "seeds": protocolOptions.seedList.map(String.init).joined(separator: ",")]
        for (k, v) in plan.modelIdentities { parameters["model:\(k)"] = v }
        if specs.contains(where: { $0.contains("supcon") || $0 == "paper" }) { parameters.merge(refineOptions.describe()) { $1 } }
        let runner = EvaluationRunner(seeds: protocolOptions.seedList, protocolSettings: evaluation)
        let results = try runner.run(dataset, methods: methods, log: logLine)
        let doc = EvaluationDocument(dataset: dataset, source: dataOptions.data, parameters: parameters, coverage: coverage,
                                     kGrid: evaluation.kGrid, methods: results)
        try AtomicFile.write(try doc.json(), to: "\(out)/result.json")
        try AtomicFile.write(doc.predictionsCSV(cellNames: dataset.expression.cells), to: "\(out)/predictions.csv")
        let md = doc.markdown()
        try AtomicFile.write(md, to: "\(out)/summary.md")
        var written = ["result.json", "predictions.csv", "summary.md"]
        if report {
            let builder = EvaluationReport()
            let layouts = try builder.layouts(doc, log: logLine)
            try AtomicFile.write(builder.render(doc, layouts: layouts, labelNames: dataset.labelNames), to: "\(out)/report.html")
            written.append("report.html")
        }
        print(md)
        logLine("wrote " + written.map { "\(out)/\($0)" }.joined(separator: ", "))
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate on the bundled Romanov 2017 hypothalamus data (types with ≥ 10 cells): auto, the paper's method, expression PCA, MiniLM and random genes ± SupCon.")

    @Option(help: "Output directory.")
    var out: String = "out/demo"

    func run() throws {
        let dir = BundledData.path("datasets/romanov2017_hypothalamus_neurons")
        let e = try Evaluate.parse(["--data", dir, "--labels", "\(dir)/cell_metadata.csv", "--label-column", "Author_CellType",
                                    "--min-cells-per-class", "10", "--species", "mouse", "--method", "auto", "--method", "paper",
                                    "--method", "pca", "--method", "text", "--refine", "--out", out])
        try e.run()
    }
}
