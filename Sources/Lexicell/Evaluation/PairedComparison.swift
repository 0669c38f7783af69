import Foundation
import LexicellCore

/// Per-seed differences between a method and a reference method on the same splits.
public struct PairedComparison: Codable, Sendable {
    public var method: String
    public var reference: String
    /// method − reference, one per seed.
    public var accuracyDifferences: [Double]
    public var macroF1Differences: [Double]
    public var accuracyDifference: MeanSD
    public var macroF1Difference: MeanSD
    /// Seeds where the method's accuracy is higher / equal / lower.
    public var wins: Int
    public var ties: Int
    public var losses: Int

    public init(method: EvaluationRunner.MethodResult, reference: EvaluationRunner.MethodResult) {
        precondition(method.splits.map(\.seed) == reference.splits.map(\.seed), "paired comparison needs the same seeds")
        self.method = method.summary.method
        self.reference = reference.summary.method
        accuracyDifferences = zip(method.splits, reference.splits).map { $0.metrics.accuracy - $1.metrics.accuracy }
        macroF1Differences = zip(method.splits, reference.splits).map { $0.metrics.macroF1 - $1.metrics.macroF1 }
        accuracyDifference = MeanSD(accuracyDifferences)
        macroF1Difference = MeanSD(macroF1Differences)
        wins = accuracyDifferences.filter { $0 > 1e-12 }.count
        losses = accuracyDifferences.filter { $0 < -1e-12 }.count
        ties = accuracyDifferences.count - wins - losses
    }

    public static func markdown(_ rows: [PairedComparison]) -> String {
        guard let ref = rows.first?.reference else { return "" }
        var s = "Paired comparison against **\(ref)** (same splits; differences method − reference):\n\n"
        s += "| method | Δ accuracy | Δ macro F1 | wins / ties / losses (accuracy) | Δ accuracy per seed |\n|---|---|---|---|---|\n"
        for r in rows {
            s += "| \(r.method) | \(r.accuracyDifference.signed) | \(r.macroF1Difference.signed) | \(r.wins) / \(r.ties) / \(r.losses) | "
            s += r.accuracyDifferences.map { String(format: "%+.3f", $0) }.joined(separator: ", ") + " |\n"
        }
        return s
    }
}

extension MeanSD {
    /// "+0.012 ± 0.020".
    public var signed: String { String(format: "%+.3f ± %.3f", mean, sd) }
}
