import Foundation
import LexicellCore

/// Cells with one class label each, after class selection; what the evaluation protocol consumes.
public struct LabelledDataset: Sendable {
    public var expression: ExpressionMatrix
    /// Class index per cell, into `classNames`.
    public var labels: [Int]
    public var classNames: [String]

    /// Keeps cells whose label is non-empty and selected: `classes` (exact names, all must exist) or, when nil,
    /// every class with at least `minCellsPerClass` cells. Class order is by name.
    public init(
        expression: ExpressionMatrix, labels: [String?], classes: [String]? = nil, minCellsPerClass: Int = 1,
        labelSource: String = "labels"
    ) throws {
        precondition(labels.count == expression.cellCount)
        var counts = [String: Int]()
        for case let l? in labels where !l.isEmpty { counts[l, default: 0] += 1 }
        let chosen: [String]
        if let classes {
            for c in classes where counts[c] == nil {
                let known = counts.keys.sorted().prefix(10).joined(separator: ", ")
                throw LexicellError("class '\(c)' has no cells (known classes include: \(known))", file: labelSource)
            }
            chosen = classes.sorted()
        } else {
            chosen = counts.filter { $0.value >= minCellsPerClass }.map(\.key).sorted()
        }
        guard chosen.count >= 2 else {
            throw LexicellError(
                "only \(chosen.count) class(es) selected (with --min-cells-per-class \(minCellsPerClass)); at least 2 are needed to classify", file: labelSource
            )
        }
        let index = Dictionary(uniqueKeysWithValues: chosen.enumerated().map { ($1, $0) })
        var keep = [Int](), lab = [Int]()
        for (i, l) in labels.enumerated() { if let l, let c = index[l] { keep.append(i); lab.append(c) } }
        for c in chosen where (counts[c] ?? 0) < 2 {
            throw LexicellError("class '\(c)' has \(counts[c] ?? 0) cell(s); at least 2 are needed to have training and test cells", file: labelSource)
        }
        self.expression = expression.selectingCells(keep)
        self.labels = lab
        self.classNames = chosen
    }

    public var classSizes: [Int] {
        var s = [Int](repeating: 0, count: classNames.count)
        for l in labels { s[l] += 1 }
        return s
    }

    public var labelNames: [String] { labels.map { classNames[$0] } }
}

/// Where the bundled data lives: `$LEXICELL_DATA`, else `./data`, else `data/` beside the package the
/// executable was built in.
public enum BundledData {
    public static var root: String {
        if let env = ProcessInfo.processInfo.environment["LEXICELL_DATA"], !env.isEmpty { return env }
        let fm = FileManager.default
        if fm.fileExists(atPath: "data/genes") { return "data" }
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = url.appendingPathComponent("data/genes").path
            if fm.fileExists(atPath: candidate) { return url.appendingPathComponent("data").path }
            url.deleteLastPathComponent()
        }
        return "data"
    }

    public static func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
}
