import ArgumentParser
import Foundation
import Lexicell

struct Pathways: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pathways",
        abstract: "What each subtype (and each vulnerability group) does: Wilcoxon markers, over-representation and preranked GSEA.",
        discussion:
            "Writes markers.csv, pathways.csv (with --groups also group_pathways.csv), pathway_scores.csv and pathways.html into --out. Bundled gene sets: go_bp, reactome, hallmark, wikipathways (mouse). On an annotate output: --data OUT/annotated.h5ad --obs-column lexicell_label (Unassigned cells are left out)."
    )

    @OptionGroup var dataOptions: DataOptions
    @Option(help: "CSV subtype,group (e.g. data/subsets/rgc_vulnerability_groups.csv): also compare each group with the others.")
    var groups: String?
    @Option(name: .customLong("gene-sets"), help: "A bundled collection name or a .gmt[.gz] file; repeat for several (default: all bundled for the species).")
    var geneSets: [String] = []
    @Option(help: "Species of the gene symbols (auto: from the symbols' case).") var species: SpeciesChoice = .auto
    @Option(help: "GSEA permutations.") var permutations: Int = 1000
    @Option(help: "Seed of the GSEA permutations.") var seed: UInt64 = 0
    @Option(help: "Write pathway rows with p at most this (1: all).") var reportP: Double = 0.05
    @Flag(help: "Tie-corrected Wilcoxon z-scores (scanpy tie_correct=True; scanpy's default is off).") var tieCorrect = false
    @Option(help: "Per-cell scores (pathway_scores.csv) of at most this many top sets: each comparison's best 2 with FDR ≤ 0.25 (0: none).")
    var scoreSets: Int = 20
    @Flag(inversion: .prefixedNo, help: "Write pathways.html (summary, dot plot, group table, genes of each set).") var report = true
    @Option(help: "Output directory.") var out: String
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        try dataOptions.requireLabels()
        try requireExisting(groups, "--groups")
        guard permutations >= 1 else { throw ValidationError("--permutations must be at least 1") }
        guard reportP > 0, reportP <= 1 else { throw ValidationError("--report-p must be in (0, 1]") }
        guard scoreSets >= 0 else { throw ValidationError("--score-sets must be at least 0") }
    }

    func run() throws {
        var run = PathwaysRun(dataset: dataOptions.request, output: outputOptions.request(out, inputs: dataOptions.inputPaths + [groups]))
        run.groups = groups
        run.geneSets = geneSets
        run.species = species
        run.settings.permutations = permutations
        run.settings.seed = seed
        run.settings.reportP = reportP
        run.settings.tieCorrect = tieCorrect
        run.maxScoreSets = scoreSets
        run.output.report = report
        for line in try run.run(log: logLine) { print("- " + line) }
    }
}
