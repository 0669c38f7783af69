import Foundation
import LexicellCore
import LexicellPathways

/// `lexicell pathways`: markers, over-representation and preranked GSEA per subtype (and per group), per-cell
/// scores of the top sets; writes markers.csv, pathways.csv (with --groups also group_pathways.csv, the
/// group-vs-group rows), pathway_scores.csv and pathways.html.
///
/// On an `annotate` output (`annotated(_:)`), the subtypes are the predicted labels (obs `lexicell_label` of
/// annotated.h5ad) and Unassigned cells take part in nothing.
public struct PathwaysRun {
    public var dataset: DatasetRequest
    /// A subtype,group table: each group is also compared with the other groups.
    public var groups: String?
    /// Bundled collection names or GMT paths (empty: all bundled collections of the species).
    public var geneSets: [String] = []
    public var species = SpeciesChoice.auto
    public var settings = PathwaySettings()
    /// Per-cell scores: the best `scoreSetsPerGroup` sets of each comparison, at most `maxScoreSets` (0: none).
    public var scoreSetsPerGroup = 2
    public var maxScoreSets = 20
    public var output: OutputRequest

    public init(dataset: DatasetRequest, output: OutputRequest) {
        self.dataset = dataset
        self.output = output
    }

    /// The predicted labels of an `annotate` output folder (or its annotated.h5ad), Unassigned left out.
    public static func annotated(_ path: String) -> DatasetRequest {
        var isDir: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? path + "/annotated.h5ad" : path
        var r = DatasetRequest(data: file)
        r.obsColumn = "lexicell_label"
        r.excludedLabels = [LabelTable.unassigned]
        return r
    }

    /// Runs the reading and writes its files; returns the summary lines.
    public func run(log: (String) -> Void) throws -> [String] {
        var request = dataset
        // Lexicell's abstention marker is never a subtype, whatever the labels' source.
        request.excludedLabels.insert(LabelTable.unassigned)
        let (data, unassigned) = try request.loadLabelledCountingExcluded(log: log)
        let sp = try species.resolve(genes: data.expression.genes, log: log)
        let names = geneSets.isEmpty ? PathwayAnalysis.defaultCollections(species: sp) : geneSets
        let analysis = try PathwayAnalysis.run(
            expression: data.expression, labels: data.labelNames,
            groups: try groups.map { try GroupMap.load(path: $0).groupOf },
            collections: try names.map { try PathwayAnalysis.collection($0, species: sp) },
            resolver: try GeneKnowledge.resolver(species: sp), settings: settings, log: log)
        var report = PathwayReport(analysis: analysis)
        report.unassignedCells = unassigned
        var files: [(name: String, contents: Data)] = [
            ("markers.csv", Data(analysis.markersCSV().utf8)), ("pathways.csv", Data(analysis.pathwaysCSV().utf8)),
        ]
        if groups != nil { files.append(("group_pathways.csv", Data(analysis.pathwaysCSV(groupsOnly: true).utf8))) }
        if maxScoreSets > 0 {
            let sets = PathwayScoreSets.top(analysis, perGroup: scoreSetsPerGroup, maxSets: maxScoreSets)
            if sets.entries.isEmpty {
                log("per-cell scores: no set enriched (NES > 0, FDR ≤ 0.25) in any comparison; pathway_scores.csv not written")
            } else {
                let t0 = Date()
                let scores = sets.scorer(genes: data.expression.genes).scores(data.expression)
                log(String(format: "per-cell scores: %d cells × %d sets (%.2f s)", scores.rows, scores.cols, Date().timeIntervalSince(t0)))
                files.append(("pathway_scores.csv", Data((sets.csvHeader + sets.csvRows(cells: data.expression.cells, scores: scores)).utf8)))
                report.scoreSets = sets
                report.scores = scores
                report.scoreLabels = data.labelNames
            }
        }
        if output.report { files.append(("pathways.html", Data(report.html(source: dataset.data).utf8))) }
        try OutputFiles.write(files, to: output, log: log)
        return report.summaryLines()
    }
}
