import Foundation
import LexicellCore

/// The usual single-cell log normalisation, for data given as raw counts.
public enum LogNormalization {
    /// log1p(count / cell total · `target`) per cell (scanpy `normalize_total(target_sum=1e4)` then `log1p`).
    /// Cells with a zero total stay zero. The sparsity pattern is unchanged.
    public static func log1pPerTarget(_ counts: SparseMatrix, target: Double = 1e4) -> SparseMatrix {
        var out = counts
        for r in 0..<counts.rows {
            let lo = counts.indptr[r], hi = counts.indptr[r + 1]
            var total = 0.0
            for k in lo..<hi { total += Double(counts.values[k]) }
            guard total > 0 else { continue }
            let scale = Float(target / total)
            for k in lo..<hi { out.values[k] = log1p(counts.values[k] * scale) }
        }
        return out
    }
}
