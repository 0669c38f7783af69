import ArgumentParser
import Foundation
import Lexicell

struct Refine: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a supervised contrastive refiner on labelled cells, or embed cells with a saved one.",
        discussion: """
            Training uses every selected labelled cell (a stratified part is held out for early stopping) and writes
            DIR/refiner.lxr, DIR/refined_embeddings.csv and DIR/training.json. With --refiner FILE the cells are only
            embedded (no labels needed) with the gene vectors of the model the refiner was trained on.
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var geneOptions: GeneOptions
    @OptionGroup var embeddingOptions: EmbeddingOptions
    @OptionGroup var refineOptions: SupConOptions

    @Option(help: "A saved refiner: embed the cells with it instead of training.")
    var refiner: String?

    @Option(help: "Seed of the training run.")
    var seed: UInt64 = 0

    @Option(help: "Output directory.")
    var out: String = "lexicell-refine"
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        try requireExisting(refiner, "--refiner")
        if refiner == nil { try dataOptions.requireLabels() }
    }

    func run() throws {
        var run = RefinementRun(dataset: dataOptions.request, output: outputOptions.request(out, inputs: dataOptions.inputPaths + [refiner]))
        run.knowledge = geneOptions.request
        run.embedding = embeddingOptions.request
        run.refinement = refineOptions.settings
        run.refiner = refiner
        run.seed = seed
        try run.run(log: logLine)
    }
}
