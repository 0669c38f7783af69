import Foundation
import LexicellCore
import LexicellClassify

/// Group-level results (e.g. susceptible vs resilient subtypes): each split's subtype predictions read as groups.
public enum GroupSummary {
    public static func metrics(_ result: EvaluationRunner.MethodResult, classNames: [String], groups: GroupMap) -> [ClassificationMetrics] {
        let names = Array(Set(classNames.map(groups.group))).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return result.splits.map { s in
            ClassificationMetrics(
                truth: s.truth.map { index[groups.group(classNames[$0])]! },
                predicted: s.predicted.map { index[groups.group(classNames[$0])]! }, classNames: names)
        }
    }

    public static func markdown(_ results: [EvaluationRunner.MethodResult], classNames: [String], groups: GroupMap) -> String {
        let names = Array(Set(classNames.map(groups.group))).sorted()
        var s = "Groups (\(names.joined(separator: ", "))), subtype predictions read as groups:\n\n"
        s +=
            "| method | group accuracy | group macro F1 | " + names.map { "recall \($0)" }.joined(separator: " | ") + " |\n|---|---|---|"
            + names.map { _ in "---|" }.joined() + "\n"
        for r in results {
            let m = metrics(r, classNames: classNames, groups: groups)
            s += "| \(r.summary.method) | \(MeanSD(m.map(\.accuracy))) | \(MeanSD(m.map(\.macroF1))) | "
            s += names.indices.map { i in "\(MeanSD(m.map { $0.perClass[i].recall }))" }.joined(separator: " | ") + " |\n"
        }
        return s
    }
}
