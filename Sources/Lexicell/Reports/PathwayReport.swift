import Foundation
import LexicellCore
import LexicellIO
import LexicellPathways
import LexicellReport

/// The pathway reading as a report: `pathways.html` of `lexicell pathways`, and the pathway sections an
/// annotation report can take (`TransferSummary.report(..., pathways:)`).
///
/// It opens with the answer (what each subtype and group is enriched for), then the dot plot of the top sets
/// per subtype (colour NES, size = share of the set in the leading edge, ring = FDR ≤ 0.05), each plotted set
/// linked to the row that lists its leading-edge genes; the group-vs-group table; per-cell scores; and the
/// full per-comparison tables folded.
public struct PathwayReport {
    public var analysis: PathwayAnalysis
    /// Per-cell scores of `scoreSets` (cells × sets) and the label of each scored cell (nil: left out).
    public var scoreSets: PathwayScoreSets?
    public var scores: DenseMatrix?
    public var scoreLabels: [String?]?
    /// Cells left out because they were Unassigned (annotate outputs), for the summary.
    public var unassignedCells = 0
    /// Sets per subtype in the dot plot, and the plot's largest number of rows.
    public var topPerGroup = 2
    public var maxDotRows = 30
    /// FDR threshold of the summary's statements (0.25 is GSEA's customary one).
    public var summaryFDR = 0.25

    public init(analysis: PathwayAnalysis) { self.analysis = analysis }

    // MARK: Ranking

    /// A comparison's GSEA results over all collections, by FDR, then p, then decreasing |NES|.
    public static func rankedGSEA(_ c: PathwayComparison) -> [(collection: String, result: GSEAResult)] {
        c.gsea.flatMap { g in g.report.results.map { (collection: g.collection, result: $0) } }.sorted {
            let a = $0.result, b = $1.result
            if a.fdr != b.fdr { return a.fdr < b.fdr }
            if a.pValue != b.pValue { return a.pValue < b.pValue }
            return abs(a.normalizedEnrichmentScore) > abs(b.normalizedEnrichmentScore)
        }
    }

    /// A comparison's ORA results over all collections, by FDR then p.
    public static func rankedORA(_ c: PathwayComparison) -> [(collection: String, result: OverRepresentationResult)] {
        c.ora.flatMap { o in o.report.results.map { (collection: o.collection, result: $0) } }.sorted {
            $0.result.fdr != $1.result.fdr ? $0.result.fdr < $1.result.fdr : $0.result.pValue < $1.result.pValue
        }
    }

    var subtypeComparisons: [PathwayComparison] {
        analysis.comparisons.filter { $0.comparison == "rest" }.sorted { $0.group.compare($1.group, options: [.numeric]) == .orderedAscending }
    }
    var groupComparisons: [PathwayComparison] { analysis.comparisons.filter { $0.comparison != "rest" } }

    /// The group comparisons a reader looks at: with two groups one table says it all (the other is its
    /// mirror), led by a group named like susceptible/vulnerable when there is one.
    var focusGroupComparisons: [PathwayComparison] {
        let g = groupComparisons
        guard g.count == 2 else { return g }
        let lead = g.first { c in ["suscept", "vulnerab"].contains { c.group.lowercased().contains($0) } } ?? g[0]
        return [lead]
    }

    static func short(_ r: GSEAResult) -> String {
        String(format: "%@ (NES %.2f, FDR %@)", displayName(r.id, r.name), r.normalizedEnrichmentScore, fdrText(r.fdr))
    }

    /// A set's readable name: GMT files whose description column is a URL (MSigDB's) are named by their id.
    public static func displayName(_ id: String, _ name: String) -> String {
        name.isEmpty || name.hasPrefix("http://") || name.hasPrefix("https://") ? id : name
    }

    static func fdrText(_ q: Double) -> String { q < 0.001 ? "< 0.001" : String(format: "%.3f", q) }

    // MARK: Summary

    /// The answer in a few lines: what was compared, what the groups and subtypes are enriched for.
    public func summaryLines() -> [String] {
        var lines = [String]()
        let subs = subtypeComparisons
        if !subs.isEmpty {
            let cells = subs.first.map { $0.markers.groupSize + $0.markers.referenceSize } ?? 0
            var s = "\(subs.count) subtypes, each against the other subtypes (\(cells) cells"
            if unassignedCells > 0 { s += "; \(unassignedCells) Unassigned cells left out" }
            s +=
                "); Wilcoxon markers, over-representation of the up-markers and preranked GSEA on \(analysis.matched.map(\.collection).joined(separator: ", "))."
            lines.append(s)
        }
        for c in focusGroupComparisons {
            let ranked = Self.rankedGSEA(c).filter { $0.result.fdr <= summaryFDR }
            let up = ranked.filter { $0.result.normalizedEnrichmentScore > 0 }.prefix(3).map { Self.short($0.result) }
            let down = ranked.filter { $0.result.normalizedEnrichmentScore < 0 }.prefix(3).map { Self.short($0.result) }
            let other = c.comparison.replacingOccurrences(of: "+", with: " + ")
            var s = "\(c.group) vs \(other) (\(c.markers.groupSize) vs \(c.markers.referenceSize) cells): "
            s += "up in \(c.group): " + (up.isEmpty ? "no set at FDR ≤ \(summaryFDR)" : up.joined(separator: "; "))
            s += ". Up in \(other): " + (down.isEmpty ? "no set at FDR ≤ \(summaryFDR)" : down.joined(separator: "; ")) + "."
            let markers = c.markers.upMarkers(maxAdjustedP: analysis.settings.maxAdjustedP, minLogFoldChange: analysis.settings.minLogFoldChange)
            if !markers.isEmpty { s += " Top up-markers: " + markers.prefix(6).map { analysis.genes[$0] }.joined(separator: ", ") + "." }
            lines.append(s)
        }
        if !subs.isEmpty {
            let best = subs.compactMap { c -> (String, GSEAResult)? in
                guard let r = Self.rankedGSEA(c).first(where: { $0.result.normalizedEnrichmentScore > 0 && $0.result.fdr <= 0.05 }) else { return nil }
                return (c.group, r.result)
            }
            var s = "\(best.count) of \(subs.count) subtypes have a set enriched at FDR ≤ 0.05"
            if !best.isEmpty {
                let strongest = best.sorted { $0.1.normalizedEnrichmentScore > $1.1.normalizedEnrichmentScore }.prefix(5)
                s += "; strongest: " + strongest.map { "\($0.0) — \(Self.short($0.1))" }.joined(separator: "; ")
            }
            lines.append(s + ".")
        }
        lines.append("Enrichment is association, not mechanism: a set is enriched because its genes rank high in a group, which says nothing about cause.")
        return lines
    }

    // MARK: Dot plots

    /// Rows of a dot plot: every comparison's best up set (NES > 0, FDR ≤ `summaryFDR`) first, then the second
    /// best, … (≤ `maxDotRows`); a comparison without such a set adds no row.
    func dotRows(_ comparisons: [PathwayComparison]) -> [(collection: String, id: String, name: String, topIn: Int)] {
        let ranked = comparisons.map {
            Self.rankedGSEA($0).filter { $0.result.normalizedEnrichmentScore > 0 && $0.result.fdr <= summaryFDR }
        }
        var rows = [(collection: String, id: String, name: String, topIn: Int)](), seen = Set<String>()
        for round in 0..<topPerGroup {
            for (k, list) in ranked.enumerated() where round < list.count && rows.count < maxDotRows {
                let (collection, r) = list[round]
                guard seen.insert("\(collection)\t\(r.id)").inserted else { continue }
                rows.append((collection, r.id, Self.displayName(r.id, r.name), k))
            }
        }
        return rows
    }

    /// Sets × comparisons: colour NES, size = leading edge / set genes in the ranking, ring at FDR ≤ 0.05.
    /// Row labels link to `anchorPrefix-<row>`.
    public func dotPlot(_ comparisons: [PathwayComparison], title: String, anchorPrefix: String) -> DotPlot? {
        let rows = dotRows(comparisons)
        guard !rows.isEmpty else { return nil }
        var color = [[Double]](), size = [[Double]](), marked = [[Bool]](), tips = [[String]]()
        let lookup = comparisons.map { c in
            Dictionary(
                c.gsea.flatMap { g in g.report.results.map { ("\(g.collection)\t\($0.id)", $0) } }, uniquingKeysWith: { a, _ in a })
        }
        for row in rows {
            var cr = [Double](), sr = [Double](), mr = [Bool](), tr = [String]()
            for (k, c) in comparisons.enumerated() {
                guard let r = lookup[k]["\(row.collection)\t\(row.id)"] else {
                    cr.append(.nan); sr.append(0); mr.append(false); tr.append("")
                    continue
                }
                cr.append(r.normalizedEnrichmentScore)
                sr.append(Double(r.leadingEdge.count) / Double(max(r.sizeInRanking, 1)))
                mr.append(r.fdr <= 0.05)
                tr.append(
                    String(
                        format: "%@ — %@: NES %.2f, p %.3g, FDR %@, leading edge %d of %d genes", Self.displayName(r.id, r.name), c.group,
                        r.normalizedEnrichmentScore,
                        r.pValue, Self.fdrText(r.fdr), r.leadingEdge.count, r.sizeInRanking))
            }
            color.append(cr); size.append(sr); marked.append(mr); tips.append(tr)
        }
        var plot = DotPlot(
            title: title, rows: rows.map { $0.name }, columns: comparisons.map(\.group), color: color, size: size,
            colorScale: .diverging(), colorLabel: "NES", sizeLabel: "leading edge / set")
        plot.marked = marked
        plot.markLabel = "FDR ≤ 0.05"
        plot.rowAnchors = rows.indices.map { "\(anchorPrefix)-\($0)" }
        plot.tooltips = tips
        return plot
    }

    /// Mean per-cell score by label (colour) and share of the label's cells scoring above 0 (size).
    public func scoreDotPlot() -> DotPlot? {
        guard let sets = scoreSets, let scores, let labels = scoreLabels, !sets.entries.isEmpty else { return nil }
        let by = sets.byLabel(scores: scores, labels: labels)
        guard !by.labels.isEmpty else { return nil }
        var plot = DotPlot(
            title: "Per-cell scores by label", rows: sets.entries.map(\.name), columns: by.labels, color: by.mean, size: by.fraction,
            colorScale: .sequential(), colorLabel: "mean score", sizeLabel: "cells with score > 0")
        plot.tooltips = sets.entries.indices.map { j in
            by.labels.indices.map { g in
                String(format: "%@ — %@: mean score %.4f, %.0f %% of cells above 0", sets.entries[j].name, by.labels[g], by.mean[j][g], 100 * by.fraction[j][g])
            }
        }
        return plot
    }

    // MARK: Sections

    /// The key figures: the subtype dot plot with its linked table of leading-edge genes, the group table,
    /// per-cell scores (on `layout`, when given: points of the cells `layoutCells` of the scored ones).
    public func addKeyFigures(to r: inout HTMLReport, layout: DenseMatrix? = nil, layoutCells: [Int] = []) {
        let subs = subtypeComparisons
        if let plot = dotPlot(subs, title: "Top gene sets per subtype (preranked GSEA)", anchorPrefix: "pw-sub") {
            r.section("Top pathways per subtype")
            r.figure(
                svg: plot.svg(),
                caption:
                    "Each subtype's \(topPerGroup) best sets (positive NES, FDR ≤ \(summaryFDR), smallest FDR; at most \(maxDotRows) rows) and their NES in every subtype; dot area = share of the set's genes in the leading edge; ring: FDR ≤ 0.05. Set names link to their genes below."
            )
            plottedSetsTable(&r, rows: dotRows(subs), comparisons: subs, anchorPrefix: "pw-sub")
        }
        let focus = focusGroupComparisons
        if !focus.isEmpty {
            r.section("Groups: " + focus.map { "\($0.group) vs \($0.comparison.replacingOccurrences(of: "+", with: " + "))" }.joined(separator: "; "))
            for c in focus { groupTable(&r, c) }
        }
        if let plot = scoreDotPlot(), let sets = scoreSets, let scores {
            r.section("Per-cell pathway scores")
            r.paragraph(
                "AUCell-style scores (area under each set's recovery curve in the cell's own ranking, top \(Int(100 * sets.topFraction)) % of genes) of the \(sets.entries.count) top sets; written per cell to pathway_scores.csv (and to annotated.h5ad as obs lexicell_pathway_<set id> and obsm \(PathwayScoreSets.obsmName))."
            )
            r.figure(svg: plot.svg(), caption: "Mean score per label (colour) and share of the label's cells scoring above 0 (dot area).")
            if let layout, layout.rows == layoutCells.count, !layoutCells.isEmpty {
                let shown = Array(sets.entries.prefix(12).indices)
                var sub = DenseMatrix(rows: layoutCells.count, cols: shown.count)
                for (i, c) in layoutCells.enumerated() { for j in shown { sub[i, j] = scores[c, j] } }
                r.figure(
                    svg: Plot.scorePanels(points: layout, scores: sub, names: shown.map { sets.entries[$0].name }, title: "Pathway scores on the UMAP"),
                    caption: "The UMAP coloured by each set's per-cell score (each panel from 0 to its own maximum; grey: score 0).")
            }
        }
    }

    /// One row per plotted set with the genes that carry it where it was top (anchors `prefix-<row>`).
    func plottedSetsTable(
        _ r: inout HTMLReport, rows: [(collection: String, id: String, name: String, topIn: Int)], comparisons: [PathwayComparison], anchorPrefix: String
    ) {
        var cells = [[TableCell]]()
        for row in rows {
            let c = comparisons[row.topIn]
            let res = c.gsea.first { $0.collection == row.collection }?.report.results.first { $0.id == row.id }
            cells.append([
                .text(row.name), .text(row.collection), .text(row.id), .text(c.group),
                res.map { .number($0.normalizedEnrichmentScore, digits: 2) } ?? "—", .text(res.map { Self.fdrText($0.fdr) } ?? "—"),
                geneCell(res?.leadingEdge ?? [], of: res?.sizeInRanking ?? 0),
            ])
        }
        r.paragraph("The plotted sets and the leading-edge genes that carry each one in the subtype where it is among the top (click to list them).")
        r.table(
            headers: ["set", "collection", "id", "top in", "NES there", "FDR there", "leading-edge genes"], rows: cells,
            rowIDs: rows.indices.map { "\(anchorPrefix)-\($0)" })
    }

    /// The group-vs-group table: the 25 sets of smallest FDR, either direction, with their leading edges.
    func groupTable(_ r: inout HTMLReport, _ c: PathwayComparison) {
        let other = c.comparison.replacingOccurrences(of: "+", with: " + ")
        let rows = Self.rankedGSEA(c).prefix(25)
        r.paragraph(
            "\(c.group) (\(c.markers.groupSize) cells) against \(other) (\(c.markers.referenceSize) cells): preranked GSEA of the Wilcoxon z-scores, the 25 sets of smallest FDR in either direction. Positive NES: the set's genes rank high in \(c.group); negative: in \(other)."
        )
        r.table(
            headers: ["higher in", "set", "collection", "id", "NES", "p", "FDR", "leading-edge genes"],
            rows: rows.map { x in
                let v = x.result
                return [
                    .text(v.normalizedEnrichmentScore >= 0 ? c.group : other), .text(Self.displayName(v.id, v.name)), .text(x.collection), .text(v.id),
                    .number(v.normalizedEnrichmentScore, digits: 2), .text(String(format: "%.3g", v.pValue)), .text(Self.fdrText(v.fdr)),
                    geneCell(v.leadingEdge, of: v.sizeInRanking),
                ]
            })
        let ora = Self.rankedORA(c).filter { $0.result.overlap > 0 }.prefix(10)
        if !ora.isEmpty {
            r.folded("Over-representation among the \(c.group) up-markers (10 smallest FDR)") { r in
                r.table(
                    headers: ["set", "collection", "id", "overlap", "expected", "p", "FDR", "overlap genes"],
                    rows: ora.map { x in
                        let v = x.result
                        return [
                            .text(Self.displayName(v.id, v.name)), .text(x.collection), .text(v.id), .integer(v.overlap), .number(v.expected, digits: 1),
                            .text(String(format: "%.3g", v.pValue)), .text(Self.fdrText(v.fdr)), geneCell(v.overlapGenes, of: v.sizeInUniverse),
                        ]
                    })
            }
        }
    }

    func geneCell(_ genes: [Int32], of total: Int) -> TableCell {
        guard !genes.isEmpty else { return "—" }
        return .expandable(summary: "\(genes.count) of \(total) genes", items: genes.map { analysis.genes[Int($0)] })
    }

    /// Every comparison's top sets (GSEA up and down, ORA), each folded; then coverage and settings.
    public func addDetails(to r: inout HTMLReport) {
        r.section("Every comparison")
        r.paragraph(
            "Per comparison, the 10 sets of smallest FDR of each test (all rows with p ≤ \(analysis.settings.reportP) are in pathways.csv). Click to open.")
        for c in analysis.comparisons {
            let other = c.comparison.replacingOccurrences(of: "+", with: " + ")
            r.folded("\(c.group) vs \(other) — \(c.markers.groupSize) cells") { r in
                let g = Self.rankedGSEA(c).prefix(10)
                r.table(
                    headers: ["test", "set", "collection", "id", "NES / overlap ÷ expected", "p", "FDR", "genes"],
                    rows: g.map { x in
                        [
                            "GSEA", .text(Self.displayName(x.result.id, x.result.name)), .text(x.collection), .text(x.result.id),
                            .number(x.result.normalizedEnrichmentScore, digits: 2),
                            .text(String(format: "%.3g", x.result.pValue)), .text(Self.fdrText(x.result.fdr)),
                            geneCell(x.result.leadingEdge, of: x.result.sizeInRanking),
                        ]
                    }
                        + Self.rankedORA(c).filter { $0.result.overlap > 0 }.prefix(10).map { x in
                            [
                                "ORA", .text(Self.displayName(x.result.id, x.result.name)), .text(x.collection), .text(x.result.id),
                                .number(Double(x.result.overlap) / max(x.result.expected, 1e-12), digits: 2),
                                .text(String(format: "%.3g", x.result.pValue)), .text(Self.fdrText(x.result.fdr)),
                                geneCell(x.result.overlapGenes, of: x.result.sizeInUniverse),
                            ]
                        })
            }
        }
        r.section("Gene sets and settings")
        r.folded("Coverage of the collections and settings") { r in
            for line in analysis.coverage { r.paragraph(line) }
            let s = analysis.settings
            r.keyValues([
                (
                    "markers",
                    "Wilcoxon rank-sum as scanpy, tie correction \(s.tieCorrect ? "on" : "off"); up-markers: adjusted p ≤ \(s.maxAdjustedP), log2 FC ≥ \(s.minLogFoldChange)"
                ),
                ("GSEA", "preranked on the z-scores, weight 1, \(s.permutations) permutations, seed \(s.seed)"),
                ("set sizes", "\(s.minSetSize)–\(s.maxSetSize) genes"),
            ])
        }
    }

    /// `pathways.html`: summary, key figures, then everything folded.
    public func html(source: String) -> String {
        var r = HTMLReport(title: "Lexicell pathways — \((source as NSString).lastPathComponent)")
        r.section("Summary")
        r.answer(summaryLines())
        addKeyFigures(to: &r)
        addDetails(to: &r)
        return r.render()
    }
}

extension PathwayReport {
    /// The pathway reading of an annotation, for `annotate` to call: markers, ORA and GSEA per predicted
    /// subtype (Unassigned cells left out) and per group, then the per-cell scores of the top sets for every
    /// query cell (Unassigned ones too: they go to annotated.h5ad; the report's by-label plot leaves them out).
    ///
    /// The reading needs the assigned cells together (rank sums compare whole groups); the scores do not: a
    /// streaming run can pass `scoreCells: false`, score each chunk with `scoreSets!.scorer(genes:)`, and set
    /// `scores` (all cells × sets, in query order) before rendering.
    public static func annotation(
        expression: ExpressionMatrix, labels: [String], groups: GroupMap?, species: Species, geneSets: [String] = [],
        settings: PathwaySettings = .init(), maxScoreSets: Int = 20, minCellsPerLabel: Int = 10, scoreCells: Bool = true,
        log: (String) -> Void = { _ in }
    ) throws -> PathwayReport {
        precondition(labels.count == expression.cellCount, "one label per query cell")
        let names = geneSets.isEmpty ? PathwayAnalysis.defaultCollections(species: species) : geneSets
        // Subtypes predicted for fewer than `minCellsPerLabel` cells are left out, as `lexicell pathways` does.
        var counts = [String: Int]()
        for l in labels { counts[l, default: 0] += 1 }
        let perCell = PathwayAnalysis.excludingUnassigned(labels).map { $0.flatMap { counts[$0]! >= minCellsPerLabel ? $0 : nil } }
        guard Set(perCell.compactMap { $0 }).count >= 2 else {
            throw LexicellError("pathways: fewer than two predicted subtypes with at least \(minCellsPerLabel) assigned cells")
        }
        let analysis = try PathwayAnalysis.run(
            expression: expression, labels: perCell, groups: groups?.groupOf,
            collections: try names.map { try PathwayAnalysis.collection($0, species: species) },
            resolver: try GeneKnowledge.resolver(species: species), settings: settings, log: log)
        var report = PathwayReport(analysis: analysis)
        report.unassignedCells = labels.filter { $0 == Annotation.unassigned }.count
        report.scoreLabels = perCell
        if maxScoreSets > 0 {
            let sets = PathwayScoreSets.top(analysis, maxSets: maxScoreSets)
            if !sets.entries.isEmpty {
                report.scoreSets = sets
                if scoreCells { report.scores = sets.scorer(genes: expression.genes).scores(expression) }
            }
        }
        return report
    }
}
