import Foundation
import LexicellCore
import LexicellClassify

/// The answer an evaluation report opens with: what won and by how much (against the runner-up and the
/// random-gene control, paired on the same splits), what the selecting methods chose and why, and how many
/// test cells were left Unassigned. Shared by report.html and summary.md.
public struct EvaluationHeadline {
    public var doc: EvaluationDocument

    public init(_ doc: EvaluationDocument) { self.doc = doc }

    /// The method of highest mean test accuracy (ties: macro F1, then list order).
    public var winner: EvaluationRunner.MethodResult? {
        doc.methods.enumerated().max { a, b in
            let x = a.element.summary, y = b.element.summary
            if x.accuracy.mean != y.accuracy.mean { return x.accuracy.mean < y.accuracy.mean }
            if x.macroF1.mean != y.macroF1.mean { return x.macroF1.mean < y.macroF1.mean }
            return a.offset > b.offset
        }?.element
    }

    /// The random-gene-vector control: the first method named "random…" (the unrefined one when both run).
    public var control: EvaluationRunner.MethodResult? {
        doc.methods.first { $0.summary.method.hasPrefix("random") && !$0.summary.method.contains("+") }
            ?? doc.methods.first { $0.summary.method.hasPrefix("random") }
    }

    static func paired(_ m: EvaluationRunner.MethodResult, _ ref: EvaluationRunner.MethodResult) -> String {
        let p = PairedComparison(method: m, reference: ref)
        return String(
            format: "%+.3f accuracy, %+.3f macro F1; higher in %d of %d splits", p.accuracyDifference.mean, p.macroF1Difference.mean, p.wins,
            p.accuracyDifferences.count)
    }

    static func score(_ m: EvaluationRunner.MethodResult) -> String {
        "\(m.summary.method) (accuracy \(m.summary.accuracy), macro F1 \(m.summary.macroF1))"
    }

    public func lines() -> [String] {
        var out = [String]()
        let ds = doc.dataset
        let splits = doc.methods.first?.splits.count ?? 0
        out.append("\(ds.cells) cells, \(ds.classes.count) classes, \(splits) stratified 80/20 splits; \(doc.methods.count) methods, mean ± s.d. over splits.")
        guard let best = winner else { return out }
        var s = "Best: " + Self.score(best)
        let others = doc.methods.filter { $0.summary.method != best.summary.method }
        if let second = others.max(by: { $0.summary.accuracy.mean < $1.summary.accuracy.mean }) {
            s += "; next \(second.summary.method) (accuracy \(second.summary.accuracy)): " + Self.paired(best, second)
        }
        out.append(s + ".")
        if let control {
            if control.summary.method == best.summary.method {
                out.append("The random-gene control \(control.summary.method) is the best method here.")
            } else {
                var c =
                    "Against the random-gene control \(control.summary.method) (accuracy \(control.summary.accuracy)): \(best.summary.method) "
                    + Self.paired(best, control)
                // The project's own question: do gene texts beat random gene vectors of the same pipeline?
                let twin = control.summary.method.replacingOccurrences(of: "random", with: "")
                if let text = doc.methods.first(where: { $0.summary.method != control.summary.method && $0.summary.method.hasSuffix(twin) && !twin.isEmpty }),
                    text.summary.method != best.summary.method
                {
                    c += "; the same pipeline with gene texts, \(text.summary.method) (accuracy \(text.summary.accuracy)): " + Self.paired(text, control)
                }
                out.append(c + ".")
            }
        }
        for m in doc.methods { if let line = Self.choice(m, crossValidation: doc.parameters.crossValidationText) { out.append(line) } }
        out.append(unassignedLine())
        return out
    }

    /// What a selecting method chose (its most frequent choice over splits) and the cross-validation figures behind it.
    static func choice(_ m: EvaluationRunner.MethodResult, crossValidation: String) -> String? {
        let details = m.splits.compactMap(\.details)
        guard !details.isEmpty else { return nil }
        var count = [String: Int]()
        for d in details { count[SelectionSummary.family(d.chosen), default: 0] += 1 }
        let top = count.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }!
        let d = details.first { SelectionSummary.family($0.chosen) == top.key }!
        var s = "\(m.summary.method) chose \(top.key) in \(top.value) of \(details.count) splits"
        if let c = d.candidateScores.first(where: { $0.candidate == d.chosen }) {
            s += " (\(crossValidation) on the training cells: " + String(format: "accuracy %.3f, macro F1 %.3f", c.accuracy, c.macroF1)
            let other = d.candidateScores.filter { !$0.candidate.hasPrefix(SelectionSummary.family(d.chosen)) }.max { $0.criterion < $1.criterion }
            if let o = other { s += String(format: "; best other candidate %@: %.3f, %.3f", o.candidate, o.accuracy, o.macroF1) }
            s += ")"
        }
        if count.count > 1 {
            s += "; also " + count.filter { $0.key != top.key }.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        }
        return s + "."
    }

    /// Test cells called Unassigned: below the minimum confidence (selecting methods) or without signal.
    func unassignedLine() -> String {
        var parts = [String]()
        var minConfidence = doc.parameters.minConfidence
        for m in doc.methods {
            var total = 0, low = 0, none = 0
            for s in m.splits {
                total += s.test.count
                for i in s.test.indices {
                    if s.noSignal?[i] != nil {
                        none += 1
                    } else if let d = s.details, d.probability[i] < d.minConfidence {
                        low += 1
                        minConfidence = d.minConfidence
                    }
                }
            }
            guard low + none > 0 else { continue }
            var p = String(format: "%@ %.1f %%", m.summary.method, 100 * Double(low + none) / Double(max(total, 1)))
            if none > 0 { p += " (\(none) without signal)" }
            parts.append(p)
        }
        guard !parts.isEmpty else {
            return String(format: "No test cell was left Unassigned (minimum confidence %.2f; every cell had signal).", minConfidence)
        }
        return String(format: "Unassigned test cells (minimum confidence %.2f, or no signal): ", minConfidence) + parts.joined(separator: "; ") + "."
    }
}
