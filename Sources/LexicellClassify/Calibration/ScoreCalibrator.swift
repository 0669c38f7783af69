import Foundation
import LexicellCore

/// How scores become probabilities.
public enum CalibrationKind: String, Codable, Sendable, CaseIterable {
    /// Temperature scaling for the linear heads (keeps the softmax's multiclass shape), Platt for KNN votes.
    case auto
    case temperature, platt, isotonic, none
}

/// A fitted calibration of head scores into probabilities.
public enum ScoreCalibrator: Codable, Sendable {
    case platt(PlattCalibrator)
    case isotonic(IsotonicCalibrator)
    /// softmax(scores / T).
    case temperature(Double)

    public func apply(_ scores: DenseMatrix) -> DenseMatrix {
        switch self {
        case .platt(let c): return c.apply(scores)
        case .isotonic(let c): return c.apply(scores)
        case .temperature(let t): return HeadKind.probabilities(scores, head: .logistic, temperature: t)
        }
    }

    public var name: String {
        switch self {
        case .platt: return "platt"
        case .isotonic: return "isotonic"
        case .temperature(let t): return String(format: "temperature (T = %.3g)", t)
        }
    }
}

/// Temperature scaling (Guo et al. 2017): one T > 0 per model, softmax(z / T) fitted to minimise the log-loss of
/// held-out decision values. It keeps each model's ranking of classes and only sets how sure it is.
public enum TemperatureScaling {
    /// T by golden-section search on log T ∈ [log 1e-6, log 1e6] (the log-loss is unimodal in log T; decision
    /// values of strongly regularised heads are tiny, so T must reach far below 1).
    public static func fit(scores: DenseMatrix, labels: [Int]) -> Double {
        func loss(_ logT: Double) -> Double {
            let t = exp(logT)
            var s = 0.0
            for (r, l) in labels.enumerated() {
                var m = -Double.infinity
                for c in 0..<scores.cols { m = max(m, Double(scores[r, c]) / t) }
                var z = 0.0
                for c in 0..<scores.cols { z += exp(Double(scores[r, c]) / t - m) }
                s += m + log(z) - Double(scores[r, l]) / t
            }
            return s / Double(max(labels.count, 1))
        }
        var a = log(1e-6), b = log(1e6)
        let g = (5.0.squareRoot() - 1) / 2
        var x1 = b - g * (b - a), x2 = a + g * (b - a)
        var f1 = loss(x1), f2 = loss(x2)
        for _ in 0..<60 {
            if f1 < f2 { b = x2; x2 = x1; f2 = f1; x1 = b - g * (b - a); f1 = loss(x1) } else { a = x1; x1 = x2; f1 = f2; x2 = a + g * (b - a); f2 = loss(x2) }
        }
        return exp((a + b) / 2)
    }
}
