import Foundation
import LexicellCore
import LexicellClassify
import LexicellReport

/// The self-contained HTML report of an evaluation: dataset, coverage, parameters, metrics, plots and UMAPs.
public struct EvaluationReport {
    public var umap = UMAPConfiguration(metric: .cosine)
    /// Neighbours for the trustworthiness reported with every UMAP.
    public var trustworthinessK = 15
    public init() {}

    /// One method's 2-D layout of all cells (first split's space) with its trustworthiness.
    public struct Layout: Sendable {
        public var method: String
        public var points: DenseMatrix
        public var trustworthiness: Double
    }

    public func layouts(_ doc: EvaluationDocument, log: (String) -> Void = { _ in }) throws -> [Layout] {
        try doc.methods.compactMap { m in
            guard let x = m.firstSplitVectors, x.rows > 3 * trustworthinessK else { return nil }
            let t0 = Date()
            let p = try UMAP.embed(x, configuration: umap)
            let t = try Trustworthiness.score(high: x, low: p, k: trustworthinessK, metric: .cosine)
            log(
                String(
                    format: "UMAP of %@: %d points in %.1f s, trustworthiness (k = %d) %.3f", m.summary.method, x.rows,
                    Date().timeIntervalSince(t0), trustworthinessK, t))
            return Layout(method: m.summary.method, points: p, trustworthiness: t)
        }
    }

    /// Opens with the answer (`EvaluationHeadline`) and the key figures — accuracy and macro F1 by method, the
    /// best method's confusion matrix and UMAP — then the metrics table; dataset, parameters, choices,
    /// calibration and every per-class table follow, the long ones folded (`<details>`).
    public func render(_ doc: EvaluationDocument, layouts: [Layout], labelNames: [String], learningCurve: LearningCurve? = nil) -> String {
        var r = HTMLReport(title: "Lexicell evaluation — \((doc.dataset.source as NSString).lastPathComponent)")
        let ds = doc.dataset
        let headline = EvaluationHeadline(doc)
        let best = headline.winner

        r.section("Summary")
        r.answer(headline.lines())
        r.figurePair(
            left: Plot.bars(
                groups: doc.methods.map { ($0.summary.method, $0.summary.accuracy.mean, $0.summary.accuracy.sd) },
                title: "Test accuracy by method", yLabel: "accuracy"),
            leftCaption: "Test accuracy, mean ± s.d. over splits.",
            right: Plot.bars(
                groups: doc.methods.map { ($0.summary.method, $0.summary.macroF1.mean, $0.summary.macroF1.sd) },
                title: "Macro F1 by method", yLabel: "macro F1"),
            rightCaption: "Macro F1 (every class counts equally: what rare subtypes feel), mean ± s.d.",
            caption: "How the methods compare: test accuracy and macro F1, mean ± s.d. over splits.")
        if let best {
            r.figure(
                svg: Plot.confusionMatrix(
                    counts: pooledConfusion(best, classes: ds.classes), labels: ds.classes, title: "Confusion matrix: \(best.summary.method)"),
                caption: "The best method's row-normalised confusion matrix (rows: true class), test cells of all splits pooled; numbers are counts.")
            if let l = layouts.first(where: { $0.method == best.summary.method }) ?? layouts.first {
                r.figure(
                    svg: Plot.scatter(points: l.points, labels: labelNames, title: l.method),
                    caption: String(
                        format: "UMAP of every cell in %@'s space (first split), coloured by true class; trustworthiness %.3f.", l.method, l.trustworthiness))
            }
        }
        if let curve = learningCurve {
            r.figurePair(
                left: curve.svg(macroF1: false), leftCaption: "Test accuracy, mean over splits, against training cells per class.",
                right: curve.svg(macroF1: true), rightCaption: "Macro F1, the same.",
                caption:
                    "Learning curve: the test cells of each split are the same at every size; training cells are drawn per class with the split's seed (classes with fewer cells use what they have). Per-seed differences against \(curve.reference) are in benchmark.md and learning_curve.csv."
            )
        }

        r.section("Metrics")
        r.paragraph("Mean ± s.d. over splits; k chosen by 5-fold cross-validation on the training cells of each split.")
        r.table(
            headers: ["method", "accuracy", "weighted F1", "macro F1", "kappa", "balanced accuracy", "k chosen"],
            rows: doc.methods.map { m in
                let s = m.summary
                return [
                    s.method, "\(s.accuracy)", "\(s.weightedF1)", "\(s.macroF1)", "\(s.kappa)", "\(s.balancedAccuracy)",
                    s.chosenKText,
                ]
            })
        if doc.methods.contains(where: { !$0.summary.testAccuracyByK.isEmpty }) {
            r.folded("k sweep (test accuracy for each k; for reading only)") { r in
                r.figure(
                    svg: Plot.lineChart(
                        x: doc.kGrid.map(Double.init),
                        series: doc.methods.filter { !$0.summary.testAccuracyByK.isEmpty }
                            .map { ($0.summary.method, $0.summary.testAccuracyByK.map(\.mean)) },
                        title: "k sweep", xLabel: "k", yLabel: "test accuracy"),
                    caption: "Test accuracy for each k of the grid (for reading only: k is chosen on training cells).")
            }
        }

        let choices = SelectionSummary.choices(doc.methods)
        if !choices.rows.isEmpty {
            r.section("What was chosen, and how sure it is")
            r.paragraph(
                "Selecting methods choose a representation, a head and its setting by 5-fold cross-validation on the training cells of each split only; the test cells are used for nothing but these scores."
            )
            r.table(headers: choices.headers, rows: choices.rows)
            let cal = SelectionSummary.calibration(doc.methods)
            r.paragraph(
                "Probabilities: the head's own scores (vote fractions, or a softmax of decision values) and the calibrated ones (fitted on out-of-fold scores of the training cells). Expected calibration error (ECE, 15 equal-width bins) on the test cells: lower is better. Cells below the minimum confidence are called Unassigned."
            )
            r.table(headers: cal.headers, rows: cal.rows)
            for m in doc.methods {
                if let rel = SelectionSummary.reliability(m) {
                    r.folded("Reliability of \(m.summary.method)") { r in
                        r.paragraph("Calibrated probability of the predicted class against the observed accuracy (test cells of all splits).")
                        r.table(headers: rel.headers, rows: rel.rows)
                    }
                }
                if let genes = SelectionSummary.topGenes(m, classNames: ds.classes) {
                    r.folded("Feature reading of \(m.summary.method): genes of largest weight per class") { r in
                        r.paragraph("For PCs, weights mapped back to genes through the loadings; first split.")
                        r.table(headers: genes.headers, rows: genes.rows)
                    }
                }
            }
        }

        r.section("Dataset")
        r.keyValues([
            ("source", ds.source), ("cells", "\(ds.cells)"), ("genes", "\(ds.genes)"), ("classes", "\(ds.classes.count)"),
            ("splits", "\(doc.methods.first?.splits.count ?? 0) × stratified 80/20 (seeds \(doc.parameters.seeds.map(String.init).joined(separator: ",")))"),
        ])
        r.folded("Cells per class (\(ds.classes.count) classes)") { r in
            r.table(headers: ["class", "cells"], rows: zip(ds.classes, ds.classSizes).map { [$0, "\($1)"] })
        }

        if let c = doc.coverage {
            r.section("Gene-text coverage")
            r.paragraph(
                String(
                    format:
                        "On average %.1f %% of each cell's top %@ genes have a text (genes without one are skipped, not zero-filled); %.1f %% of them are housekeeping genes, removed in the second view. %d cells have no gene with a text.",
                    100 * c.meanFraction, "\(doc.parameters.cellEmbedding.topN)", 100 * c.meanExcludedFraction, c.cellsWithoutGenes))
            r.folded("Coverage per class") { r in
                r.table(
                    headers: ["class", "coverage"], rows: c.perClass.sorted { $0.key < $1.key }.map { [$0.key, String(format: "%.1f %%", 100 * $0.value)] })
            }
        }

        r.section("Parameters")
        r.folded("Settings of this run") { r in r.keyValues(doc.parameters.rows) }

        for m in doc.methods {
            r.section("Per class: \(m.summary.method)")
            let classes = ds.classes
            let pooled = ClassificationMetrics(truth: m.splits.flatMap(\.truth), predicted: m.splits.flatMap(\.predicted), classNames: classes)
            r.folded("Precision, recall and F1 per class, and the confusion matrix") { r in
                r.table(
                    headers: ["class", "precision", "recall", "F1", "support (all splits)"],
                    rows: pooled.perClass.map {
                        [$0.label, String(format: "%.3f", $0.precision), String(format: "%.3f", $0.recall), String(format: "%.3f", $0.f1), "\($0.support)"]
                    })
                r.figure(
                    svg: Plot.confusionMatrix(counts: pooledConfusion(m, classes: classes), labels: classes, title: "Confusion matrix: \(m.summary.method)"),
                    caption: "Row-normalised confusion matrix (rows: true class), test cells of all splits pooled; numbers are counts.")
            }
        }

        if !layouts.isEmpty {
            r.section("UMAP")
            r.paragraph(
                "UMAP (cosine, n_neighbors \(umap.nNeighbors), min_dist \(umap.minDist), seed \(umap.seed)) of every cell in the first split's space; for refined methods, the encoder trained on that split's training cells. Trustworthiness (k = \(trustworthinessK)) says how well the 2-D neighbourhoods reflect the embedding's."
            )
            for (idx, l) in layouts.enumerated() {
                let caption = String(format: "%@ — trustworthiness %.3f", l.method, l.trustworthiness)
                if idx + 1 < layouts.count, layouts[idx + 1].method.hasPrefix(l.method + " + ") {
                    let n = layouts[idx + 1]
                    r.figurePair(
                        left: Plot.scatter(points: l.points, labels: labelNames, title: l.method), leftCaption: caption,
                        right: Plot.scatter(points: n.points, labels: labelNames, title: n.method),
                        rightCaption: String(format: "%@ — trustworthiness %.3f", n.method, n.trustworthiness),
                        caption: "Before and after refinement, coloured by true class.")
                } else if idx > 0, l.method.hasPrefix(layouts[idx - 1].method + " + ") {
                    // shown in the pair above
                } else {
                    r.figure(svg: Plot.scatter(points: l.points, labels: labelNames, title: l.method), caption: caption + ", coloured by true class.")
                }
                if let m = doc.methods.first(where: { $0.summary.method == l.method }), let s = m.splits.first {
                    let pts = l.points.selectingRows(s.test)
                    let t = s.truth.map { ds.classes[$0] }, p = s.predicted.map { ds.classes[$0] }
                    r.figurePair(
                        left: Plot.scatter(points: pts, labels: p, title: "predicted: \(l.method)"), leftCaption: "test cells by predicted class",
                        right: Plot.correctness(points: pts, truth: t, predicted: p, title: "correct / incorrect"),
                        rightCaption: "test cells: correct (grey) and incorrect (red)",
                        caption: "\(l.method), first split's test cells.")
                }
            }
        }
        return r.render()
    }

    /// Confusion counts of one method, test cells of all splits pooled.
    func pooledConfusion(_ m: EvaluationRunner.MethodResult, classes: [String]) -> [[Int]] {
        var cm = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
        for s in m.splits { for i in 0..<classes.count { for j in 0..<classes.count { cm[i][j] += s.metrics.confusion[i][j] } } }
        return cm
    }
}
