import ArgumentParser
import Foundation
import Lexicell

/// The `lexicell` command line: a thin typed layer over the library's runs (`EvaluationRun`, `TrainingRun`, …).
/// Every option is parsed into the library's types and checked in `validate()` before any data is read.
public struct LexicellCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lexicell",
        abstract: "Classify single-cell subtypes from language-model embeddings of gene knowledge.",
        version: LexicellVersion.string,
        subcommands: [
            Evaluate.self, Refine.self, Train.self, Annotate.self, Merge.self, Umap.self, Benchmark.self, Demo.self, EmbedGenes.self,
            Genes.self, Models.self, Bench.self, BenchUMAP.self, Pathways.self,
        ])

    public init() {}

    /// The arguments as the parser sees them: `benchmark --config FILE` expands the file into options.
    public static func expandingConfig(_ arguments: [String]) throws -> [String] {
        guard arguments.first == "benchmark" else { return arguments }
        return ["benchmark"] + (try Benchmark.argumentsExpandingConfig(Array(arguments.dropFirst())))
    }

    /// Runs the tool on the process's arguments; hosted models (openai:…, http://…) are accepted wherever a model is named.
    public static func runFromCommandLine() {
        let arguments = CommandLine.arguments
        if arguments.count == 3 && arguments[1] == H5ADProbe.argument { H5ADProbe.childMain(arguments[2]) }
        // Every h5ad is first walked by a child `lexicell` (a libhdf5 crash then stays a clear error).
        H5ADProbe.executable = H5ADProbe.currentExecutable
        HostedModels.register()
        do {
            main(try expandingConfig(Array(CommandLine.arguments.dropFirst())))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
