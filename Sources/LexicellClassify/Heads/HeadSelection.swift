import Foundation
import LexicellCore

/// Choosing a head's regularisation, and held-out scores for calibration, by seeded stratified
/// cross-validation on training cells only (folds from `StratifiedSplit.kFold`).
public enum HeadSelection {
    /// C from 0.01 to 100, half a decade apart.
    public static let defaultGrid: [Double] = (0...8).map { pow(10, -2 + Double($0) / 2) }

    /// Mean cross-validated accuracy (pooled over folds) for each C of `grid`; the best C, ties to the smaller
    /// (stronger regularisation). `fitPredict(trainX, trainLabels, c, validationX)` returns predicted classes.
    public static func chooseC(
        _ x: DenseMatrix, labels: [Int], grid: [Double] = defaultGrid, folds: Int = 5, seed: UInt64,
        fitPredict: (DenseMatrix, [Int], Double, DenseMatrix) throws -> [Int]
    ) throws -> (c: Double, scores: [Double]) {
        guard !grid.isEmpty else { throw LexicellError("HeadSelection: empty grid of C values") }
        guard folds >= 2, labels.count >= folds else {
            throw LexicellError("HeadSelection: \(folds) folds for \(labels.count) cells; expected 2 ≤ folds ≤ cells")
        }
        var correct = [Int](repeating: 0, count: grid.count)
        try CrossValidation.forEachFold(labels: labels, folds: folds, seed: seed) { tr, va in
            let xt = x.selectingRows(tr), xv = x.selectingRows(va), yt = tr.map { labels[$0] }
            for (i, c) in grid.enumerated() {
                let p = try fitPredict(xt, yt, c, xv)
                correct[i] += zip(p, va).filter { $0 == labels[$1] }.count
            }
        }
        let scores = correct.map { Double($0) / Double(labels.count) }
        var best = 0
        for i in scores.indices where scores[i] > scores[best] || (scores[i] == scores[best] && grid[i] < grid[best]) {
            best = i
        }
        return (grid[best], scores)
    }

    /// Out-of-fold scores (cells × classes): each cell scored by a model fitted without its fold.
    /// `fitScore(trainX, trainLabels, validationX)` returns validation scores.
    public static func outOfFoldScores(
        _ x: DenseMatrix, labels: [Int], classCount: Int, folds: Int = 5, seed: UInt64,
        fitScore: (DenseMatrix, [Int], DenseMatrix) throws -> DenseMatrix
    ) throws -> DenseMatrix {
        guard folds >= 2, labels.count >= folds else {
            throw LexicellError("HeadSelection: \(folds) folds for \(labels.count) cells; expected 2 ≤ folds ≤ cells")
        }
        var out = DenseMatrix(rows: labels.count, cols: classCount)
        try CrossValidation.forEachFold(labels: labels, folds: folds, seed: seed) { tr, va in
            let s = try fitScore(x.selectingRows(tr), tr.map { labels[$0] }, x.selectingRows(va))
            guard s.rows == va.count, s.cols == classCount else {
                throw LexicellError("HeadSelection: scorer returned \(s.rows) × \(s.cols), expected \(va.count) × \(classCount)")
            }
            for (i, r) in va.enumerated() { for k in 0..<classCount { out[r, k] = s[i, k] } }
        }
        return out
    }
}

/// CellTypist-style majority voting over over-clusters: every cell of a cluster takes the cluster's most
/// frequent prediction (ties to the smaller label; `Calibration.unassigned` counts as a label).
public enum OverClusterVoting {
    public struct Result: Sendable, Equatable {
        public var raw: [Int]
        public var smoothed: [Int]
        /// Per cluster id (sorted): its majority label and that label's fraction of the cluster.
        public var clusters: [Int]
        public var majority: [Int]
        public var fraction: [Double]
    }

    /// Clusters whose majority fraction is below `minimumFraction` get `Calibration.unassigned`.
    public static func smooth(predictions: [Int], clusters: [Int], minimumFraction: Double = 0) throws -> Result {
        guard predictions.count == clusters.count else {
            throw LexicellError("OverClusterVoting: \(predictions.count) predictions but \(clusters.count) cluster assignments")
        }
        var counts = [Int: [Int: Int]]()
        for (p, c) in zip(predictions, clusters) { counts[c, default: [:]][p, default: 0] += 1 }
        let ids = counts.keys.sorted()
        var label = [Int: Int](), majority = [Int](), fraction = [Double]()
        for id in ids {
            let votes = counts[id]!
            let best = votes.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!
            let share = Double(best.value) / Double(votes.values.reduce(0, +))
            let chosen = share >= minimumFraction ? best.key : Calibration.unassigned
            label[id] = chosen; majority.append(chosen); fraction.append(share)
        }
        return Result(raw: predictions, smoothed: clusters.map { label[$0]! }, clusters: ids, majority: majority, fraction: fraction)
    }
}

/// Standardisation of features fitted on training cells (population s.d.; constant features are centred only).
public struct FeatureStandardizer: Sendable, Codable {
    public var mean: [Float]
    public var scale: [Float]

    public init(fitting x: DenseMatrix) {
        var m = [Double](repeating: 0, count: x.cols), s = [Double](repeating: 0, count: x.cols)
        for r in 0..<x.rows { for c in 0..<x.cols { m[c] += Double(x[r, c]) } }
        for c in 0..<x.cols { m[c] /= Double(max(x.rows, 1)) }
        for r in 0..<x.rows { for c in 0..<x.cols { let d = Double(x[r, c]) - m[c]; s[c] += d * d } }
        mean = m.map { Float($0) }
        scale = s.map { v in
            let sd = (v / Double(max(x.rows, 1))).squareRoot(); return Float(sd > 0 ? sd : 1)
        }
    }

    public func apply(_ x: DenseMatrix) -> DenseMatrix {
        precondition(x.cols == mean.count, "FeatureStandardizer: \(x.cols) features, fitted on \(mean.count)")
        var out = x
        for r in 0..<x.rows { for c in 0..<x.cols { out[r, c] = (x[r, c] - mean[c]) / scale[c] } }
        return out
    }
}
