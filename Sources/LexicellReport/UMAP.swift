import Dispatch
import Foundation
import LexicellCore
import LexicellNeighbors

/// UMAP settings; defaults are umap-learn's.
public struct UMAPConfiguration: Sendable, Equatable {
    public var nNeighbors: Int
    public var minDist: Float
    public var spread: Float
    /// nil: 500 epochs up to 10,000 points, else 200 (umap-learn's rule).
    public var nEpochs: Int?
    public var negativeSampleRate: Int
    public var learningRate: Float
    public var repulsionStrength: Float
    public var localConnectivity: Float
    public var setOpMixRatio: Float
    public var metric: DistanceMetric
    public var seed: UInt64
    /// Threads for neighbour search and the layout.
    public var threads: Int
    /// true: a layout bit-reproducible from `seed` and `layoutBlocks` on any machine; false: Hogwild-style
    /// parallel layout (threads race on shared coordinates).
    public var deterministic: Bool
    /// The deterministic layout splits the points into this many blocks (contiguous, about equal in edges) that
    /// are updated in parallel within an epoch: a block moves its own points at once and sees the others as they
    /// were when the epoch began; its pulls on other blocks' points are added when the epoch ends, in block order.
    /// The result depends on this number, not on `threads` or timing. 1: umap-learn's sequential order.
    public var layoutBlocks: Int
    /// Fewest points per block: smaller layouts (under 8,192 points by default, well under a second) keep the
    /// sequential order.
    public var minimumBlockPoints: Int
    /// Points from which the approximate (NN-descent) neighbour search is used, as umap-learn.
    public var approximateNeighborsFrom: Int
    /// Rows wider than this are searched for neighbours on their projection onto an approximate top-`n` right
    /// singular subspace (`UMAP.searchSpace`; cosine: of the unit rows), as scanpy builds neighbours on 50 PCs;
    /// nil: on the rows themselves.
    public var searchComponents: Int?

    public init(
        nNeighbors: Int = 15, minDist: Float = 0.1, spread: Float = 1, nEpochs: Int? = nil,
        negativeSampleRate: Int = 5, learningRate: Float = 1, repulsionStrength: Float = 1,
        localConnectivity: Float = 1, setOpMixRatio: Float = 1, metric: DistanceMetric = .euclidean,
        seed: UInt64 = 42, threads: Int = 2, deterministic: Bool = true, layoutBlocks: Int = 2,
        minimumBlockPoints: Int = 4096, approximateNeighborsFrom: Int = 4096, searchComponents: Int? = nil
    ) {
        self.nNeighbors = nNeighbors
        self.minDist = minDist
        self.spread = spread
        self.nEpochs = nEpochs
        self.negativeSampleRate = negativeSampleRate
        self.learningRate = learningRate
        self.repulsionStrength = repulsionStrength
        self.localConnectivity = localConnectivity
        self.setOpMixRatio = setOpMixRatio
        self.metric = metric
        self.seed = seed
        self.threads = threads
        self.deterministic = deterministic
        self.layoutBlocks = layoutBlocks
        self.minimumBlockPoints = minimumBlockPoints
        self.approximateNeighborsFrom = approximateNeighborsFrom
        self.searchComponents = searchComponents
    }

    /// The query report's UMAP (annotate and merge draw it with this one configuration): cosine, neighbours on
    /// 50 components of wider embeddings (scaled HVG expression has 2,000).
    public static let queryReport = UMAPConfiguration(metric: .cosine, searchComponents: 50)

    /// Epochs the layout runs for `points` points (a ProgressLine for `UMAP.embed` advances once per epoch).
    public func epochs(forPoints points: Int) -> Int { nEpochs ?? (points <= 10_000 ? 500 : 200) }
}

/// Uniform Manifold Approximation and Projection (McInnes, Healy & Melville 2018), following umap-learn.
public enum UMAP {
    /// A 2-D embedding (`rows × 2`) of the rows of `x`; `progress` advances once per layout epoch.
    public static func embed(
        _ x: DenseMatrix, configuration c: UMAPConfiguration = UMAPConfiguration(),
        progress: ProgressLine? = nil
    ) throws -> DenseMatrix {
        try validate(x, c)
        let n = x.rows
        if n == 0 { return DenseMatrix(rows: 0, cols: 2) }
        if n == 1 { return DenseMatrix(rows: 1, cols: 2) }
        let k = n > c.nNeighbors ? c.nNeighbors : n - 1
        let searched = try c.searchComponents.flatMap { $0 < x.cols ? try searchSpace(x, components: $0, metric: c.metric, seed: c.seed) : nil } ?? x
        let knn =
            n >= c.approximateNeighborsFrom
            ? NearestNeighbors.nnDescent(searched, k: k, metric: c.metric, seed: c.seed, threads: c.threads)
            : NearestNeighbors.exact(searched, k: k, metric: c.metric, threads: c.threads)
        return embed(knn: knn, configuration: c, progress: progress)
    }

    /// The embedding from a precomputed neighbour graph (self in column 0).
    public static func embed(
        knn: KNNGraph, configuration c: UMAPConfiguration = UMAPConfiguration(),
        progress: ProgressLine? = nil
    ) -> DenseMatrix {
        let n = knn.count
        var rng = SeededGenerator(seed: c.seed)
        let graph = fuzzySimplicialSet(knn, localConnectivity: c.localConnectivity, setOpMixRatio: c.setOpMixRatio)
        let nEpochs = c.epochs(forPoints: n)
        let pruned = pruneWeakEdges(graph, nEpochs: nEpochs)
        var initRng = rng.split()
        let start = initialLayout(pruned, rng: &initRng)
        let (a, b) = fitAB(minDist: c.minDist, spread: c.spread)
        var layoutRng = rng.split()
        return optimizeLayout(
            start, graph: pruned, a: a, b: b, nEpochs: nEpochs, configuration: c,
            rng: &layoutRng, progress: progress)
    }

    /// The rows of `x` (cosine: scaled to unit length) projected onto an orthonormal basis of `components`
    /// vectors spanning approximately their top right singular subspace: a seeded Gaussian start refined by
    /// 4 passes of subspace iteration with QR between (Halko, Martinsson & Tropp 2011). Distances and inner
    /// products within the subspace do not depend on the basis chosen, so no rotation to singular vectors.
    public static func searchSpace(_ x: DenseMatrix, components: Int, metric: DistanceMetric, seed: UInt64) throws -> DenseMatrix {
        precondition(components > 0 && components < x.cols, "searchSpace: components \(components) of \(x.cols) columns")
        let rows = metric == .cosine ? x.rowNormalized() : x
        var rng = SeededGenerator(seed: seed &+ 0x5EA2C4)
        var basis = DenseMatrix(rows: components, cols: x.cols, values: (0..<(components * x.cols)).map { _ in Float(rng.nextGaussian()) })
        try LinearAlgebra.orthonormalizeRows(&basis)
        for _ in 0..<4 {
            // basis ← orth((X Bᵀ)ᵀ X): one power step of XᵀX on the subspace.
            let t = LinearAlgebra.matmul(rows, basis, transposeB: true)
            basis = LinearAlgebra.matmul(t, rows, transposeA: true)
            try LinearAlgebra.orthonormalizeRows(&basis)
        }
        return LinearAlgebra.matmul(rows, basis, transposeB: true)
    }

    private static func validate(_ x: DenseMatrix, _ c: UMAPConfiguration) throws {
        guard c.nNeighbors >= 2 else { throw LexicellError("UMAP n_neighbors: expected at least 2, got \(c.nNeighbors)") }
        guard c.minDist >= 0, c.spread > 0, c.minDist <= c.spread else {
            throw LexicellError("UMAP min_dist/spread: expected 0 ≤ min_dist ≤ spread and spread > 0, got \(c.minDist)/\(c.spread)")
        }
        if let e = c.nEpochs, e < 1 { throw LexicellError("UMAP n_epochs: expected at least 1, got \(e)") }
        guard c.negativeSampleRate >= 0 else { throw LexicellError("UMAP negative_sample_rate: expected ≥ 0") }
        if let s = c.searchComponents, s < 1 { throw LexicellError("UMAP search components: expected at least 1, got \(s)") }
        guard c.layoutBlocks >= 1 else { throw LexicellError("UMAP layout blocks: expected at least 1, got \(c.layoutBlocks)") }
        if let bad = x.values.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError("UMAP input: non-finite value at row \(bad / max(x.cols, 1)), column \(bad % max(x.cols, 1))")
        }
    }

    // MARK: a and b

    /// a, b of the low-dimensional kernel 1/(1 + a d^(2b)), least-squares fitted (Levenberg–Marquardt from
    /// a = b = 1, as scipy's curve_fit) to exp(−(d − min_dist)/spread) on 300 points of [0, 3·spread].
    public static func fitAB(minDist: Float, spread: Float) -> (a: Float, b: Float) {
        let m = 300
        let xs = (0..<m).map { Double(spread) * 3 * Double($0) / Double(m - 1) }
        let ys = xs.map { $0 < Double(minDist) ? 1 : exp(-($0 - Double(minDist)) / Double(spread)) }
        func cost(_ a: Double, _ b: Double) -> Double {
            var s = 0.0
            for i in 0..<m { let r = 1 / (1 + a * pow(xs[i], 2 * b)) - ys[i]; s += r * r }
            return s
        }
        var a = 1.0, b = 1.0, lambda = 1e-3
        var current = cost(a, b)
        for _ in 0..<500 {
            var jtj = (0.0, 0.0, 0.0), jtr = (0.0, 0.0)
            for i in 0..<m where xs[i] > 0 {
                let p = pow(xs[i], 2 * b), den = 1 + a * p
                let f = 1 / den, r = f - ys[i]
                let da = -p / (den * den)
                let db = -a * p * 2 * log(xs[i]) / (den * den)
                jtj.0 += da * da; jtj.1 += da * db; jtj.2 += db * db
                jtr.0 += da * r; jtr.1 += db * r
            }
            var improved = false
            while lambda < 1e12 {
                let h00 = jtj.0 * (1 + lambda), h11 = jtj.2 * (1 + lambda), h01 = jtj.1
                let det = h00 * h11 - h01 * h01
                let stepA = -(h11 * jtr.0 - h01 * jtr.1) / det
                let stepB = -(h00 * jtr.1 - h01 * jtr.0) / det
                let trial = cost(a + stepA, b + stepB)
                if trial.isFinite && trial <= current {
                    let relative = (current - trial) / max(current, 1e-300)
                    a += stepA; b += stepB; current = trial
                    lambda = max(lambda / 10, 1e-12)
                    improved = relative > 1e-15 || abs(stepA) + abs(stepB) > 1e-13
                    break
                }
                lambda *= 10
            }
            if !improved { break }
        }
        return (Float(a), Float(b))
    }

    // MARK: Fuzzy simplicial set

    /// Per-point (sigma, rho): rho is the distance to the nearest non-zero neighbour, sigma the scale at which
    /// Σ_j exp(−(d_j − rho)/sigma) over the non-self neighbours equals log2(k) (binary search, 64 steps).
    public static func smoothKNNDistances(_ knn: KNNGraph, localConnectivity: Float = 1)
        -> (sigmas: [Float], rhos: [Float])
    {
        let n = knn.count, k = knn.k
        let target = log2(Double(k))
        var sigmas = [Float](repeating: 0, count: n), rhos = [Float](repeating: 0, count: n)
        var meanAll = 0.0
        for v in knn.distances { meanAll += Double(v) }
        meanAll /= Double(max(knn.distances.count, 1))
        let index = Int(localConnectivity.rounded(.down))
        let interpolation = Double(localConnectivity) - Double(index)
        var nonZero = [Double]()
        for i in 0..<n {
            let row = knn.distances[(i * k)..<((i + 1) * k)]
            nonZero.removeAll(keepingCapacity: true)
            for v in row where v > 0 { nonZero.append(Double(v)) }
            var rho = 0.0
            if !nonZero.isEmpty && Double(nonZero.count) >= Double(localConnectivity) {
                if index > 0 {
                    rho = nonZero[index - 1]
                    if interpolation > 1e-5 { rho += interpolation * (nonZero[index] - nonZero[index - 1]) }
                } else {
                    rho = interpolation * nonZero[0]
                }
            } else if !nonZero.isEmpty {
                rho = nonZero.max()!
            }
            var lo = 0.0, hi = Double.infinity, mid = 1.0
            for _ in 0..<64 {
                var psum = 0.0
                for j in 1..<max(k, 1) {
                    let dd = Double(row[row.startIndex + j]) - rho
                    psum += dd > 0 ? exp(-(dd / mid)) : 1
                }
                if abs(psum - target) < 1e-5 { break }
                if psum > target {
                    hi = mid; mid = (lo + hi) / 2
                } else {
                    lo = mid
                    mid = hi == .infinity ? mid * 2 : (lo + hi) / 2
                }
            }
            // Floor sigma at 1e-3 × the mean distance (the row's when rho > 0, else the whole graph's).
            var meanRow = 0.0
            for v in row { meanRow += Double(v) }
            meanRow /= Double(max(k, 1))
            let floor = 1e-3 * (rho > 0 ? meanRow : meanAll)
            if mid < floor { mid = floor }
            sigmas[i] = Float(mid)
            rhos[i] = Float(rho)
        }
        return (sigmas, rhos)
    }

    /// The symmetric fuzzy graph: membership exp(−(d − rho)/sigma) per directed kNN edge, combined by
    /// fuzzy union P + Pᵀ − P∘Pᵀ (mixed with the intersection P∘Pᵀ by `setOpMixRatio`).
    public static func fuzzySimplicialSet(
        _ knn: KNNGraph, localConnectivity: Float = 1,
        setOpMixRatio: Float = 1
    ) -> SparseMatrix {
        let n = knn.count, k = knn.k
        let (sigmas, rhos) = smoothKNNDistances(knn, localConnectivity: localConnectivity)
        var rowIdx = [Int32](), colIdx = [Int32](), vals = [Float]()
        rowIdx.reserveCapacity(n * k); colIdx.reserveCapacity(n * k); vals.reserveCapacity(n * k)
        for i in 0..<n {
            for c in 0..<k {
                let j = knn.indices[i * k + c]
                if j < 0 || Int(j) == i { continue }
                let d = knn.distances[i * k + c]
                let v: Float
                if d - rhos[i] <= 0 || sigmas[i] == 0 {
                    v = 1
                } else {
                    v = Float(exp(-Double(d - rhos[i]) / Double(sigmas[i])))
                }
                rowIdx.append(Int32(i)); colIdx.append(j); vals.append(v)
            }
        }
        let p = SparseMatrix(rows: n, cols: n, rowIndex: rowIdx, colIndex: colIdx, values: vals)
        let pt = p.transposed()
        var ptr = [0], idx = [Int32](), out = [Float]()
        idx.reserveCapacity(2 * p.nonZeroCount); out.reserveCapacity(2 * p.nonZeroCount)
        let mix = setOpMixRatio
        for r in 0..<n {
            var u = p.indptr[r], v = pt.indptr[r]
            let ue = p.indptr[r + 1], ve = pt.indptr[r + 1]
            while u < ue || v < ve {
                let cu = u < ue ? p.indices[u] : Int32.max
                let cv = v < ve ? pt.indices[v] : Int32.max
                var x: Float = 0, y: Float = 0
                let col = min(cu, cv)
                if cu == col { x = p.values[u]; u += 1 }
                if cv == col { y = pt.values[v]; v += 1 }
                let product = x * y
                let value = mix * (x + y - product) + (1 - mix) * product
                if value != 0 { idx.append(col); out.append(value) }
            }
            ptr.append(idx.count)
        }
        return SparseMatrix(rows: n, cols: n, indptr: ptr, indices: idx, values: out)
    }

    /// Drops edges too weak to be sampled even once in `nEpochs` (weight < max / nEpochs), as umap-learn.
    static func pruneWeakEdges(_ g: SparseMatrix, nEpochs: Int) -> SparseMatrix {
        let maxWeight = g.values.max() ?? 0
        let threshold = maxWeight / Float(nEpochs)
        var ptr = [0], idx = [Int32](), val = [Float]()
        for r in 0..<g.rows {
            for t in g.indptr[r]..<g.indptr[r + 1] where g.values[t] >= threshold {
                idx.append(g.indices[t]); val.append(g.values[t])
            }
            ptr.append(idx.count)
        }
        return SparseMatrix(rows: g.rows, cols: g.cols, indptr: ptr, indices: idx, values: val)
    }

    // MARK: Initialisation

    /// Spectral layout scaled to max |coordinate| 10 plus N(0, 1e-4) noise, then each axis rescaled to [0, 10].
    static func initialLayout(_ graph: SparseMatrix, rng: inout SeededGenerator) -> [Float] {
        let n = graph.rows
        var layout: [Float]
        if let spectral = SpectralLayout.layout(graph, dimensions: 2, rng: &rng) {
            let maxAbs = spectral.map { abs($0) }.max() ?? 0
            let expansion = maxAbs > 0 ? 10 / maxAbs : 1
            layout = spectral.map { $0 * expansion + Float(rng.nextGaussian() * 1e-4) }
        } else {
            layout = (0..<(2 * n)).map { _ in Float(rng.nextUniform() * 20 - 10) }
        }
        for dim in 0..<2 {
            var lo = Float.infinity, hi = -Float.infinity
            for i in 0..<n { lo = min(lo, layout[2 * i + dim]); hi = max(hi, layout[2 * i + dim]) }
            let range = hi - lo
            for i in 0..<n { layout[2 * i + dim] = range > 0 ? 10 * (layout[2 * i + dim] - lo) / range : 5 }
        }
        return layout
    }

    // MARK: Layout optimisation

    /// `count` blocks of consecutive points with about equal numbers of edges (every block non-empty), and the
    /// edge range of each (edges are listed by head, in point order).
    static func blocks(_ graph: SparseMatrix, count: Int) -> [(edges: Range<Int>, own: Range<Int>)] {
        let n = graph.rows, edges = graph.nonZeroCount
        var bounds = [0]
        for p in 1..<max(count, 1) {
            var v = bounds.last! + 1
            while v < n - (count - p) && graph.indptr[v] < edges * p / count { v += 1 }
            bounds.append(v)
        }
        bounds.append(n)
        return (0..<(bounds.count - 1)).map { p in
            (graph.indptr[bounds[p]]..<graph.indptr[bounds[p + 1]], bounds[p]..<bounds[p + 1])
        }
    }

    /// umap-learn's schedule: an edge of weight w is sampled every max(w)/w epochs.
    static func epochsPerSample(_ weights: [Float], nEpochs: Int) -> [Double] {
        let maxWeight = Double(weights.max() ?? 0)
        return weights.map { w in
            let samples = Double(nEpochs) * Double(w) / maxWeight
            return samples > 0 ? Double(nEpochs) / samples : -1
        }
    }

    /// Stochastic gradient descent on the fuzzy cross-entropy with negative sampling, gradients clipped to
    /// [−4, 4], learning rate decaying linearly to 0.
    static func optimizeLayout(
        _ start: [Float], graph: SparseMatrix, a: Float, b: Float, nEpochs: Int,
        configuration c: UMAPConfiguration, rng: inout SeededGenerator,
        progress: ProgressLine?
    ) -> DenseMatrix {
        let n = graph.rows
        var embedding = start
        var head = [Int32](), tail = [Int32]()
        head.reserveCapacity(graph.nonZeroCount); tail.reserveCapacity(graph.nonZeroCount)
        for r in 0..<n { for t in graph.indptr[r]..<graph.indptr[r + 1] { head.append(Int32(r)); tail.append(graph.indices[t]) } }
        let edges = head.count
        let eps = epochsPerSample(graph.values, nEpochs: nEpochs)
        let negativeRate = Double(c.negativeSampleRate)
        let epsNeg = eps.map { negativeRate > 0 ? $0 / negativeRate : Double.infinity }
        var nextSample = eps
        var nextNegative = epsNeg
        // Deterministic: blocks of points (edges are grouped by head, so a block's edges are contiguous);
        // Hogwild: one edge range per thread over all points.
        let parts: [(edges: Range<Int>, own: Range<Int>)]
        if c.deterministic {
            parts = Self.blocks(graph, count: max(1, min(c.layoutBlocks, n / max(c.minimumBlockPoints, 1))))
        } else {
            let workers = max(1, min(c.threads, edges))
            parts = (0..<workers).map { w in ((edges * w / workers)..<(edges * (w + 1) / workers), 0..<n) }
        }
        let blocked = c.deterministic && parts.count > 1
        let concurrency = c.deterministic ? max(1, min(c.threads, parts.count)) : parts.count
        var generators = parts.map { _ in rng.split() }
        // Block mode: the coordinates at the epoch's start, and each block's pulls on other blocks' points.
        var snapshot = blocked ? embedding : []
        var pulls = [Float](repeating: 0, count: blocked ? parts.count * 2 * n : 0)
        let gamma = c.repulsionStrength
        let alpha0 = c.learningRate

        embedding.withUnsafeMutableBufferPointer { embBuf in
            head.withUnsafeBufferPointer { hb in
                tail.withUnsafeBufferPointer { tb in
                    eps.withUnsafeBufferPointer { epsb in
                        epsNeg.withUnsafeBufferPointer { negb in
                            nextSample.withUnsafeMutableBufferPointer { nsb in
                                nextNegative.withUnsafeMutableBufferPointer { nnb in
                                    snapshot.withUnsafeMutableBufferPointer { snapBuf in
                                        pulls.withUnsafeMutableBufferPointer { pullBuf in
                                            generators.withUnsafeMutableBufferPointer { gb in
                                                let emb = embBuf.baseAddress!
                                                let ctx = SGDContext(
                                                    emb: emb, head: hb.baseAddress!, tail: tb.baseAddress!,
                                                    eps: epsb.baseAddress!, epsNeg: negb.baseAddress!,
                                                    next: nsb.baseAddress!, nextNeg: nnb.baseAddress!,
                                                    n: n, a: a, b: b, gamma: gamma)
                                                let gens = gb.baseAddress!
                                                for epoch in 0..<nEpochs {
                                                    let alpha = alpha0 * (1 - Float(epoch) / Float(nEpochs))
                                                    if blocked { snapBuf.baseAddress!.update(from: emb, count: 2 * n) }
                                                    func part(_ p: Int) {
                                                        // A local copy: neighbouring generators share a cache line.
                                                        var generator = gens[p]
                                                        defer { gens[p] = generator }
                                                        ctx.run(
                                                            edges: parts[p].edges, own: parts[p].own,
                                                            seen: blocked ? UnsafePointer(snapBuf.baseAddress!) : UnsafePointer(emb),
                                                            pulls: blocked ? pullBuf.baseAddress! + p * 2 * n : nil,
                                                            epoch: epoch, alpha: alpha, rng: &generator)
                                                    }
                                                    if concurrency == 1 {
                                                        for p in parts.indices { part(p) }
                                                    } else {
                                                        DispatchQueue.concurrentPerform(iterations: concurrency) { w in
                                                            for p in stride(from: w, to: parts.count, by: concurrency) { part(p) }
                                                        }
                                                    }
                                                    if blocked {
                                                        let pull = pullBuf.baseAddress!
                                                        for (p, block) in parts.enumerated() {
                                                            let own = (2 * block.own.lowerBound)..<(2 * block.own.upperBound)
                                                            for v in 0..<(2 * n) where !own.contains(v) {
                                                                emb[v] += pull[p * 2 * n + v]
                                                                pull[p * 2 * n + v] = 0
                                                            }
                                                        }
                                                    }
                                                    progress?.advance()
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        progress?.finish()
        return DenseMatrix(rows: n, cols: 2, values: embedding)
    }
}

/// Raw buffers of one SGD run (Hogwild workers share `emb` without locks, as umap-learn's parallel mode).
private struct SGDContext: @unchecked Sendable {
    let emb: UnsafeMutablePointer<Float>
    let head: UnsafePointer<Int32>, tail: UnsafePointer<Int32>
    let eps: UnsafePointer<Double>, epsNeg: UnsafePointer<Double>
    let next: UnsafeMutablePointer<Double>, nextNeg: UnsafeMutablePointer<Double>
    let n: Int
    let a: Float, b: Float, gamma: Float

    @inline(__always) private func clip(_ v: Float) -> Float { max(-4, min(4, v)) }

    /// One epoch over `edges`, whose heads are all in `own`: points in `own` are read and moved in `emb`; other
    /// points are read from `seen` and their moves added to `pulls` (nil when `own` is every point).
    func run(
        edges: Range<Int>, own: Range<Int>, seen: UnsafePointer<Float>, pulls: UnsafeMutablePointer<Float>?, epoch: Int,
        alpha: Float, rng: inout SeededGenerator
    ) {
        let e = Double(epoch)
        let nn = UInt64(n)
        for i in edges where next[i] <= e {
            let j = Int(head[i]), k = Int(tail[i])
            let cur = emb + 2 * j
            let inside = own.contains(k)
            var other = inside ? UnsafePointer(emb + 2 * k) : seen + 2 * k
            var dx = cur[0] - other[0], dy = cur[1] - other[1]
            var d2 = dx * dx + dy * dy
            if d2 > 0 {
                let pb = powf(d2, b)
                let coeff = -2 * a * b * (pb / d2) / (a * pb + 1)
                let gx = clip(coeff * dx) * alpha, gy = clip(coeff * dy) * alpha
                cur[0] += gx; cur[1] += gy
                let moved = inside ? emb + 2 * k : pulls! + 2 * k
                moved[0] -= gx; moved[1] -= gy
            }
            next[i] += eps[i]
            let negatives = Int((e - nextNeg[i]) / epsNeg[i])
            if negatives > 0 {
                for _ in 0..<negatives {
                    let r = Int(rng.next() % nn)
                    other = own.contains(r) ? UnsafePointer(emb + 2 * r) : seen + 2 * r
                    dx = cur[0] - other[0]; dy = cur[1] - other[1]
                    d2 = dx * dx + dy * dy
                    if d2 > 0 {
                        let coeff = 2 * gamma * b / ((0.001 + d2) * (a * powf(d2, b) + 1))
                        cur[0] += clip(coeff * dx) * alpha
                        cur[1] += clip(coeff * dy) * alpha
                    }
                }
                nextNeg[i] += Double(negatives) * epsNeg[i]
            }
        }
    }
}
