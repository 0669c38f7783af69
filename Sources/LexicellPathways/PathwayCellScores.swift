import Foundation
import LexicellCore

/// Per-cell activity of gene sets, AUCell-style: the area under each set's recovery curve in the cell's own
/// gene ranking, up to the top `topFraction` of genes.
///
/// For a cell, genes are ranked by decreasing value (rank 1 = highest); equal values are ordered by gene
/// index (AUCell breaks such ties at random) and **zero-valued genes are never ranked**, so a set gene the
/// cell does not express never counts as recovered. With R = max(1, ⌈topFraction · genes⌉) and ranks
/// r₁ < … of the set's genes below R, the score is Σ (R − rᵢ) / (R · k) for a set of k genes: 0 when none of
/// its genes is in the cell's top R; at most 1 − (k + 1) / (2R), reached when the set's genes take the first
/// k ranks. Scores are comparable across cells of one dataset, not across datasets with different gene
/// counts. Cells run in parallel.
public enum PathwayCellScores {
    /// - Returns: cells × sets (same order as `sets`).
    public static func auc(_ expression: SparseMatrix, sets: [MatchedGeneSet], topFraction: Double = 0.05) -> DenseMatrix {
        let genes = expression.cols, cells = expression.rows
        let R = max(1, Int((topFraction * Double(genes)).rounded(.up)))
        var out = DenseMatrix(rows: cells, cols: sets.count)
        guard cells > 0, !sets.isEmpty else { return out }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, cells))
        out.values.withUnsafeMutableBufferPointer { ob in
            let o = CellScoreOutput(values: ob)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var rankOf = [Int32](repeating: 0, count: genes)  // 0 = not in the top R
                var entries = [(Float, Int32)]()
                var c = w
                while c < cells {
                    entries.removeAll(keepingCapacity: true)
                    for k in expression.indptr[c]..<expression.indptr[c + 1] where expression.values[k] != 0 {
                        entries.append((expression.values[k], expression.indices[k]))
                    }
                    entries.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                    let kept = min(R - 1, entries.count)  // ranks 1..<R contribute
                    for i in 0..<kept { rankOf[Int(entries[i].1)] = Int32(i + 1) }
                    for (s, set) in sets.enumerated() {
                        var area = 0
                        for g in set.genes {
                            let r = Int(rankOf[Int(g)])
                            if r > 0 { area += R - r }
                        }
                        o.values[c * sets.count + s] = Float(Double(area) / (Double(R) * Double(set.genes.count)))
                    }
                    for i in 0..<kept { rankOf[Int(entries[i].1)] = 0 }
                    c += workers
                }
            }
        }
        return out
    }
}

struct CellScoreOutput: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Float>
}
