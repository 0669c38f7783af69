import ArgumentParser
import Foundation
import Lexicell

struct LexicellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lexicell",
        abstract: "Classify single-cell subtypes from language-model embeddings of gene knowledge.",
        version: LexicellVersion.string,
        subcommands: [Evaluate.self, Refine.self, Train.self, Annotate.self, Umap.self, Benchmark.self, Demo.self, EmbedGenes.self, Genes.self, Models.self, Bench.self, BenchUMAP.self, Pathways.self])
}

// Hosted models (openai:…, http://…) are accepted wherever a model is named.
HostedModels.register()

// `benchmark --config FILE` expands the file into options before parsing.
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "benchmark" {
    do { arguments = try ["benchmark"] + Benchmark.argumentsExpandingConfig(Array(arguments.dropFirst())) } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        exit(1)
    }
}
LexicellCommand.main(arguments)
