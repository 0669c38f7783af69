import Dispatch
import LexicellCore

/// The k nearest reference rows of each query row by cosine similarity, best first.
public struct NeighborList: Sendable {
    public var k: Int
    /// queries × k reference indices.
    public var indices: [Int32]
    /// queries × k cosine similarities.
    public var similarities: [Float]
    public var queryCount: Int { k == 0 ? 0 : indices.count / k }

    public init(k: Int, indices: [Int32], similarities: [Float]) {
        self.k = k
        self.indices = indices
        self.similarities = similarities
    }
}

extension NearestNeighbors {
    /// Exact cosine search of query rows against reference rows, both already L2-normalised.
    ///
    /// Similarities come from BLAS a block of `blockRows` query rows at a time (memory: blockRows × reference
    /// floats); the top-k selection of each block's rows is split over `threads`. `k` is capped at the reference
    /// size; k = 0 or an empty reference gives an empty list. Ties keep the lower reference index first.
    public static func cosine(
        query: DenseMatrix, normalizedReference reference: DenseMatrix, k requested: Int,
        blockRows: Int = 1024, threads: Int = 2
    ) -> NeighborList {
        precondition(query.cols == reference.cols, "cosine search: query has \(query.cols) dimensions, reference \(reference.cols)")
        let k = min(max(requested, 0), reference.rows)
        let n = reference.rows
        guard k > 0, query.rows > 0 else { return NeighborList(k: k, indices: [], similarities: []) }
        var idx = [Int32](repeating: 0, count: query.rows * k)
        var sim = [Float](repeating: 0, count: query.rows * k)
        let block = max(1, min(blockRows, query.rows))
        var products = [Float](repeating: 0, count: block * n)
        query.values.withUnsafeBufferPointer { qp in
            reference.values.withUnsafeBufferPointer { rp in
                products.withUnsafeMutableBufferPointer { bp in
                    idx.withUnsafeMutableBufferPointer { ip in
                        sim.withUnsafeMutableBufferPointer { sp in
                            let prod = bp.baseAddress!, outIdx = ip.baseAddress!, outSim = sp.baseAddress!
                            var start = 0
                            while start < query.rows {
                                let rows = min(block, query.rows - start)
                                LinearAlgebra.gemm(
                                    qp.baseAddress! + start * query.cols, rowsA: rows, colsA: query.cols, transposeA: false,
                                    rp.baseAddress!, rowsB: n, colsB: reference.cols, transposeB: true, into: prod)
                                let workers = max(1, min(threads, rows))
                                DispatchQueue.concurrentPerform(iterations: workers) { w in
                                    for r in (rows * w / workers)..<(rows * (w + 1) / workers) {
                                        let o = (start + r) * k
                                        selectSmallest(prod + r * n, n: n, k: k, largest: true, indices: outIdx + o, distances: outSim + o)
                                    }
                                }
                                start += rows
                            }
                        }
                    }
                }
            }
        }
        return NeighborList(k: k, indices: idx, similarities: sim)
    }
}
