import Foundation
import LexicellCore
import LexicellClassify
import LexicellReport

/// What an annotation run found: label counts, and against true labels (when given) accuracy, the fraction
/// unassigned at several thresholds, and group-level metrics.
public struct TransferSummary {
    public var annotation: Annotation
    public var truth: [String?]?
    public var classNames: [String]
    public var groups: GroupMap?
    public static let thresholds = [0.0, 0.3, 0.5, 0.7, 0.9]

    public init(annotation: Annotation, truth: [String?]?, classNames: [String], groups: GroupMap?) {
        self.annotation = annotation
        self.truth = truth
        self.classNames = classNames
        self.groups = groups
    }

    /// Per threshold: fraction unassigned, and accuracy over the assigned cells whose true label the reference knows.
    public func thresholdTable() -> [(threshold: Double, unassigned: Double, accuracy: Double, cells: Int)] {
        guard let truth else { return [] }
        let known = Set(classNames)
        let idx = (0..<truth.count).filter { truth[$0].map(known.contains) ?? false }
        return Self.thresholds.map { t in
            let assigned = idx.filter { annotation.confidence[$0] >= t }
            let correct = assigned.filter { annotation.bestLabels[$0] == truth[$0] }.count
            return (
                t, idx.isEmpty ? 0 : 1 - Double(assigned.count) / Double(idx.count),
                assigned.isEmpty ? .nan : Double(correct) / Double(assigned.count), idx.count
            )
        }
    }

    /// Group-level metrics over cells whose true subtype is known to the reference (best label, no threshold).
    public func groupMetrics() -> ClassificationMetrics? {
        guard let truth, let groups else { return nil }
        let known = Set(classNames)
        let idx = (0..<truth.count).filter { truth[$0].map(known.contains) ?? false }
        let names = Array(Set(classNames.map(groups.group))).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return ClassificationMetrics(
            truth: idx.map { index[groups.group(truth[$0]!)]! },
            predicted: idx.map { index[groups.group(annotation.bestLabels[$0])]! }, classNames: names)
    }

    /// The answer first: cells assigned and Unassigned (and why), the commonest labels, accuracy against the
    /// true labels when given, and the top pathways when a reading was made.
    public func headline(pathways: PathwayReport? = nil) -> [String] {
        var out = [String]()
        let n = annotation.labels.count
        var counts = [String: Int]()
        for l in annotation.labels { counts[l, default: 0] += 1 }
        let unassigned = counts[Annotation.unassigned] ?? 0
        var why = [String: Int]()
        for (i, l) in annotation.labels.enumerated() where l == Annotation.unassigned {
            let r = i < annotation.reasons.count && !annotation.reasons[i].isEmpty ? annotation.reasons[i] : "low confidence"
            why[r, default: 0] += 1
        }
        var s = String(
            format: "%d query cells: %d assigned (%.1f %%) to %d labels, %d Unassigned (%.1f %%)", n, n - unassigned,
            100 * Double(n - unassigned) / Double(max(n, 1)), counts.keys.filter { $0 != Annotation.unassigned }.count, unassigned,
            100 * Double(unassigned) / Double(max(n, 1)))
        if !why.isEmpty { s += ": " + why.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") }
        out.append(s + ".")
        let top = counts.filter { $0.key != Annotation.unassigned }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(5)
        if !top.isEmpty { out.append("Commonest labels: " + top.map { "\($0.key) (\($0.value))" }.joined(separator: ", ") + ".") }
        if let truth {
            let known = Set(classNames)
            let idx = (0..<truth.count).filter { truth[$0].map(known.contains) ?? false }
            let assigned = idx.filter { annotation.labels[$0] != Annotation.unassigned }
            let right = assigned.filter { annotation.labels[$0] == truth[$0] }.count
            let best = idx.filter { annotation.bestLabels[$0] == truth[$0] }.count
            out.append(
                String(
                    format:
                        "Against the true labels (%d cells whose type the reference has): %.1f %% of the assigned cells are right (%d of %d); the best label before the threshold is right for %.1f %% of all.",
                    idx.count, 100 * Double(right) / Double(max(assigned.count, 1)), right, assigned.count, 100 * Double(best) / Double(max(idx.count, 1))))
            if let g = groupMetrics() {
                out.append(String(format: "Groups (%@): accuracy %.3f, macro F1 %.3f.", g.classNames.joined(separator: ", "), g.accuracy, g.macroF1))
            }
        }
        let overlap = annotation.overlap.summary
        out.append(overlap.prefix(1).uppercased() + overlap.dropFirst() + ".")
        if let pathways { out += pathways.summaryLines() }
        return out
    }

    public func markdown() -> String {
        var s = "## Lexicell annotation\n\n" + headline().map { "- " + $0 + "\n" }.joined() + "\n| label | cells |\n|---|---|\n"
        var counts = [String: Int]()
        for l in annotation.labels { counts[l, default: 0] += 1 }
        for (l, c) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) { s += "| \(l) | \(c) |\n" }
        let table = thresholdTable()
        if !table.isEmpty {
            s +=
                "\nAgainst the true labels (\(table[0].cells) query cells whose type the reference has):\n\n| min confidence | unassigned | accuracy of assigned |\n|---|---|---|\n"
            for r in table { s += String(format: "| %.1f | %.3f | %.3f |\n", r.threshold, r.unassigned, r.accuracy) }
        }
        if let g = groupMetrics() {
            s += String(
                format: "\nGroups (%@): accuracy %.3f, macro F1 %.3f, kappa %.3f\n", g.classNames.joined(separator: ", "), g.accuracy, g.macroF1, g.kappa)
        }
        return s
    }

    /// `layout`: UMAP coordinates of the query cells `layoutCells` (all of them, or a seeded subsample of a large
    /// query); nil when the UMAP was switched off. `pathways`: a reading of the predicted labels (its scores,
    /// when present, are rows of all query cells), shown after the labels.
    public func report(
        layout: DenseMatrix?, layoutCells: [Int], source: String, reference: String, genes: [GeneReading] = [],
        pathways: PathwayReport? = nil
    ) -> String {
        var r = HTMLReport(title: "Lexicell annotation — \((source as NSString).lastPathComponent)")
        r.section("Summary")
        r.answer(headline(pathways: pathways))
        if let layout {
            let labels = layoutCells.map { annotation.labels[$0] }
            let shown =
                layoutCells.count == annotation.cells.count ? "" : " (a seeded subsample of \(layoutCells.count) of the \(annotation.cells.count) cells)"
            r.figure(
                svg: Plot.scatter(points: layout, labels: labels, title: "Predicted labels"),
                caption:
                    "UMAP of the query cells in the reference's space\(shown), coloured by predicted label (Unassigned below the confidence threshold or without signal)."
            )
            if let groups {
                r.figure(
                    svg: Plot.scatter(points: layout, labels: labels.map(groups.group), title: "Groups"),
                    caption: "The same UMAP coloured by group.")
            }
        }
        let g = groupMetrics()
        if let g {
            r.figure(
                svg: Plot.confusionMatrix(counts: g.confusion, labels: g.classNames, title: "Groups"), caption: "Group confusion matrix (rows: true group).")
        }
        pathways?.addKeyFigures(to: &r, layout: layout, layoutCells: layoutCells)

        r.section("Query and reference")
        r.keyValues([("query", source), ("reference", reference), ("cells", "\(annotation.cells.count)"), ("gene overlap", annotation.overlap.summary)])
        var counts = [String: Int]()
        for l in annotation.labels { counts[l, default: 0] += 1 }
        r.section("Labels")
        r.folded("Cells per predicted label (\(counts.keys.filter { $0 != Annotation.unassigned }.count) labels and Unassigned)") { r in
            r.table(
                headers: ["label", "cells"],
                rows: counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
        }
        let table = thresholdTable()
        if !table.isEmpty {
            r.section("Against the true labels")
            r.table(
                headers: ["min confidence", "unassigned", "accuracy of assigned"],
                rows: table.map { [String(format: "%.1f", $0.threshold), String(format: "%.3f", $0.unassigned), String(format: "%.3f", $0.accuracy)] })
            if let g {
                r.section("Groups")
                r.table(
                    headers: ["group", "precision", "recall", "F1", "cells"],
                    rows: g.perClass.map {
                        [$0.label, String(format: "%.3f", $0.precision), String(format: "%.3f", $0.recall), String(format: "%.3f", $0.f1), "\($0.support)"]
                    })
            }
        }
        if !genes.isEmpty {
            r.section("Genes behind each predicted subtype")
            r.paragraph(
                "For each predicted subtype (and group), the genes most often among its cells' top genes compared with the other query cells (log-odds, pseudo-count ½), and each gene's share of the subtype centroid's direction; with the first sentence of the gene's text."
            )
            for g in genes {
                r.folded("\(g.group) — \(g.cells) cells") { r in
                    r.table(
                        headers: ["gene", "in subtype", "in others", "log-odds", "centroid share", "text"],
                        rows: g.genes.map {
                            [
                                $0.symbol, String(format: "%.2f", $0.inClass), String(format: "%.2f", $0.inOthers), String(format: "%.2f", $0.logOdds),
                                String(format: "%.3f", $0.centroidShare), $0.firstSentence,
                            ]
                        })
                }
            }
        }
        pathways?.addDetails(to: &r)
        return r.render()
    }
}
