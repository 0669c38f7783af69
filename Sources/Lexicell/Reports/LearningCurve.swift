import Foundation
import LexicellCore
import LexicellReport

/// Accuracy and macro F1 against the number of training cells per class (mean ± s.d. over seeds), every method
/// on the same subsamples and the same test cells, with per-seed differences against a reference method.
public struct LearningCurve: Codable, Sendable {
    public struct Point: Codable, Sendable {
        /// Training cells per class (nil: all of them).
        public var size: Int?
        public var method: String
        public var accuracy: MeanSD
        public var macroF1: MeanSD
        /// Per seed, this method minus the reference (accuracy, macro F1).
        public var accuracyDifferences: [Double]
        public var macroF1Differences: [Double]
    }

    public var reference: String
    public var sizes: [Int?]
    public var methods: [String]
    public var points: [Point]

    /// `runs`: per size, every method's results on the same splits; `reference` indexes the methods.
    public init(runs: [(size: Int?, results: [EvaluationRunner.MethodResult])], reference: Int) {
        sizes = runs.map(\.size)
        methods = runs.first?.results.map(\.summary.method) ?? []
        self.reference = reference < methods.count ? methods[reference] : ""
        points = runs.flatMap { run in
            run.results.map { r -> Point in
                let ref = run.results[reference]
                let paired = PairedComparison(method: r, reference: ref)
                return Point(size: run.size, method: r.summary.method, accuracy: r.summary.accuracy, macroF1: r.summary.macroF1,
                             accuracyDifferences: paired.accuracyDifferences, macroF1Differences: paired.macroF1Differences)
            }
        }
    }

    static func sizeText(_ s: Int?) -> String { s.map(String.init) ?? "all" }

    func point(_ method: String, _ size: Int?) -> Point? { points.first { $0.method == method && $0.size == size } }

    public func markdown() -> String {
        var s = "Learning curve (training cells per class; test cells fixed per split):\n\n| method | "
            + sizes.map { Self.sizeText($0) }.joined(separator: " | ") + " |\n|---|" + sizes.map { _ in "---|" }.joined() + "\n"
        for m in methods {
            s += "| \(m) | " + sizes.map { z in point(m, z).map { "\($0.accuracy) / \(String(format: "%.3f", $0.macroF1.mean))" } ?? "" }
                .joined(separator: " | ") + " |\n"
        }
        s += "\n(accuracy mean ± s.d. / macro F1 mean.) Per-seed accuracy differences against \(reference):\n\n| method | "
            + sizes.map { Self.sizeText($0) }.joined(separator: " | ") + " |\n|---|" + sizes.map { _ in "---|" }.joined() + "\n"
        for m in methods where m != reference {
            s += "| \(m) | " + sizes.map { z in
                guard let p = point(m, z) else { return "" }
                let d = MeanSD(p.accuracyDifferences)
                let wins = p.accuracyDifferences.filter { $0 > 0 }.count, losses = p.accuracyDifferences.filter { $0 < 0 }.count
                let rounded = (d.mean * 1000).rounded() / 1000
                let mean: Double = rounded == 0 ? 0 : rounded  // no "-0.000"
                return String(format: "%+.3f ± %.3f (%d/%d)", mean, d.sd, wins, losses)
            }.joined(separator: " | ") + " |\n"
        }
        return s + "\n(mean ± s.d. of the per-seed differences; wins/losses over seeds.)\n"
    }

    public func csv() -> String {
        var s = "method,cells_per_class,accuracy_mean,accuracy_sd,macro_f1_mean,macro_f1_sd,accuracy_minus_reference_per_seed\n"
        for p in points {
            s += "\"\(p.method.replacingOccurrences(of: "\"", with: "\"\""))\",\(Self.sizeText(p.size)),"
            s += String(format: "%.4f,%.4f,%.4f,%.4f,", p.accuracy.mean, p.accuracy.sd, p.macroF1.mean, p.macroF1.sd)
            s += p.accuracyDifferences.map { String(format: "%.4f", $0) }.joined(separator: " ") + "\n"
        }
        return s
    }

    /// The curve of one metric; "all" is drawn one step right of the largest size.
    public func svg(macroF1: Bool) -> String {
        let numeric = sizes.compactMap { $0 }
        let allX = Double((numeric.max() ?? 1) * 2)
        let x = sizes.map { $0.map(Double.init) ?? allX }
        let series = methods.map { m in (name: m, y: sizes.map { z in point(m, z).map { macroF1 ? $0.macroF1.mean : $0.accuracy.mean } ?? .nan }) }
        return Plot.lineChart(x: x, series: series, title: macroF1 ? "Macro F1 against training cells per class" : "Accuracy against training cells per class",
                              xLabel: "training cells per class (rightmost: all)", yLabel: macroF1 ? "macro F1" : "accuracy")
    }
}
