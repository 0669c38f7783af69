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

    public func markdown() -> String {
        var s = "## Lexicell annotation\n\n\(annotation.overlap.summary)\n\n| label | cells |\n|---|---|\n"
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
    /// query); nil when the UMAP was switched off.
    public func report(layout: DenseMatrix?, layoutCells: [Int], source: String, reference: String, genes: [GeneReading] = []) -> String {
        var r = HTMLReport(title: "Lexicell annotation — \((source as NSString).lastPathComponent)")
        r.section("Query and reference")
        r.keyValues([("query", source), ("reference", reference), ("cells", "\(annotation.cells.count)"), ("gene overlap", annotation.overlap.summary)])
        r.section("Labels")
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
        var counts = [String: Int]()
        for l in annotation.labels { counts[l, default: 0] += 1 }
        r.table(
            headers: ["label", "cells"], rows: counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
        let table = thresholdTable()
        if !table.isEmpty {
            r.section("Against the true labels")
            r.table(
                headers: ["min confidence", "unassigned", "accuracy of assigned"],
                rows: table.map { [String(format: "%.1f", $0.threshold), String(format: "%.3f", $0.unassigned), String(format: "%.3f", $0.accuracy)] })
            if let g = groupMetrics() {
                r.section("Groups")
                r.table(
                    headers: ["group", "precision", "recall", "F1", "cells"],
                    rows: g.perClass.map {
                        [$0.label, String(format: "%.3f", $0.precision), String(format: "%.3f", $0.recall), String(format: "%.3f", $0.f1), "\($0.support)"]
                    })
                r.figure(svg: Plot.confusionMatrix(counts: g.confusion, labels: g.classNames, title: "Groups"), caption: "Group confusion matrix.")
            }
        }
        if !genes.isEmpty {
            r.section("Genes behind each predicted subtype")
            r.paragraph(
                "For each predicted subtype (and group), the genes most often among its cells' top genes compared with the other query cells (log-odds, pseudo-count ½), and each gene's share of the subtype centroid's direction; with the first sentence of the gene's text."
            )
            for g in genes {
                r.paragraph("\(g.group) — \(g.cells) cells")
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
        return r.render()
    }
}
