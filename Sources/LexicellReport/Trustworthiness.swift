import CBLAS
import Dispatch
import LexicellCore
import LexicellNeighbors

/// Trustworthiness of an embedding (Venna & Kaski 2001), computed as scikit-learn's
/// `sklearn.manifold.trustworthiness`:
/// T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σ_i Σ_{j ∈ U_k(i)} max(0, r(i, j) − k),
/// where U_k(i) are i's k nearest neighbours in the embedding (Euclidean) and r(i, j) is j's rank among i's
/// neighbours in the original space (1 = nearest, ties broken by lower index).
public enum Trustworthiness {
    public static func score(
        high: DenseMatrix, low: DenseMatrix, k: Int, metric: DistanceMetric = .euclidean,
        threads: Int = 2
    ) throws -> Double {
        let n = high.rows
        guard low.rows == n else {
            throw LexicellError("trustworthiness: \(n) original rows but \(low.rows) embedded rows")
        }
        guard k >= 1, Double(k) < Double(n) / 2 else {
            throw LexicellError("trustworthiness: k must satisfy 1 ≤ k < n/2 (n = \(n)), got \(k)")
        }
        let lowNeighbors = embeddedNeighbors(low, k: k)
        let d = high.cols
        // High-dimensional distances in Double (as scikit-learn upcasts), a block of rows at a time.
        var x = high.values.map { Double($0) }
        if metric == .cosine {
            for i in 0..<n {
                var s = 0.0
                for t in 0..<d { s += x[i * d + t] * x[i * d + t] }
                if s > 0 { let inv = 1 / s.squareRoot(); for t in 0..<d { x[i * d + t] *= inv } }
            }
        }
        var norms = [Double](repeating: 0, count: n)
        for i in 0..<n { var s = 0.0; for t in 0..<d { s += x[i * d + t] * x[i * d + t] }; norms[i] = s }
        let block = max(1, min(n, (1 << 21) / max(n, 1)))
        var products = [Double](repeating: 0, count: block * n)
        var penalty = 0.0
        let workers = max(1, threads)
        var partial = [Double](repeating: 0, count: workers)
        x.withUnsafeBufferPointer { xb in
            products.withUnsafeMutableBufferPointer { pb in
                norms.withUnsafeBufferPointer { nb in
                    lowNeighbors.withUnsafeBufferPointer { lb in
                        partial.withUnsafeMutableBufferPointer { partialBuf in
                            let X = xb.baseAddress!, P = pb.baseAddress!, nrm = nb.baseAddress!, lowIdx = lb.baseAddress!
                            let parts = partialBuf.baseAddress!
                            var start = 0
                            while start < n {
                                let rows = min(block, n - start)
                                cblas_dgemm(
                                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(d), 1,
                                    X + start * d, Int32(d), X, Int32(d), 0, P, Int32(n))
                                for w in 0..<workers { parts[w] = 0 }
                                DispatchQueue.concurrentPerform(iterations: workers) { w in
                                    var sum = 0.0
                                    for r in (rows * w / workers)..<(rows * (w + 1) / workers) {
                                        let i = start + r
                                        let row = P + r * n
                                        for j in 0..<n {
                                            row[j] =
                                                metric == .cosine
                                                ? min(max(1 - row[j], 0), 2)
                                                : max(nrm[i] + nrm[j] - 2 * row[j], 0)
                                        }
                                        row[i] = .infinity
                                        sum += penaltyOfRow(row, n: n, neighbors: lowIdx + i * k, k: k)
                                    }
                                    parts[w] = sum
                                }
                                for w in 0..<workers { penalty += parts[w] }
                                start += rows
                            }
                        }
                    }
                }
            }
        }
        let nn = Double(n), kk = Double(k)
        return 1 - penalty * (2 / (nn * kk * (2 * nn - 3 * kk - 1)))
    }

    /// Σ max(0, rank − k) over the embedded neighbours of one row of original-space distances. Ranks of up to
    /// 8 neighbours are counted in one SIMD pass; exact ties are resolved by index in a rare second pass.
    static func penaltyOfRow(_ row: UnsafePointer<Double>, n: Int, neighbors: UnsafePointer<Int32>, k: Int) -> Double {
        var sum = 0.0
        var c0 = 0
        while c0 < k {
            let width = min(8, k - c0)
            var thresholds = SIMD8<Double>(repeating: -.infinity)
            for c in 0..<width { thresholds[c] = row[Int(neighbors[c0 + c])] }
            var less = SIMD8<Int64>(repeating: 0), equal = SIMD8<Int64>(repeating: 0)
            let one = SIMD8<Int64>(repeating: 1)
            for l in 0..<n {
                let v = SIMD8<Double>(repeating: row[l])
                less.replace(with: less &+ one, where: v .< thresholds)
                equal.replace(with: equal &+ one, where: v .== thresholds)
            }
            for c in 0..<width {
                let j = Int(neighbors[c0 + c])
                var rank = Int(less[c]) + 1
                if equal[c] > 1 {
                    let t = row[j]
                    for l in 0..<j where row[l] == t { rank += 1 }
                }
                if rank > k { sum += Double(rank - k) }
            }
            c0 += width
        }
        return sum
    }

    /// k nearest neighbours (self excluded) in the embedding, exact Euclidean in Double.
    static func embeddedNeighbors(_ low: DenseMatrix, k: Int) -> [Int32] {
        let n = low.rows, d = low.cols
        let y = low.values.map { Double($0) }
        var out = [Int32](repeating: 0, count: n * k)
        let workers = 2
        y.withUnsafeBufferPointer { yb in
            out.withUnsafeMutableBufferPointer { ob in
                let Y = yb.baseAddress!, O = ob.baseAddress!
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var dist = [Double](repeating: 0, count: k)
                    for i in (n * w / workers)..<(n * (w + 1) / workers) {
                        var filled = 0
                        for j in 0..<n where j != i {
                            var s = 0.0
                            for t in 0..<d { let q = Y[i * d + t] - Y[j * d + t]; s += q * q }
                            if filled == k && s >= dist[k - 1] { continue }
                            var pos = filled == k ? k - 1 : filled
                            if filled < k { filled += 1 }
                            while pos > 0 && dist[pos - 1] > s {
                                dist[pos] = dist[pos - 1]; O[i * k + pos] = O[i * k + pos - 1]; pos -= 1
                            }
                            dist[pos] = s
                            O[i * k + pos] = Int32(j)
                        }
                    }
                }
            }
        }
        return out
    }
}
