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
    @Option(help: "Species of the gene symbols: auto, mouse, human.") var species: String = "auto"
    @Option(help: "GSEA permutations.") var permutations: Int = 1000
    @Option(help: "Seed of the GSEA permutations.") var seed: UInt64 = 0
    @Option(help: "Write pathway rows with p at most this (1: all).") var reportP: Double = 0.05
    @Flag(help: "Tie-corrected Wilcoxon z-scores (scanpy tie_correct=True; scanpy's default is off).") var tieCorrect = false
    @Option(help: "Output directory.") var out: String

    func run() throws {
        let data = try dataOptions.load(log: logLine)
        let genes = data.expression.genes
        guard let sp = species == "auto" ? PathwayAnalysis.guessSpecies(genes: genes) : Species(rawValue: species) else {
            throw ValidationError("--species must be auto, mouse or human")
        }
        let names = geneSets.isEmpty ? PathwayAnalysis.defaultCollections(species: sp) : geneSets
        let collections = try names.map { try PathwayAnalysis.collection($0, species: sp) }
        var settings = PathwaySettings()
        settings.permutations = permutations
        settings.seed = seed
        settings.reportP = reportP
        settings.tieCorrect = tieCorrect
        let t0 = Date()
        let result = try PathwayAnalysis.run(expression: data.expression, labels: data.labelNames,
                                             groups: try groups.map(PathwayAnalysis.readGroups), collections: collections,
                                             resolver: try PathwayAnalysis.resolver(species: sp), settings: settings, log: logLine)
        try result.write(to: out)
        logLine(String(format: "pathways: %d comparisons in %.1f s (species %@); wrote %@/markers.csv and pathways.csv",
                       result.comparisons.count, Date().timeIntervalSince(t0), sp.rawValue, out))
    }
}
