import Foundation

/// The usual single-cell log normalisation, for data given as raw counts.
public enum LogNormalization {
    /// log1p(count / cell total · `target`) per cell (scanpy `normalize_total(target_sum=1e4)` then `log1p`).
    /// Cells with a zero total stay zero. The sparsity pattern is unchanged.
    public static func log1pPerTarget(_ counts: SparseMatrix, target: Double = 1e4) -> SparseMatrix {
        // normalize_total then log1p, fused into one pass over one copy.
        var out = counts
        out.values.withUnsafeMutableBufferPointer { v in
            counts.indptr.withUnsafeBufferPointer { ptr in
                for r in 0..<counts.rows {
                    let lo = ptr[r], hi = ptr[r + 1]
                    var total = 0.0
                    for k in lo..<hi { total += Double(v[k]) }
                    guard total > 0 else { continue }
                    let scale = Float(target / total)
                    for k in lo..<hi { v[k] = Foundation.log1p(v[k] * scale) }
                }
            }
        }
        return out
    }
}
