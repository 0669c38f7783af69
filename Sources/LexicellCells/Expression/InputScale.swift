import Foundation
import LexicellCore

/// What the numbers of an expression matrix are, which decides how the baseline prepares them.
///
/// - `counts`: raw integer counts → normalised to `targetSum` per cell, then log1p;
/// - `linear`: non-integer values on a linear scale (TPM, RPKM, FPKM, CPM, normalised but not logged)
///   → the same per-cell normalisation and log1p as counts;
/// - `log`: already log-transformed normalised values (e.g. scanpy's `log1p(normalize_total)`) → used as is.
///
/// Scaled (z-scored) data, with negative values, are none of these and are refused by `detect`.
public enum InputScale: String, Sendable, Codable, CaseIterable, Equatable {
    case counts
    case linear
    case log

    /// Whether the baseline normalises each cell and takes log1p (counts and linear) or uses values as is (log).
    public var needsNormalising: Bool { self != .log }

    /// The result of looking at a matrix: the scale and a sentence saying why, for the log.
    public struct Detection: Sendable, Equatable, CustomStringConvertible {
        public var scale: InputScale
        public var reason: String
        public var description: String { "input scale \(scale.rawValue): \(reason)" }
    }

    /// The largest value a log-scale matrix can plausibly hold: log1p(1e13) ≈ 30; log2 data of even
    /// 10^9 counts stay below 30 too.
    public static let maximumLogValue: Float = 30

    /// Parses the `--input-scale` argument: `counts`, `linear`, `log`, or `auto` (nil: detect).
    public static func argument(_ text: String) throws -> InputScale? {
        let t = text.lowercased()
        if t == "auto" { return nil }
        guard let s = InputScale(rawValue: t) else {
            throw LexicellError("input scale \"\(text)\" is not one of counts, linear, log, auto")
        }
        return s
    }

    /// Decides the scale from the values alone (a pure function of the matrix). Rules, in order:
    /// 1. a NaN/infinite or negative value is an error (negative values mean scaled, z-scored or
    ///    log-ratio data, which cannot be turned back into expression; read the counts, `--raw` for h5ad);
    /// 2. all values integers → `counts`;
    /// 3. maximum above `maximumLogValue` → `linear` (no log scale reaches it);
    /// 4. every cell with values has the same total (within 0.1 %) → `linear` (normalised, not logged);
    /// 5. every cell's total of expm1(value) is the same → `log` (log1p of per-cell normalised data);
    /// 6. the largest value is over 1000 times the median non-zero value → `linear` (log compresses the range);
    /// 7. otherwise `log`.
    public static func detect(_ m: SparseMatrix, name: String? = nil) throws -> Detection {
        let v = m.values
        var maxValue: Float = 0
        var allIntegers = true
        for k in 0..<v.count {
            let x = v[k]
            guard x.isFinite else {
                let r = Self.row(of: k, m)
                throw LexicellError(
                    "expression value \(x) at cell \(r + 1), gene column \(Int(m.indices[k]) + 1): expected finite numbers",
                    file: name)
            }
            if x < 0 {
                let r = Self.row(of: k, m)
                throw LexicellError(
                    "expression has negative values (\(x) at cell \(r + 1), gene column \(Int(m.indices[k]) + 1)): it looks scaled (z-scored) or log-ratio data, which Lexicell cannot turn back into expression. Give counts or normalised values instead; for an h5ad file whose X is scaled, read raw counts with --raw",
                    file: name)
            }
            if x > maxValue { maxValue = x }
            if allIntegers && x != x.rounded() { allIntegers = false }
        }
        if allIntegers {
            return Detection(
                scale: .counts,
                reason: "all \(v.count) stored values are non-negative integers (max \(format(maxValue))): raw counts, normalised per cell and log1p")
        }
        if maxValue > maximumLogValue {
            return Detection(
                scale: .linear,
                reason:
                    "non-integer values up to \(format(maxValue)), above the \(format(maximumLogValue)) any log scale stays under: linear-scale data (TPM/RPKM/FPKM-like), normalised per cell and log1p"
            )
        }
        // Per-cell totals on the linear and on the expm1 scale.
        var linearTotals = [Double](), expTotals = [Double]()
        for r in 0..<m.rows {
            let lo = m.indptr[r], hi = m.indptr[r + 1]
            guard hi > lo else { continue }
            var a = 0.0, b = 0.0
            for k in lo..<hi { a += Double(v[k]); b += Foundation.expm1(Double(v[k])) }
            linearTotals.append(a); expTotals.append(b)
        }
        if linearTotals.count >= 2 && relativeSpread(linearTotals) < 1e-3 {
            return Detection(
                scale: .linear,
                reason: "non-integer values whose per-cell totals are all \(format(Float(linearTotals[0]))): normalised but not logged, so log1p is taken")
        }
        if expTotals.count >= 2 && relativeSpread(expTotals) < 1e-3 {
            return Detection(
                scale: .log,
                reason:
                    "non-integer values (max \(format(maxValue))) whose per-cell totals of expm1 are all \(format(Float(expTotals[0]))): log1p of normalised data, used as is"
            )
        }
        let nonZero = v.filter { $0 > 0 }.sorted()
        let median = nonZero.isEmpty ? 0 : nonZero[nonZero.count / 2]
        if median > 0 && maxValue / median > 1000 {
            return Detection(
                scale: .linear,
                reason:
                    "non-integer values whose maximum \(format(maxValue)) is \(Int(maxValue / median))× the median non-zero value \(format(median)) (log data span far less): linear-scale data, normalised per cell and log1p"
            )
        }
        return Detection(
            scale: .log,
            reason:
                "non-integer values up to \(format(maxValue)) (≤ \(format(maximumLogValue))), median non-zero \(format(median)): log-normalised data, used as is"
        )
    }

    private static func row(of k: Int, _ m: SparseMatrix) -> Int {
        var lo = 0, hi = m.rows
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if m.indptr[mid] <= k { lo = mid } else { hi = mid }
        }
        return lo
    }

    private static func relativeSpread(_ xs: [Double]) -> Double {
        guard let lo = xs.min(), let hi = xs.max(), hi > 0 else { return .infinity }
        return (hi - lo) / hi
    }

    private static func format(_ x: Float) -> String {
        x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.4g", Double(x))
    }
}
