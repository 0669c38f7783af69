import Foundation
import LexicellCore
import LexicellGenes
import LexicellIO
import LexicellPathways

/// Settings of a pathway reading (defaults: scanpy's Wilcoxon without tie correction, markers at adjusted
/// p ≤ 0.05 and log2 fold change ≥ 0.25, gseapy's prerank defaults).
public struct PathwaySettings: Sendable {
    public var tieCorrect = false
    public var maxAdjustedP = 0.05
    public var minLogFoldChange = 0.25
    public var permutations = 1000
    public var seed: UInt64 = 0
    public var minSetSize = 15
    public var maxSetSize = 500
    /// Rows of pathways.csv are written when p ≤ this (1 writes every tested set).
    public var reportP = 0.05
    public init() {}
}

/// One comparison: cells of `group` against `reference` cells.
public struct PathwayComparison: Sendable {
    public var group: String
    /// "rest" (other subtypes) or the names of the other vulnerability groups joined by "+".
    public var comparison: String
    public var markers: MarkerTable
    public var ora: [(collection: String, report: OverRepresentationReport)]
    public var gsea: [(collection: String, report: GSEAReport)]
}

/// Markers → over-representation + preranked GSEA for every subtype (one vs the other subtypes) and, given
/// a subtype → group table, every group against the other groups. Writes `markers.csv` and `pathways.csv`.
public struct PathwayAnalysis: Sendable {
    public var genes: [String]
    public var comparisons: [PathwayComparison]
    public var coverage: [String]
    public var settings: PathwaySettings
    /// The collections as matched to `genes` (set members index into `genes`), for per-cell scores.
    public var matched: [MatchedGeneSets] = []

    /// Bundled collection names (`go_bp`, `reactome`, `hallmark`, `wikipathways`) for a species, else a GMT path.
    public static func collection(_ nameOrPath: String, species: Species) throws -> GeneSetCollection {
        let bundled = ["go_bp", "reactome", "hallmark", "wikipathways"]
        guard bundled.contains(nameOrPath) else { return try GeneSetCollection.read(path: nameOrPath) }
        let path = BundledData.path("genesets/\(nameOrPath)_\(species.rawValue).gmt.gz")
        guard FileManager.default.fileExists(atPath: path) else {
            throw LexicellError("no bundled '\(nameOrPath)' gene sets for \(species.rawValue) (see data/README.md, genesets)", file: path)
        }
        return try GeneSetCollection.read(path: path, name: nameOrPath)
    }

    /// The bundled collections read when none is named: GO BP, Reactome, Hallmark, and WikiPathways for mouse.
    public static func defaultCollections(species: Species) -> [String] {
        species == .mouse ? ["go_bp", "reactome", "hallmark", "wikipathways"] : ["go_bp", "reactome", "hallmark"]
    }

    /// Runs the reading. Raw counts (non-negative integers) are log-normalised first (log1p of counts per 10⁴).
    /// Dataset genes are matched to each collection's symbols through `resolver`.
    public static func run(
        expression input: ExpressionMatrix, labels: [String?], groups: [String: String]?,
        collections: [GeneSetCollection], resolver: GeneSymbolResolver, settings: PathwaySettings = .init(),
        log: (String) -> Void = { _ in }
    ) throws -> PathwayAnalysis {
        var x = input.values
        if input.looksLikeCounts {
            x = LogNormalization.log1pPerTarget(x)
            log("expression looks like counts: log1p(counts / total · 1e4)")
        }
        var seen = [Bool](repeating: false, count: x.cols)
        for c in x.indices { seen[Int(c)] = true }
        let universe = (0..<x.cols).filter { seen[$0] }.map(Int32.init)
        var coverage = [String]()
        let matched = collections.map { c -> MatchedGeneSets in
            let symbols = Set(c.sets.flatMap(\.genes))
            let resolved = resolver.resolve(input.genes, against: symbols)
            var map = [String: String]()
            for (g, s) in zip(input.genes, resolved) { if let s { map[g] = s } }
            let out = c.matched(to: input.genes, symbol: { map[$0] }, minSize: settings.minSetSize, maxSize: settings.maxSetSize)
            coverage.append(out.coverageSummary)
            log(out.coverageSummary)
            return out
        }
        var jobs = [(group: String, comparison: String, table: MarkerTable)]()
        for t in try RankSumMarkers.oneVsRest(x, labels: labels, tieCorrect: settings.tieCorrect) { jobs.append((t.group, "rest", t)) }
        if let groups {
            let perCell: [String?] = labels.map { $0.flatMap { groups[$0] } }
            let names = Set(perCell.compactMap { $0 }).sorted()
            guard names.count >= 2 else { throw LexicellError("--groups: fewer than two groups among the selected subtypes") }
            for t in try RankSumMarkers.oneVsRest(x, labels: perCell, tieCorrect: settings.tieCorrect) {
                jobs.append((t.group, names.filter { $0 != t.group }.joined(separator: "+"), t))
            }
        }
        var comparisons = [PathwayComparison]()
        for job in jobs {
            let t = job.table
            let up = t.upMarkers(maxAdjustedP: settings.maxAdjustedP, minLogFoldChange: settings.minLogFoldChange).map(Int32.init)
            let options = PrerankedGSEA.Options(
                permutations: settings.permutations, seed: settings.seed,
                minSize: settings.minSetSize, maxSize: settings.maxSetSize)
            var ora = [(String, OverRepresentationReport)](), gsea = [(String, GSEAReport)]()
            for m in matched {
                ora.append((m.collection, OverRepresentation.test(selected: up, universe: universe, sets: m.sets, minSetSize: settings.minSetSize)))
                gsea.append(
                    (
                        m.collection,
                        PrerankedGSEA.run(
                            genes: universe, scores: universe.map { t.scores[Int($0)] },
                            sets: m.sets, options: options)
                    ))
            }
            log("\(job.group) vs \(job.comparison): \(t.groupSize) cells, \(up.count) up-markers")
            comparisons.append(PathwayComparison(group: job.group, comparison: job.comparison, markers: t, ora: ora, gsea: gsea))
        }
        return PathwayAnalysis(genes: input.genes, comparisons: comparisons, coverage: coverage, settings: settings, matched: matched)
    }

    /// Predicted labels as pathway labels: `Unassigned` cells take part in no comparison (nil).
    public static func excludingUnassigned(_ labels: [String]) -> [String?] {
        labels.map { $0 == LabelTable.unassigned || $0.isEmpty ? nil : $0 }
    }

    /// `markers.csv`: genes with adjusted p ≤ the marker threshold, by comparison and decreasing score.
    public func markersCSV() -> String {
        var s = "group,comparison,gene,score,log2_fold_change,p,fdr,fraction_in_group,fraction_in_reference\n"
        for c in comparisons {
            let t = c.markers
            for j in t.ranking() where t.adjustedPValues[j] <= settings.maxAdjustedP {
                s +=
                    [
                        q(c.group), q(c.comparison), q(genes[j]), f(t.scores[j]), f(t.logFoldChanges[j]), f(t.pValues[j]),
                        f(t.adjustedPValues[j]), f(t.fractionInGroup[j]), f(t.fractionInReference[j]),
                    ].joined(separator: ",") + "\n"
            }
        }
        return s
    }

    /// `pathways.csv`: one row per comparison, collection, test and set with p ≤ `reportP`, by p (then FDR).
    /// statistic = overlap / expected for ORA, ES for GSEA; nes empty for ORA. `groupsOnly`: only the
    /// group-vs-group comparisons (`group_pathways.csv`, e.g. susceptible vs resilient).
    public func pathwaysCSV(groupsOnly: Bool = false) -> String {
        var s = "group,comparison,collection,test,set_id,name,set_size,overlap,statistic,nes,p,fdr,leading_genes\n"
        for c in comparisons where !groupsOnly || c.comparison != "rest" {
            var rows = [(p: Double, fdr: Double, row: String)]()
            for (name, r) in c.ora {
                for x in r.results where x.pValue <= settings.reportP {
                    rows.append(
                        (
                            x.pValue, x.fdr,
                            [
                                q(c.group), q(c.comparison), q(name), "ora", q(x.id), q(x.name), "\(x.sizeInUniverse)",
                                "\(x.overlap)", f(Double(x.overlap) / x.expected), "", f(x.pValue), f(x.fdr),
                                q(x.overlapGenes.map { genes[Int($0)] }.joined(separator: ";")),
                            ].joined(separator: ",")
                        ))
                }
            }
            for (name, r) in c.gsea {
                for x in r.results where x.pValue <= settings.reportP {
                    rows.append(
                        (
                            x.pValue, x.fdr,
                            [
                                q(c.group), q(c.comparison), q(name), "gsea", q(x.id), q(x.name), "\(x.sizeInRanking)",
                                "\(x.leadingEdge.count)", f(x.enrichmentScore), f(x.normalizedEnrichmentScore), f(x.pValue),
                                f(x.fdr), q(x.leadingEdge.map { genes[Int($0)] }.joined(separator: ";")),
                            ].joined(separator: ",")
                        ))
                }
            }
            // By p; equal p (e.g. 0 of the permutations beyond) by FDR. Stable, so ties keep ORA before GSEA.
            for r in rows.enumerated().sorted(by: { ($0.element.p, $0.element.fdr, $0.offset) < ($1.element.p, $1.element.fdr, $1.offset) }) {
                s += r.element.row + "\n"
            }
        }
        return s
    }

    private func q(_ s: String) -> String { EmbeddingTableCSV.quote(s) }
    private func f(_ x: Double) -> String { String(format: "%.6g", x) }
}
