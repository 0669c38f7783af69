import CBLAS
import Dispatch
import Foundation
import LexicellCore

/// How distances between rows are measured.
public enum DistanceMetric: String, Sendable, CaseIterable {
    /// ‖a − b‖₂
    case euclidean
    /// 1 − a·b / (‖a‖‖b‖), as scikit-learn and umap-learn define it.
    case cosine
}

/// The k nearest neighbours of every row, self included as column 0 (as umap-learn keeps it).
public struct KNNGraph: Equatable, Sendable {
    public var count: Int
    public var k: Int
    /// Row-major `count × k`; row i lists neighbour indices by increasing distance.
    public var indices: [Int32]
    /// Row-major `count × k`; distances in the graph's metric.
    public var distances: [Float]

    public init(count: Int, k: Int, indices: [Int32], distances: [Float]) {
        precondition(indices.count == count * k && distances.count == count * k)
        self.count = count
        self.k = k
        self.indices = indices
        self.distances = distances
    }
}

/// Exact and approximate k-nearest-neighbour search.
public enum NearestNeighbors {
    /// Exact kNN by blocked BLAS products (distances from ‖a‖² + ‖b‖² − 2a·b), rows split over `threads`.
    public static func exact(_ x: DenseMatrix, k: Int, metric: DistanceMetric, threads: Int = 2) -> KNNGraph {
        let n = x.rows, d = x.cols
        let k = min(k, n)
        guard n > 0, k > 0 else { return KNNGraph(count: n, k: max(k, 0), indices: [], distances: []) }
        let data = metric == .cosine ? x.rowNormalized() : x
        var norms = [Float](repeating: 0, count: n)
        data.values.withUnsafeBufferPointer { p in
            for i in 0..<n { norms[i] = cblas_sdot(Int32(d), p.baseAddress! + i * d, 1, p.baseAddress! + i * d, 1) }
        }
        var outIdx = [Int32](repeating: 0, count: n * k)
        var outDist = [Float](repeating: 0, count: n * k)
        let block = max(1, min(n, (1 << 22) / max(n, 1)))
        var products = [Float](repeating: 0, count: block * n)
        data.values.withUnsafeBufferPointer { px in
            norms.withUnsafeBufferPointer { pn in
                products.withUnsafeMutableBufferPointer { pp in
                    outIdx.withUnsafeMutableBufferPointer { oi in
                        outDist.withUnsafeMutableBufferPointer { od in
                            let x0 = px.baseAddress!, prod = pp.baseAddress!
                            let nrm = pn.baseAddress!, idx = oi.baseAddress!, dst = od.baseAddress!
                            var start = 0
                            while start < n {
                                let rows = min(block, n - start)
                                cblas_sgemm(
                                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(d),
                                    1, x0 + start * d, Int32(d), x0, Int32(d), 0, prod, Int32(n))
                                let workers = max(1, min(threads, rows))
                                DispatchQueue.concurrentPerform(iterations: workers) { w in
                                    let lo = rows * w / workers, hi = rows * (w + 1) / workers
                                    for r in lo..<hi {
                                        let i = start + r
                                        let row = prod + r * n
                                        let ni = nrm[i]
                                        for j in 0..<n {
                                            // Squared Euclidean (unit rows for cosine: ‖a−b‖² = 2(1 − a·b)).
                                            row[j] = max(0, ni + nrm[j] - 2 * row[j])
                                        }
                                        row[i] = -1  // self first, even among exact duplicates
                                        selectSmallest(row, n: n, k: k, indices: idx + i * k, distances: dst + i * k)
                                        for c in 0..<k {
                                            let s = max(dst[i * k + c], 0)
                                            dst[i * k + c] = metric == .cosine ? s / 2 : s.squareRoot()
                                        }
                                    }
                                }
                                start += rows
                            }
                        }
                    }
                }
            }
        }
        return KNNGraph(count: n, k: k, indices: outIdx, distances: outDist)
    }

    /// The k smallest of `values[0..<n]`, ascending; equal values keep the lower index first (the one tie
    /// rule of every neighbour search here). With `largest`, the k largest, descending, same tie rule.
    /// Postcondition: `indices[0..<min(k, n)]` and `distances[0..<min(k, n)]` are filled.
    @inline(__always)
    public static func selectSmallest(
        _ values: UnsafePointer<Float>, n: Int, k: Int, largest: Bool = false,
        indices: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>
    ) {
        guard k > 0 else { return }
        var filled = 0
        @inline(__always) func offer(_ j: Int) {
            let v = largest ? -values[j] : values[j]
            if filled == k && v >= distances[k - 1] { return }
            var pos = filled == k ? k - 1 : filled
            if filled < k { filled += 1 }
            while pos > 0 && distances[pos - 1] > v {
                distances[pos] = distances[pos - 1]
                indices[pos] = indices[pos - 1]
                pos -= 1
            }
            distances[pos] = v
            indices[pos] = Int32(j)
        }
        var j = 0
        while j < n && filled < k {
            offer(j)
            j += 1
        }
        // Once k are held, 64 values at a time are compared lane-wise with the current worst and the masks or-ed:
        // a chunk with no value that could enter is skipped, which is most chunks, so the scan runs near memory
        // speed (a horizontal min per block was 8× slower). A chunk that may hold one is offered value by value.
        let raw = UnsafeRawPointer(values)
        let stride = MemoryLayout<Float>.stride
        @inline(__always) func enters(_ at: Int, _ bound: SIMD16<Float>) -> SIMDMask<SIMD16<Int32>> {
            let v = raw.loadUnaligned(fromByteOffset: at * stride, as: SIMD16<Float>.self)
            return largest ? v .> bound : v .< bound
        }
        while j + 64 <= n {
            // Values equal to the worst never enter: the lower index already holds the place.
            let bound = SIMD16(repeating: largest ? -distances[k - 1] : distances[k - 1])
            if any(enters(j, bound) .| enters(j + 16, bound) .| enters(j + 32, bound) .| enters(j + 48, bound)) {
                for t in j..<(j + 64) { offer(t) }
            }
            j += 64
        }
        while j < n {
            offer(j)
            j += 1
        }
        if largest { for c in 0..<filled { distances[c] = -distances[c] } }
    }

    /// Fraction of the exact neighbour sets that the approximate graph found (mean over rows).
    public static func recall(_ approximate: KNNGraph, _ exact: KNNGraph) -> Double {
        precondition(approximate.count == exact.count && approximate.k == exact.k, "recall: graphs differ in shape")
        let n = exact.count, k = exact.k
        guard n > 0, k > 0 else { return 1 }
        var hits = 0
        for i in 0..<n {
            let truth = Set(exact.indices[(i * k)..<((i + 1) * k)])
            for c in 0..<k where truth.contains(approximate.indices[i * k + c]) { hits += 1 }
        }
        return Double(hits) / Double(n * k)
    }

    /// Approximate kNN by NN-descent (Dong, Moses & Li 2011) seeded by a random-projection forest, as
    /// pynndescent does for umap-learn. Parallel distance work; updates applied in a fixed order, so the
    /// result depends only on the seed.
    public static func nnDescent(
        _ x: DenseMatrix, k: Int, metric: DistanceMetric, seed: UInt64 = 42,
        threads: Int = 2, trees: Int? = nil, iterations: Int? = nil,
        maxCandidates: Int = 60, delta: Double = 0.001
    ) -> KNNGraph {
        let n = x.rows, d = x.cols
        let k = min(k, n)
        guard n > 0, k > 0 else { return KNNGraph(count: n, k: max(k, 0), indices: [], distances: []) }
        // Cosine neighbours are Euclidean neighbours of unit rows; work in squared Euclidean throughout.
        let data = metric == .cosine ? x.rowNormalized() : x
        var rng = SeededGenerator(seed: seed)
        var heap = NeighborHeap(count: n, k: k)
        let treeCount = trees ?? min(64, 5 + Int((Double(n).squareRoot() / 20).rounded()))
        let iterationCount = iterations ?? max(5, Int(log2(Double(n)).rounded()))
        let leafSize = max(10, k)

        data.values.withUnsafeBufferPointer { pxb in
            let px = pxb.baseAddress!
            // Random-projection forest: every pair in a leaf is a candidate edge.
            for _ in 0..<treeCount {
                var treeRng = rng.split()
                let leaves = randomProjectionLeaves(px, n: n, d: d, leafSize: leafSize, rng: &treeRng)
                for leaf in leaves {
                    for a in 0..<leaf.count {
                        for b in (a + 1)..<leaf.count {
                            let p = leaf[a], q = leaf[b]
                            let dist = squaredDistance(px + p * d, px + q * d, d)
                            heap.push(p, q, dist, isNew: true)
                            heap.push(q, p, dist, isNew: true)
                        }
                    }
                }
            }
            // Fill rows the forest left short with random neighbours.
            for i in 0..<n {
                var tries = 0
                while heap.filled(i) < k && tries < 4 * k {
                    let j = Int(rng.next() % UInt64(n))
                    if j != i { heap.push(i, j, squaredDistance(px + i * d, px + j * d, d), isNew: true) }
                    tries += 1
                }
            }

            var newCand = [Int32](repeating: -1, count: n * maxCandidates)
            var oldCand = [Int32](repeating: -1, count: n * maxCandidates)
            var newPri = [Float](repeating: 0, count: n * maxCandidates)
            var oldPri = [Float](repeating: 0, count: n * maxCandidates)
            for _ in 0..<iterationCount {
                buildCandidates(
                    heap: &heap, maxCandidates: maxCandidates, rng: &rng,
                    newCand: &newCand, oldCand: &oldCand, newPri: &newPri, oldPri: &oldPri)
                let changes = localJoin(
                    px, d: d, heap: &heap, maxCandidates: maxCandidates,
                    newCand: newCand, oldCand: oldCand, threads: threads)
                if Double(changes) <= delta * Double(k * n) { break }
            }
        }
        // Self goes first (distance 0), as in the exact graph.
        for i in 0..<n where !heap.contains(i, i) { heap.replaceWorst(i, i, 0) }
        return heap.sortedGraph(metric: metric)
    }

    /// For each vertex, up to `maxCandidates` new and old neighbours (forward and reverse), chosen by random
    /// priority; sampled new entries are then marked old.
    private static func buildCandidates(
        heap: inout NeighborHeap, maxCandidates mc: Int, rng: inout SeededGenerator,
        newCand: inout [Int32], oldCand: inout [Int32],
        newPri: inout [Float], oldPri: inout [Float]
    ) {
        let n = heap.count, k = heap.k
        for t in 0..<newCand.count { newCand[t] = -1; oldCand[t] = -1; newPri[t] = .infinity; oldPri[t] = .infinity }
        func offer(_ cand: inout [Int32], _ pri: inout [Float], _ owner: Int, _ j: Int32, _ p: Float) {
            let base = owner * mc
            var worst = 0
            for t in 0..<mc {
                if cand[base + t] == j { return }
                if pri[base + t] > pri[base + worst] { worst = t }
            }
            if p < pri[base + worst] { cand[base + worst] = j; pri[base + worst] = p }
        }
        for i in 0..<n {
            for c in 0..<k {
                let j = heap.indices[i * k + c]
                if j < 0 { continue }
                let p = Float(rng.nextUniform())
                if heap.isNew[i * k + c] {
                    offer(&newCand, &newPri, i, j, p)
                    offer(&newCand, &newPri, Int(j), Int32(i), p)
                } else {
                    offer(&oldCand, &oldPri, i, j, p)
                    offer(&oldCand, &oldPri, Int(j), Int32(i), p)
                }
            }
        }
        for i in 0..<n {
            for c in 0..<k where heap.isNew[i * k + c] {
                let j = heap.indices[i * k + c]
                let base = i * mc
                for t in 0..<mc where newCand[base + t] == j { heap.isNew[i * k + c] = false; break }
            }
        }
    }

    /// Compares new×new and new×old candidate pairs; proposals are computed in parallel against a snapshot of
    /// each row's current worst distance, then applied serially in order. Returns the number of accepted updates.
    private static func localJoin(
        _ px: UnsafePointer<Float>, d: Int, heap: inout NeighborHeap, maxCandidates mc: Int,
        newCand: [Int32], oldCand: [Int32], threads: Int
    ) -> Int {
        let n = heap.count
        let workers = max(1, threads)
        var changes = 0
        let blockSize = 4096
        var updates = [[(Int32, Int32, Float)]](repeating: [], count: workers)
        var blockStart = 0
        while blockStart < n {
            let blockEnd = min(n, blockStart + blockSize)
            let worst = heap.worstDistances()
            newCand.withUnsafeBufferPointer { nc in
                oldCand.withUnsafeBufferPointer { oc in
                    worst.withUnsafeBufferPointer { wb in
                        updates.withUnsafeMutableBufferPointer { ub in
                            let ubase = ub.baseAddress!
                            DispatchQueue.concurrentPerform(iterations: workers) { w in
                                var local = [(Int32, Int32, Float)]()
                                let lo = blockStart + (blockEnd - blockStart) * w / workers
                                let hi = blockStart + (blockEnd - blockStart) * (w + 1) / workers
                                for i in lo..<hi {
                                    let base = i * mc
                                    for a in 0..<mc {
                                        let p = Int(nc[base + a])
                                        if p < 0 { continue }
                                        for b in (a + 1)..<mc {
                                            let q = Int(nc[base + b])
                                            if q < 0 || q == p { continue }
                                            let dist = squaredDistance(px + p * d, px + q * d, d)
                                            if dist < wb[p] || dist < wb[q] { local.append((Int32(p), Int32(q), dist)) }
                                        }
                                        for b in 0..<mc {
                                            let q = Int(oc[base + b])
                                            if q < 0 || q == p { continue }
                                            let dist = squaredDistance(px + p * d, px + q * d, d)
                                            if dist < wb[p] || dist < wb[q] { local.append((Int32(p), Int32(q), dist)) }
                                        }
                                    }
                                }
                                (ubase + w).pointee = local
                            }
                        }
                    }
                }
            }
            for w in 0..<workers {
                for (p, q, dist) in updates[w] {
                    if heap.push(Int(p), Int(q), dist, isNew: true) { changes += 1 }
                    if heap.push(Int(q), Int(p), dist, isNew: true) { changes += 1 }
                }
                updates[w].removeAll(keepingCapacity: true)
            }
            blockStart = blockEnd
        }
        return changes
    }

    /// Leaves of one random-projection tree (hyperplane equidistant from two random points of the node).
    private static func randomProjectionLeaves(
        _ px: UnsafePointer<Float>, n: Int, d: Int, leafSize: Int,
        rng: inout SeededGenerator
    ) -> [[Int]] {
        var leaves = [[Int]]()
        var stack = [Array(0..<n)]
        var normal = [Float](repeating: 0, count: d)
        var side = [Bool]()
        while let node = stack.popLast() {
            if node.count <= leafSize { leaves.append(node); continue }
            let a = node[Int(rng.next() % UInt64(node.count))]
            var b = node[Int(rng.next() % UInt64(node.count))]
            if a == b { b = node[(node.firstIndex(of: a)! + 1) % node.count] }
            var offset: Float = 0
            for j in 0..<d {
                let u = px[a * d + j], v = px[b * d + j]
                normal[j] = u - v
                offset -= normal[j] * (u + v) / 2
            }
            side.removeAll(keepingCapacity: true)
            var left = [Int](), right = [Int]()
            normal.withUnsafeBufferPointer { nb in
                for i in node {
                    let m = cblas_sdot(Int32(d), nb.baseAddress!, 1, px + i * d, 1) + offset
                    let goLeft = m == 0 ? (rng.next() & 1) == 0 : m < 0
                    if goLeft { left.append(i) } else { right.append(i) }
                }
            }
            if left.isEmpty || right.isEmpty {
                // Degenerate split (duplicates): halve at random.
                var shuffled = node
                shuffled.shuffle(using: &rng)
                left = Array(shuffled[..<(node.count / 2)])
                right = Array(shuffled[(node.count / 2)...])
            }
            stack.append(left)
            stack.append(right)
        }
        return leaves
    }
}

/// Squared Euclidean distance with 8-wide SIMD.
@inline(__always)
func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var j = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while j + 8 <= d {
        let t =
            ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            - rb.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
        acc += t * t
        j += 8
    }
    var s = acc.sum()
    while j < d { let t = a[j] - b[j]; s += t * t; j += 1 }
    return s
}

/// Per-row bounded max-heaps of (distance, index, new-flag), the NN-descent working graph.
struct NeighborHeap {
    let count: Int
    let k: Int
    var indices: [Int32]
    var distances: [Float]
    var isNew: [Bool]

    init(count: Int, k: Int) {
        self.count = count
        self.k = k
        indices = [Int32](repeating: -1, count: count * k)
        distances = [Float](repeating: .infinity, count: count * k)
        isNew = [Bool](repeating: false, count: count * k)
    }

    func filled(_ i: Int) -> Int {
        var c = 0
        for t in 0..<k where indices[i * k + t] >= 0 { c += 1 }
        return c
    }

    func contains(_ i: Int, _ j: Int) -> Bool {
        for t in 0..<k where indices[i * k + t] == Int32(j) { return true }
        return false
    }

    func worstDistances() -> [Float] { (0..<count).map { distances[$0 * k] } }

    /// Inserts j into row i if closer than the row's worst and not already there; true when inserted.
    @discardableResult
    mutating func push(_ i: Int, _ j: Int, _ dist: Float, isNew flag: Bool) -> Bool {
        let base = i * k
        if dist >= distances[base] { return false }
        let jj = Int32(j)
        for t in 0..<k where indices[base + t] == jj { return false }
        siftDownRoot(base, jj, dist, flag)
        return true
    }

    mutating func replaceWorst(_ i: Int, _ j: Int, _ dist: Float) { siftDownRoot(i * k, Int32(j), dist, false) }

    private mutating func siftDownRoot(_ base: Int, _ j: Int32, _ dist: Float, _ flag: Bool) {
        var pos = 0
        while true {
            let l = 2 * pos + 1, r = l + 1
            if l >= k { break }
            var child = l
            if r < k && distances[base + r] > distances[base + l] { child = r }
            if distances[base + child] <= dist { break }
            distances[base + pos] = distances[base + child]
            indices[base + pos] = indices[base + child]
            isNew[base + pos] = isNew[base + child]
            pos = child
        }
        distances[base + pos] = dist
        indices[base + pos] = j
        isNew[base + pos] = flag
    }

    /// Rows sorted by distance (self first), converted from squared Euclidean to the metric.
    func sortedGraph(metric: DistanceMetric) -> KNNGraph {
        var outIdx = [Int32](repeating: 0, count: count * k)
        var outDist = [Float](repeating: 0, count: count * k)
        var order = [Int](repeating: 0, count: k)
        for i in 0..<count {
            let base = i * k
            for t in 0..<k { order[t] = t }
            order.sort { a, b in
                let ia = indices[base + a], ib = indices[base + b]
                if ia == Int32(i) { return ib != Int32(i) }
                if ib == Int32(i) { return false }
                return distances[base + a] < distances[base + b]
            }
            for t in 0..<k {
                let s = indices[base + order[t]] == Int32(i) ? 0 : max(distances[base + order[t]], 0)
                outIdx[base + t] = indices[base + order[t]]
                outDist[base + t] = metric == .cosine ? s / 2 : s.squareRoot()
            }
        }
        return KNNGraph(count: count, k: k, indices: outIdx, distances: outDist)
    }
}
