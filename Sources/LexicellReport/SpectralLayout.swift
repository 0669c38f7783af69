import CBLAS
import Foundation
import LexicellCore
import LexicellNeighbors

/// Spectral initialisation: eigenvectors of the normalised graph Laplacian I − D^−½ A D^−½ for its smallest
/// non-trivial eigenvalues, i.e. of M = D^−½ A D^−½ for its largest below the trivial 1.
enum SpectralLayout {
    /// Graphs up to this size use dense LAPACK; larger ones Lanczos with full reorthogonalisation.
    static let denseLimit = 600

    /// n × `dimensions` row-major; nil when the graph is too small to have that many eigenvectors.
    /// Disconnected graphs are laid out per component around well-separated anchors (as umap-learn).
    static func layout(_ graph: SparseMatrix, dimensions dims: Int, rng: inout SeededGenerator) -> [Float]? {
        let n = graph.rows
        let (labels, count) = connectedComponents(graph)
        if count == 1 {
            guard let e = componentEmbedding(graph, dims: dims, rng: &rng) else { return nil }
            return e.map { Float($0) }
        }
        let anchors = anchorPositions(count, dims: dims)
        var members = [[Int]](repeating: [], count: count)
        for i in 0..<n { members[labels[i]].append(i) }
        var out = [Float](repeating: 0, count: n * dims)
        for c in 0..<count {
            var range = Double.infinity
            for o in 0..<count where o != c {
                var s = 0.0
                for t in 0..<dims { let q = anchors[c * dims + t] - anchors[o * dims + t]; s += q * q }
                range = min(range, s.squareRoot() / 2)
            }
            let sub = graph.subgraph(members[c])
            let e = sub.rows < 2 * dims || sub.rows <= dims + 1 ? nil : componentEmbedding(sub, dims: dims, rng: &rng)
            let maxAbs = e?.map { abs($0) }.max() ?? 0
            for (local, i) in members[c].enumerated() {
                for t in 0..<dims {
                    let v: Double
                    if let e, maxAbs > 0 { v = e[local * dims + t] * range / maxAbs } else { v = (rng.nextUniform() * 2 - 1) * range }
                    out[i * dims + t] = Float(v + anchors[c * dims + t])
                }
            }
        }
        return out
    }

    /// umap-learn's anchors for up to 2·dims components (±unit axes); beyond that, points of a Fibonacci
    /// spiral in the plane (the first two axes), spaced evenly.
    static func anchorPositions(_ count: Int, dims: Int) -> [Double] {
        var out = [Double](repeating: 0, count: count * dims)
        if count <= 2 * dims {
            let half = (count + 1) / 2
            for c in 0..<count {
                let axis = c % half
                out[c * dims + axis] = c < half ? 1 : -1
            }
        } else {
            let golden = Double.pi * (3 - 5.0.squareRoot())
            for c in 0..<count {
                let r = (Double(c) + 0.5).squareRoot() / Double(count).squareRoot()
                out[c * dims] = r * cos(Double(c) * golden)
                if dims > 1 { out[c * dims + 1] = r * sin(Double(c) * golden) }
            }
        }
        return out
    }

    /// Labels 0..<count of the connected components (union–find over the edges).
    static func connectedComponents(_ g: SparseMatrix) -> (labels: [Int], count: Int) {
        var parent = Array(0..<g.rows)
        func find(_ x: Int) -> Int {
            var r = x
            while parent[r] != r { parent[r] = parent[parent[r]]; r = parent[r] }
            return r
        }
        for r in 0..<g.rows {
            for t in g.indptr[r]..<g.indptr[r + 1] {
                let a = find(r), b = find(Int(g.indices[t]))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var label = [Int](repeating: -1, count: g.rows)
        var rootLabel = [Int: Int]()
        for i in 0..<g.rows {
            let root = find(i)
            if let l = rootLabel[root] { label[i] = l } else { let l = rootLabel.count; rootLabel[root] = l; label[i] = l }
        }
        return (label, rootLabel.count)
    }

    /// The `dims` eigenvectors of M after the trivial one (n × dims row-major, Double), for a connected graph.
    static func componentEmbedding(_ g: SparseMatrix, dims: Int, rng: inout SeededGenerator) -> [Double]? {
        let n = g.rows
        guard n > dims + 1 else { return nil }
        var degree = [Double](repeating: 0, count: n)
        for r in 0..<n { for t in g.indptr[r]..<g.indptr[r + 1] { degree[r] += Double(g.values[t]) } }
        guard degree.allSatisfy({ $0 > 0 }) else { return nil }
        let invSqrt = degree.map { 1 / $0.squareRoot() }
        var scaled = [Double](repeating: 0, count: g.nonZeroCount)
        for r in 0..<n {
            for t in g.indptr[r]..<g.indptr[r + 1] {
                scaled[t] = Double(g.values[t]) * invSqrt[r] * invSqrt[Int(g.indices[t])]
            }
        }
        if n <= denseLimit {
            var dense = [Double](repeating: 0, count: n * n)
            for r in 0..<n { for t in g.indptr[r]..<g.indptr[r + 1] { dense[r * n + Int(g.indices[t])] = scaled[t] } }
            guard let (_, vectors) = try? LinearAlgebra.largestEigenpairs(symmetric: dense, size: n, count: dims + 1) else { return nil }
            // vectors: rows, largest first; skip the first (trivial) one.
            var out = [Double](repeating: 0, count: n * dims)
            for t in 0..<dims { for i in 0..<n { out[i * dims + t] = vectors[(t + 1) * n + i] } }
            return out
        }
        var trivial = degree.map { $0.squareRoot() }
        let norm = trivial.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in 0..<n { trivial[i] /= norm }
        let matvec: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void = { x, y in
            for r in 0..<n {
                var s = 0.0
                for t in g.indptr[r]..<g.indptr[r + 1] { s += scaled[t] * x[Int(g.indices[t])] }
                y[r] = s
            }
        }
        return Lanczos.largest(n: n, count: dims, deflate: trivial, matvec: matvec, rng: &rng)
    }
}

extension SparseMatrix {
    /// The principal submatrix on `members` (renumbered in that order).
    func subgraph(_ members: [Int]) -> SparseMatrix {
        var map = [Int32](repeating: -1, count: rows)
        for (t, i) in members.enumerated() { map[i] = Int32(t) }
        var ptr = [0], idx = [Int32](), val = [Float]()
        for i in members {
            for t in indptr[i]..<indptr[i + 1] where map[Int(indices[t])] >= 0 {
                idx.append(map[Int(indices[t])]); val.append(values[t])
            }
            ptr.append(idx.count)
        }
        return SparseMatrix(rows: members.count, cols: members.count, indptr: ptr, indices: idx, values: val)
    }
}

/// Lanczos iteration with full reorthogonalisation (Double) for the largest eigenpairs of a symmetric
/// operator given as a matrix–vector product, with one known eigenvector deflated.
enum Lanczos {
    /// n × count row-major eigenvectors, largest eigenvalue first; nil if the Krylov space collapsed early.
    static func largest(
        n: Int, count: Int, deflate: [Double], maxSteps: Int = 400, tolerance: Double = 1e-6,
        matvec: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void,
        rng: inout SeededGenerator
    ) -> [Double]? {
        let m = min(maxSteps, n - 1)
        guard m > count else { return nil }
        var basis = [Double](repeating: 0, count: (m + 1) * n)
        var alpha = [Double](), beta = [Double]()
        var w = [Double](repeating: 0, count: n)
        var h = [Double](repeating: 0, count: m + 1)
        // Start from ones (umap-learn's v0) with a little seeded noise, trivial direction removed.
        var q = (0..<n).map { _ in 1 + 0.01 * rng.nextGaussian() }
        project(&q, against: deflate)
        guard normalize(&q) > 0 else { return nil }
        basis.replaceSubrange(0..<n, with: q)
        var result: [Double]?
        var steps = 0
        basis.withUnsafeMutableBufferPointer { qb in
            let Q = qb.baseAddress!
            for j in 0..<m {
                w.withUnsafeMutableBufferPointer { wb in matvec(Q + j * n, wb.baseAddress!) }
                var a = 0.0
                for i in 0..<n { a += w[i] * Q[j * n + i] }
                alpha.append(a)
                for i in 0..<n { w[i] -= a * Q[j * n + i] }
                if j > 0 { let bPrev = beta[j - 1]; for i in 0..<n { w[i] -= bPrev * Q[(j - 1) * n + i] } }
                // Two passes of classical Gram–Schmidt against the basis and the deflated vector.
                for _ in 0..<2 {
                    w.withUnsafeMutableBufferPointer { wb in
                        h.withUnsafeMutableBufferPointer { hb in
                            cblas_dgemv(
                                CblasRowMajor, CblasNoTrans, Int32(j + 1), Int32(n), 1, Q, Int32(n),
                                wb.baseAddress!, 1, 0, hb.baseAddress!, 1)
                            cblas_dgemv(
                                CblasRowMajor, CblasTrans, Int32(j + 1), Int32(n), -1, Q, Int32(n),
                                hb.baseAddress!, 1, 1, wb.baseAddress!, 1)
                        }
                    }
                    project(&w, against: deflate)
                }
                let b = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                beta.append(b)
                steps = j + 1
                let collapsed = b < 1e-10
                if steps >= 2 * count + 2 && (steps % 10 == 0 || collapsed || steps == m) {
                    if let (vectors, converged) = ritz(
                        Q, n: n, alpha: alpha, beta: beta, count: count,
                        tolerance: tolerance),
                        converged || collapsed || steps == m
                    {
                        result = vectors
                        return
                    }
                }
                if collapsed { return }
                for i in 0..<n { Q[(j + 1) * n + i] = w[i] / b }
            }
        }
        return result
    }

    /// Ritz vectors for the `count` largest Ritz values, and whether all their residuals are below tolerance.
    private static func ritz(
        _ Q: UnsafePointer<Double>, n: Int, alpha: [Double], beta: [Double], count: Int,
        tolerance: Double
    ) -> ([Double], Bool)? {
        let s = alpha.count
        var t = [Double](repeating: 0, count: s * s)
        for i in 0..<s {
            t[i * s + i] = alpha[i]
            if i + 1 < s { t[i * s + i + 1] = beta[i]; t[(i + 1) * s + i] = beta[i] }
        }
        guard let (_, z) = try? LinearAlgebra.largestEigenpairs(symmetric: t, size: s, count: count) else { return nil }
        var converged = true
        var out = [Double](repeating: 0, count: n * count)
        var y = [Double](repeating: 0, count: n)
        for r in 0..<count {
            let coefficients = Array(z[(r * s)..<((r + 1) * s)])  // largest first
            if abs(beta[s - 1] * coefficients[s - 1]) > tolerance { converged = false }
            coefficients.withUnsafeBufferPointer { cb in
                y.withUnsafeMutableBufferPointer { yb in
                    cblas_dgemv(
                        CblasRowMajor, CblasTrans, Int32(s), Int32(n), 1, Q, Int32(n), cb.baseAddress!, 1, 0,
                        yb.baseAddress!, 1)
                }
            }
            for i in 0..<n { out[i * count + r] = y[i] }
        }
        return (out, converged)
    }

    private static func project(_ v: inout [Double], against u: [Double]) {
        var d = 0.0
        for i in 0..<v.count { d += v[i] * u[i] }
        for i in 0..<v.count { v[i] -= d * u[i] }
    }

    @discardableResult
    private static func normalize(_ v: inout [Double]) -> Double {
        let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if s > 0 { for i in 0..<v.count { v[i] /= s } }
        return s
    }
}
