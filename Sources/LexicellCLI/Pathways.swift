import ArgumentParser
import Foundation
import Lexicell

struct Pathways: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pathways",
        abstract: "What each subtype (and each vulnerability group) does: Wilcoxon markers, over-representation and preranked GSEA.",
        discussion: "Writes markers.csv and pathways.csv into --out. Bundled gene sets: go_bp, reactome, hallmark, wikipathways (mouse).")

    @OptionGroup var dataOptions: DataOptions
    @Option(help: "CSV subtype,group (e.g. data/subsets/rgc_vulnerability_groups.csv): also compare each group with the others.")
    var groups: String?
    @Option(name: .customLong("gene-sets"), help: "A bundled collection name or a .gmt[.gz] file; repeat for several (default: all bundled for the species).")
    var geneSets: [String] = []
    @Option(help: "Species of the gene symbols (auto: from the symbols' case).") var species: SpeciesChoice = .auto
    @Option(help: "GSEA permutations.") var permutations: Int = 1000
    @Option(help: "Seed of the GSEA permutations.") var seed: UInt64 = 0
    @Option(help: "Write pathway rows with p at most this (1: all).") var reportP: Double = 0.05
    @Option(help: "Output directory.") var out: String
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        try dataOptions.requireLabels()
        try requireExisting(groups, "--groups")
        guard permutations >= 1 else { throw ValidationError("--permutations must be at least 1") }
        guard reportP > 0, reportP <= 1 else { throw ValidationError("--report-p must be in (0, 1]") }
    }

    func run() throws {
        let data = try dataOptions.request.loadLabelled(log: logLine)
        let sp = try species.resolve(genes: data.expression.genes, log: logLine)
        let names = geneSets.isEmpty ? PathwayAnalysis.defaultCollections(species: sp) : geneSets
        var settings = PathwaySettings()
        settings.permutations = permutations
        settings.seed = seed
        settings.reportP = reportP
        let result = try PathwayAnalysis.run(expression: data.expression, labels: data.labelNames,
                                             groups: try groups.map { try GroupMap.load(path: $0).groupOf },
                                             collections: try names.map { try PathwayAnalysis.collection($0, species: sp) },
                                             resolver: try GeneKnowledge.resolver(species: sp), settings: settings, log: logLine)
        try OutputFiles.write([("markers.csv", Data(result.markersCSV().utf8)), ("pathways.csv", Data(result.pathwaysCSV().utf8))],
                              to: outputOptions.request(out, inputs: dataOptions.inputPaths + [groups]), log: logLine)
    }
}
