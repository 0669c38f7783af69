import Foundation
import LexicellCore

/// Platt scaling per class (one-vs-rest), as scikit-learn's `CalibratedClassifierCV(method="sigmoid")`:
/// P(class k | s) = 1 / (1 + exp(A_k s + B_k)) fitted by maximum likelihood on held-out scores with Platt's
/// smoothed targets (N₊+1)/(N₊+2) and 1/(N₋+2); the per-class probabilities are then divided by their sum.
public struct PlattCalibrator: Sendable, Codable {
    public var a: [Double]
    public var b: [Double]

    /// `scores`: cells × classes (decision values or vote fractions) not seen by the model that made them.
    public static func fit(scores: DenseMatrix, labels: [Int]) throws -> PlattCalibrator {
        try HeadsCalibrationInput.validate(scores, labels: labels, name: "PlattCalibrator")
        var a = [Double](), b = [Double]()
        for k in 0..<scores.cols {
            let s = (0..<scores.rows).map { Double(scores[$0, k]) }
            let positive = labels.map { $0 == k }
            let (ak, bk) = fitSigmoid(scores: s, positive: positive)
            a.append(ak); b.append(bk)
        }
        return PlattCalibrator(a: a, b: b)
    }

    /// Fits one sigmoid (Platt 1999; Lin, Lin & Weng 2007 targets) by L-BFGS in Double.
    static func fitSigmoid(scores: [Double], positive: [Bool]) -> (Double, Double) {
        let nPos = Double(positive.filter { $0 }.count), nNeg = Double(positive.count) - nPos
        let hi = (nPos + 1) / (nPos + 2), lo = 1 / (nNeg + 2)
        let t = positive.map { $0 ? hi : lo }
        var solver = LBFGS()
        solver.gradientTolerance = 1e-10
        solver.maxIterations = 1000
        let n = Double(scores.count)
        let r = solver.minimize(from: [0, log((nNeg + 1) / (nPos + 1))]) { p, g in
            var f = 0.0, ga = 0.0, gb = 0.0
            for i in scores.indices {
                // u = A s + B; P = 1/(1+e^u); −log-likelihood = t·log(1+e^u) + (1−t)·log(1+e^−u).
                let u = p[0] * scores[i] + p[1]
                let softplusU = u > 0 ? u + log1p(exp(-u)) : log1p(exp(u))
                f += t[i] * softplusU + (1 - t[i]) * (softplusU - u)
                let prob = u >= 0 ? exp(-u) / (1 + exp(-u)) : 1 / (1 + exp(u))  // P = σ(−u)
                let du = t[i] - prob
                ga += du * scores[i]; gb += du
            }
            g[0] = ga / n; g[1] = gb / n
            return f / n
        }
        return (r.x[0], r.x[1])
    }

    /// cells × classes probabilities, rows summing to 1 (uniform where every class gets 0).
    public func apply(_ scores: DenseMatrix) -> DenseMatrix {
        precondition(scores.cols == a.count, "PlattCalibrator: \(scores.cols) score columns, fitted on \(a.count)")
        var out = scores
        for r in 0..<scores.rows {
            for k in 0..<scores.cols {
                let u = a[k] * Double(scores[r, k]) + b[k]
                out[r, k] = Float(u >= 0 ? exp(-u) / (1 + exp(-u)) : 1 / (1 + exp(u)))
            }
        }
        HeadsCalibrationInput.normalizeRows(&out)
        return out
    }
}

/// Isotonic calibration per class (one-vs-rest), as scikit-learn's `CalibratedClassifierCV(method="isotonic")`:
/// a non-decreasing step fit of the class indicator on the score (pool-adjacent-violators, equal scores pooled
/// first), read by linear interpolation between fitted points and clipped outside them; rows then normalised.
public struct IsotonicCalibrator: Sendable, Codable {
    /// Per class: distinct scores (increasing) and fitted probabilities there.
    public var thresholds: [[Double]]
    public var values: [[Double]]

    public static func fit(scores: DenseMatrix, labels: [Int]) throws -> IsotonicCalibrator {
        try HeadsCalibrationInput.validate(scores, labels: labels, name: "IsotonicCalibrator")
        var xs = [[Double]](), ys = [[Double]]()
        for k in 0..<scores.cols {
            let order = (0..<scores.rows).sorted { scores[$0, k] < scores[$1, k] }
            // Pool equal scores: (x, mean y, weight).
            var x = [Double](), y = [Double](), w = [Double]()
            for i in order {
                let s = Double(scores[i, k]), t = labels[i] == k ? 1.0 : 0.0
                if let last = x.last, last == s {
                    y[y.count - 1] = (y[y.count - 1] * w[w.count - 1] + t) / (w[w.count - 1] + 1)
                    w[w.count - 1] += 1
                } else {
                    x.append(s); y.append(t); w.append(1)
                }
            }
            xs.append(x); ys.append(poolAdjacentViolators(y, weights: w))
        }
        return IsotonicCalibrator(thresholds: xs, values: ys)
    }

    /// Weighted least-squares non-decreasing fit.
    static func poolAdjacentViolators(_ y: [Double], weights: [Double]) -> [Double] {
        var mean = [Double](), weight = [Double](), size = [Int]()
        for i in y.indices {
            mean.append(y[i]); weight.append(weights[i]); size.append(1)
            while mean.count > 1 && mean[mean.count - 2] > mean[mean.count - 1] {
                let j = mean.count - 1
                let wsum = weight[j - 1] + weight[j]
                mean[j - 1] = (mean[j - 1] * weight[j - 1] + mean[j] * weight[j]) / wsum
                weight[j - 1] = wsum; size[j - 1] += size[j]
                mean.removeLast(); weight.removeLast(); size.removeLast()
            }
        }
        var out = [Double]()
        for (m, s) in zip(mean, size) { out += [Double](repeating: m, count: s) }
        return out
    }

    /// The fitted (not yet normalised) probability of class k at score s.
    public func classProbability(_ k: Int, score s: Double) -> Double {
        let x = thresholds[k], y = values[k]
        if x.isEmpty { return 0 }
        if s <= x[0] { return y[0] }
        if s >= x[x.count - 1] { return y[y.count - 1] }
        var lo = 0, hi = x.count - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if x[mid] <= s { lo = mid } else { hi = mid } }
        return y[lo] + (y[hi] - y[lo]) * (s - x[lo]) / (x[hi] - x[lo])
    }

    public func apply(_ scores: DenseMatrix) -> DenseMatrix {
        precondition(scores.cols == thresholds.count, "IsotonicCalibrator: \(scores.cols) score columns, fitted on \(thresholds.count)")
        var out = scores
        for r in 0..<scores.rows {
            for k in 0..<scores.cols { out[r, k] = Float(classProbability(k, score: Double(scores[r, k]))) }
        }
        HeadsCalibrationInput.normalizeRows(&out)
        return out
    }
}

/// One bin of a reliability table: cells whose top probability lies in (lower, upper].
public struct ReliabilityBin: Sendable, Codable, Equatable {
    public var lower: Double
    public var upper: Double
    public var count: Int
    /// Mean top probability and fraction predicted correctly in the bin (0 when empty).
    public var meanConfidence: Double
    public var accuracy: Double
}

public enum Calibration {
    /// The decision for cells whose top probability is below the threshold.
    public static let unassigned = -1

    /// Expected calibration error (Guo et al. 2017): top-probability ("confidence") bins of equal width
    /// (lower, upper], ECE = Σ_b (n_b / n)·|accuracy_b − confidence_b|. The predicted class is the argmax.
    public static func expectedCalibrationError(probabilities: DenseMatrix, labels: [Int], bins: Int = 15) -> (ece: Double, table: [ReliabilityBin]) {
        precondition(probabilities.rows == labels.count && bins > 0)
        let predicted = HeadsRows.argmax(probabilities)
        let edges = (0...bins).map { Double($0) / Double(bins) }
        var count = [Int](repeating: 0, count: bins), conf = [Double](repeating: 0, count: bins)
        var correct = [Int](repeating: 0, count: bins)
        for r in 0..<labels.count {
            let c = Double(probabilities[r, predicted[r]])
            var b = 0
            while b < bins - 1 && c > edges[b + 1] { b += 1 }
            count[b] += 1; conf[b] += c
            if predicted[r] == labels[r] { correct[b] += 1 }
        }
        var ece = 0.0
        var table = [ReliabilityBin]()
        for b in 0..<bins {
            let n = Double(count[b])
            let meanConf = n > 0 ? conf[b] / n : 0, acc = n > 0 ? Double(correct[b]) / n : 0
            if n > 0 { ece += n / Double(max(labels.count, 1)) * abs(acc - meanConf) }
            table.append(ReliabilityBin(lower: edges[b], upper: edges[b + 1], count: count[b], meanConfidence: meanConf, accuracy: acc))
        }
        return (ece, table)
    }

    /// Argmax class, or `unassigned` where the top probability is below `threshold`.
    public static func assign(probabilities: DenseMatrix, threshold: Double) -> [Int] {
        HeadsRows.argmax(probabilities).enumerated().map { r, k in
            Double(probabilities[r, k]) >= threshold ? k : unassigned
        }
    }

    /// Mean negative log-likelihood of the true class (probabilities floored at 1e-15).
    public static func logLoss(probabilities: DenseMatrix, labels: [Int]) -> Double {
        precondition(probabilities.rows == labels.count)
        var s = 0.0
        for (r, l) in labels.enumerated() { s -= log(max(Double(probabilities[r, l]), 1e-15)) }
        return s / Double(max(labels.count, 1))
    }
}

enum HeadsCalibrationInput {
    static func validate(_ scores: DenseMatrix, labels: [Int], name: String) throws {
        guard scores.rows == labels.count else {
            throw LexicellError("\(name): \(scores.rows) score rows but \(labels.count) labels")
        }
        guard scores.rows > 0, scores.cols > 0 else { throw LexicellError("\(name): no scores to fit") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= scores.cols }) {
            throw LexicellError("\(name): label \(bad) outside 0..<\(scores.cols)")
        }
        if let i = scores.values.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError("\(name): non-finite score at row \(i / scores.cols), column \(i % scores.cols)")
        }
    }

    static func normalizeRows(_ m: inout DenseMatrix) {
        let k = m.cols
        for r in 0..<m.rows {
            var s: Float = 0
            for c in 0..<k { s += m[r, c] }
            for c in 0..<k { m[r, c] = s > 0 ? m[r, c] / s : 1 / Float(k) }
        }
    }
}

extension KNNClassifier {
    /// cells × classes fraction of the first `k` neighbours of each query with each label (scores for
    /// calibrating KNN).
    public func voteFractions(_ list: NeighborList, k requested: Int) -> DenseMatrix {
        let k = min(requested, list.k)
        var out = DenseMatrix(rows: list.queryCount, cols: classCount)
        guard k > 0 else { return out }
        for q in 0..<list.queryCount {
            for i in 0..<k { out[q, labels[Int(list.indices[q * list.k + i])]] += 1 / Float(k) }
        }
        return out
    }
}
