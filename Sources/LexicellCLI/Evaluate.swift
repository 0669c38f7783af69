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

    @OptionGroup var refineOptions: SupConOptions
    @Flag(help: "Also run the paper's method (gene texts + SupCon refinement trained on training cells only) and the refined random control.")
    var refine = false

    @Flag(inversion: .prefixedNo, help: "Write report.html (UMAPs, confusion matrices, comparison plots).")
    var report = true

    @Option(help: "Output directory.")
    var out: String = "lexicell-out"
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws { try dataOptions.requireLabels() }

    func run() throws {
        var run = EvaluationRun(dataset: dataOptions.request, output: outputOptions.request(out, inputs: dataOptions.inputPaths))
        run.output.report = report
        run.knowledge = geneOptions.request
        run.embedding = embeddingOptions.request
        run.methods = methodOptions.methods
        run.selection = methodOptions.selection
        run.evaluation = protocolOptions.evaluation
        run.seeds = protocolOptions.seedList
        run.refine = refine
        run.refinement = refineOptions.settings
        print(try run.run(log: logLine))
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Evaluate on the bundled Romanov 2017 hypothalamus data (types with ≥ 10 cells): auto, the paper's method, expression PCA, MiniLM and random genes ± SupCon."
    )

    @Option(help: "Output directory.")
    var out: String = "out/demo"
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let dir = BundledData.path("datasets/romanov2017_hypothalamus_neurons")
        var e = try Evaluate.parse(
            [
                "--data", dir, "--labels", "\(dir)/cell_metadata.csv", "--label-column", "Author_CellType",
                "--min-cells-per-class", "10", "--species", "mouse", "--method", "auto", "--method", "paper",
                "--method", "pca", "--method", "text", "--refine", "--out", out,
            ] + (outputOptions.force ? ["--force"] : []))
        try e.validate()
        try e.run()
    }
}
