import Foundation
import LexicellCore
import LexicellClassify

/// Tables about the selecting methods of an evaluation (what they chose, calibration, abstention, voting,
/// feature reading), shared by the Markdown summary and the HTML report.
public struct SelectionSummary {
    public var headers: [String]
    public var rows: [[String]]

    /// Per method and split: the choice and its cross-validated accuracy, with the runner-up.
    public static func choices(_ methods: [EvaluationRunner.MethodResult]) -> SelectionSummary {
        var rows = [[String]]()
        for m in methods {
            for s in m.splits {
                guard let d = s.details else { continue }
                let chosen = d.candidateScores.first { $0.candidate == d.chosen }
                let other = d.candidateScores.filter { !$0.candidate.hasPrefix(Self.family(d.chosen)) && $0.candidate != d.chosen }
                    .max { $0.criterion < $1.criterion }
                func text(_ c: SplitDetails.CandidateScore) -> String { String(format: "%.3f / %.3f", c.accuracy, c.macroF1) }
                rows.append([
                    m.summary.method, "\(s.seed)", d.chosen + (d.selectionNote.map { "; \($0)" } ?? ""), chosen.map(text) ?? "—",
                    other.map { "\($0.candidate) \(text($0))" } ?? "—",
                    String(format: "%.3f / %.3f", s.metrics.accuracy, s.metrics.macroF1),
                ])
            }
        }
        return SelectionSummary(
            headers: ["method", "seed", "chosen on training cells", "CV accuracy / macro F1", "best other candidate (CV)", "test accuracy / macro F1"],
            rows: rows)
    }

    /// Per method: expected calibration error before and after calibration, abstention, over-cluster voting.
    public static func calibration(_ methods: [EvaluationRunner.MethodResult]) -> SelectionSummary {
        var rows = [[String]]()
        for m in methods {
            let d = m.splits.compactMap(\.details)
            guard d.count == m.splits.count, let first = d.first else { continue }
            let voting =
                d.allSatisfy { $0.smoothedMetrics != nil }
                ? "\(MeanSD(d.map { $0.smoothedMetrics!.accuracy }))" : "—"
            rows.append([
                m.summary.method, first.calibration, "\(MeanSD(d.map(\.eceRaw)))", "\(MeanSD(d.map(\.eceCalibrated)))",
                String(format: "%.2f", first.minConfidence), "\(MeanSD(d.map(\.assignedFraction)))",
                "\(MeanSD(d.map(\.assignedAccuracy).filter { $0.isFinite }))", "\(m.summary.accuracy)", voting,
            ])
        }
        return SelectionSummary(
            headers: [
                "method", "calibration", "ECE of the head's scores", "ECE calibrated", "min confidence",
                "assigned", "accuracy of assigned", "accuracy (all)", "accuracy with over-cluster voting",
            ],
            rows: rows)
    }

    /// The reliability table of one method's calibrated probabilities, test cells of all splits pooled.
    public static func reliability(_ m: EvaluationRunner.MethodResult, bins: Int = 10) -> SelectionSummary? {
        let splits = m.splits.filter { $0.details != nil }
        guard !splits.isEmpty else { return nil }
        var count = [Int](repeating: 0, count: bins), conf = [Double](repeating: 0, count: bins), correct = [Int](repeating: 0, count: bins)
        for s in splits {
            for (i, p) in s.details!.probability.enumerated() {
                let b = min(bins - 1, max(0, Int((p * Double(bins)).rounded(.up)) - 1))
                count[b] += 1; conf[b] += p
                if s.predicted[i] == s.truth[i] { correct[b] += 1 }
            }
        }
        let rows = (0..<bins).filter { count[$0] > 0 }.map { b in
            [
                String(format: "%.1f–%.1f", Double(b) / Double(bins), Double(b + 1) / Double(bins)), "\(count[b])",
                String(format: "%.3f", conf[b] / Double(count[b])), String(format: "%.3f", Double(correct[b]) / Double(count[b])),
            ]
        }
        return SelectionSummary(headers: ["probability", "cells", "mean probability", "accuracy"], rows: rows)
    }

    /// Genes of largest weight per class of a linear head on expression (first split).
    public static func topGenes(_ m: EvaluationRunner.MethodResult, classNames: [String]) -> SelectionSummary? {
        guard let genes = m.splits.first?.details?.topGenes else { return nil }
        return SelectionSummary(
            headers: ["class", "genes of largest weight (first split)"],
            rows: zip(classNames, genes).map { [$0, $1.joined(separator: ", ")] })
    }

    /// The representation part of a candidate label ("expression PCA + LR (C = 0.1)" → "expression PCA + LR").
    static func family(_ label: String) -> String {
        guard let r = label.range(of: " (") else { return label }
        return String(label[..<r.lowerBound])
    }

    public func markdown() -> String {
        guard !rows.isEmpty else { return "" }
        var s = "| " + headers.joined(separator: " | ") + " |\n|" + headers.map { _ in "---|" }.joined() + "\n"
        for r in rows { s += "| " + r.joined(separator: " | ") + " |\n" }
        return s
    }
}
