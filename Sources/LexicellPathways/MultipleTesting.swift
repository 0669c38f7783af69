import Foundation

/// Corrections of many p-values for multiple testing.
public enum MultipleTesting {
    /// Benjamini–Hochberg adjusted p-values (the false discovery rate step-up procedure), in input order.
    ///
    /// adjusted(i) = min over j with p(j) ≥ p(i) of p(j)·n / rank(j), capped at 1, as statsmodels
    /// `multipletests(method="fdr_bh")` (and so scanpy) computes it. NaN p-values count as 1 (scanpy does the
    /// same before correcting). An empty input gives an empty output. Postcondition: adjusted(i) ≥ p(i) and the
    /// adjusted values keep the order of the p-values.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let n = pValues.count
        guard n > 0 else { return [] }
        let p = pValues.map { $0.isNaN ? 1 : $0 }
        let order = (0..<n).sorted { p[$0] < p[$1] || (p[$0] == p[$1] && $0 < $1) }
        var out = [Double](repeating: 1, count: n)
        var running = 1.0
        for rank in stride(from: n, through: 1, by: -1) {
            let i = order[rank - 1]
            running = min(running, p[i] * Double(n) / Double(rank))
            out[i] = min(running, 1)
        }
        return out
    }

    /// Two-sided p-value of a standard normal z-score, 2·P(Z > |z|) (computed with erfc, accurate in the tail).
    @inlinable public static func twoSidedNormal(_ z: Double) -> Double {
        erfc(abs(z) / 2.0.squareRoot())
    }
}
