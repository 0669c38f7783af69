import Foundation
import LexicellCore

/// Leiden community detection (Traag, Waltman & van Eck 2019) maximising modularity with a resolution
/// parameter γ: fast local moving, refinement (merging only well-connected nodes inside each community,
/// chosen at random with probability ∝ exp(gain/θ)), aggregation of the refined partition; repeated until
/// no node moves. Seeded: the same graph and seed give the same clusters.
public enum Leiden {
    /// Modularity Q = (1/2m) Σ_c [Σ_{i,j∈c} A_ij − γ K_c² / 2m], K_c the degree sum of community c.
    public static func modularity(_ graph: ClusterGraph, membership: [Int], resolution: Double = 1) -> Double {
        precondition(membership.count == graph.nodeCount)
        let communities = (membership.max() ?? -1) + 1
        var inside = [Double](repeating: 0, count: communities), total = [Double](repeating: 0, count: communities)
        var twoM = 0.0
        for i in 0..<graph.nodeCount {
            for e in graph.indptr[i]..<graph.indptr[i + 1] {
                let w = graph.weights[e]
                twoM += w
                total[membership[i]] += w
                if membership[Int(graph.neighbors[e])] == membership[i] { inside[membership[i]] += w }
            }
        }
        guard twoM > 0 else { return 0 }
        return (0..<communities).reduce(0) { $0 + inside[$1] - resolution * total[$1] * total[$1] / twoM } / twoM
    }

    /// Cluster labels 0..<c, numbered by first appearance. `iterations` full Leiden passes, each starting
    /// from the previous result (as leidenalg's n_iterations); negative runs until a pass changes nothing.
    public static func cluster(
        _ graph: ClusterGraph, resolution: Double = 1, seed: UInt64, iterations: Int = 2,
        randomness: Double = 0.01
    ) throws -> [Int] {
        guard resolution > 0, resolution.isFinite else { throw LexicellError("Leiden: resolution must be positive, got \(resolution)") }
        guard randomness > 0 else { throw LexicellError("Leiden: randomness must be positive, got \(randomness)") }
        var rng = SeededGenerator(seed: seed)
        let base = Level(graph)
        var membership = Array(0..<graph.nodeCount)
        var pass = 0
        while iterations < 0 || pass < iterations {
            pass += 1
            let before = membership
            var level = base
            var nodeToLevel = Array(0..<graph.nodeCount)
            var levelMembership = membership
            while true {
                level.moveNodesFast(&levelMembership, resolution: resolution, rng: &rng)
                let count = Set(levelMembership).count
                if count == level.n { break }
                var refined = level.refine(levelMembership, resolution: resolution, randomness: randomness, rng: &rng)
                // Without any merge the refined partition cannot shrink the graph; aggregate the communities.
                if Set(refined).count == level.n { refined = levelMembership }
                let (next, map) = level.aggregate(refined)
                var nextMembership = [Int](repeating: 0, count: next.n)
                for v in 0..<level.n { nextMembership[map[v]] = levelMembership[v] }
                nodeToLevel = nodeToLevel.map { map[$0] }
                level = next
                levelMembership = Leiden.renumbered(nextMembership)
            }
            membership = renumbered(nodeToLevel.map { levelMembership[$0] })
            if renumbered(before) == membership { break }
        }
        return membership
    }

    static func renumbered(_ labels: [Int]) -> [Int] {
        var map = [Int: Int]()
        return labels.map { l in
            if let m = map[l] { return m }
            map[l] = map.count
            return map.count - 1
        }
    }

    /// One level of the algorithm: a graph whose nodes may be aggregates of the original nodes.
    struct Level {
        let n: Int
        let indptr: [Int]
        let adj: [Int]
        let w: [Double]
        let degree: [Double]
        let twoM: Double

        init(_ g: ClusterGraph) {
            self.init(n: g.nodeCount, indptr: g.indptr, adj: g.neighbors.map(Int.init), w: g.weights)
        }

        init(n: Int, indptr: [Int], adj: [Int], w: [Double]) {
            self.n = n; self.indptr = indptr; self.adj = adj; self.w = w
            degree = (0..<n).map { r in w[indptr[r]..<indptr[r + 1]].reduce(0, +) }
            twoM = degree.reduce(0, +)
        }

        /// Moves single nodes to the neighbouring (or an empty) community with the largest modularity
        /// gain, revisiting the neighbours of moved nodes, until no move improves.
        func moveNodesFast(_ membership: inout [Int], resolution: Double, rng: inout SeededGenerator) {
            guard twoM > 0 else { return }
            // Community ids live in 0..<n; ids without members are kept for moves to an empty community.
            var total = [Double](repeating: 0, count: n), size = [Int](repeating: 0, count: n)
            for v in 0..<n { total[membership[v]] += degree[v]; size[membership[v]] += 1 }
            var empty = (0..<n).filter { size[$0] == 0 }
            var queue = Array(0..<n)
            queue.shuffle(using: &rng)
            var head = 0
            var queued = [Bool](repeating: true, count: n)
            var weightTo = [Double](repeating: 0, count: n)
            var touched = [Int]()
            let scale = resolution / twoM
            while head < queue.count {
                let v = queue[head]; head += 1
                queued[v] = false
                let current = membership[v]
                touched.removeAll(keepingCapacity: true)
                for e in indptr[v]..<indptr[v + 1] where adj[e] != v {
                    let c = membership[adj[e]]
                    if weightTo[c] == 0 { touched.append(c) }
                    weightTo[c] += w[e]
                }
                total[current] -= degree[v]
                size[current] -= 1
                // Staying put is the baseline; another community must do strictly better.
                var best = current
                var bestGain = weightTo[current] - scale * degree[v] * total[current]
                for c in touched where c != current {
                    let gain = weightTo[c] - scale * degree[v] * total[c]
                    if gain > bestGain { best = c; bestGain = gain }
                }
                var fresh = false
                if bestGain < 0, size[current] > 0, let id = empty.last {
                    // Alone in an empty community the gain is 0.
                    best = id; bestGain = 0; fresh = true
                }
                for c in touched { weightTo[c] = 0 }
                weightTo[current] = 0
                if best != current {
                    if fresh { empty.removeLast() }
                    if size[current] == 0 { empty.append(current) }
                    for e in indptr[v]..<indptr[v + 1] {
                        let u = adj[e]
                        if u != v && !queued[u] && membership[u] != best { queued[u] = true; queue.append(u) }
                    }
                }
                membership[v] = best
                total[best] += degree[v]
                size[best] += 1
                if head > 4 * n && head > 1024 { queue.removeFirst(head); head = 0 }
            }
        }

        /// Refined partition: inside each community, start from singletons and merge each still-single,
        /// well-connected node into a well-connected sub-community of the same community, chosen at random
        /// among non-negative gains with probability ∝ exp(gain/θ).
        func refine(_ membership: [Int], resolution: Double, randomness: Double, rng: inout SeededGenerator) -> [Int] {
            var refined = Array(0..<n)
            guard twoM > 0 else { return refined }
            let scale = resolution / twoM
            var communityTotal = [Double](repeating: 0, count: n)
            for v in 0..<n { communityTotal[membership[v]] += degree[v] }
            // external[s]: weight from sub-community s to the rest of its community.
            var external = [Double](repeating: 0, count: n)
            for v in 0..<n { for e in indptr[v]..<indptr[v + 1] where adj[e] != v && membership[adj[e]] == membership[v] { external[v] += w[e] } }
            var subTotal = degree
            var singleton = [Bool](repeating: true, count: n)
            var order = Array(0..<n)
            order.shuffle(using: &rng)
            var weightTo = [Double](repeating: 0, count: n)
            var touched = [Int](), gains = [Double]()
            for v in order where singleton[v] {
                let kc = communityTotal[membership[v]]
                guard external[v] >= scale * degree[v] * (kc - degree[v]) else { continue }
                touched.removeAll(keepingCapacity: true)
                for e in indptr[v]..<indptr[v + 1] where adj[e] != v && membership[adj[e]] == membership[v] {
                    let s = refined[adj[e]]
                    if weightTo[s] == 0 { touched.append(s) }
                    weightTo[s] += w[e]
                }
                var candidates = [Int](), maxGain = 0.0
                gains.removeAll(keepingCapacity: true)
                for s in touched where s != refined[v] && external[s] >= scale * subTotal[s] * (kc - subTotal[s]) {
                    let gain = weightTo[s] - scale * degree[v] * subTotal[s]
                    if gain >= 0 { candidates.append(s); gains.append(gain); maxGain = max(maxGain, gain) }
                }
                if !candidates.isEmpty {
                    // Staying alone (gain 0) is a candidate too.
                    var probabilities = gains.map { exp(($0 - maxGain) / randomness) }
                    probabilities.append(exp(-maxGain / randomness))
                    let sum = probabilities.reduce(0, +)
                    var r = rng.nextUniform() * sum
                    var pick = probabilities.count - 1
                    for (i, p) in probabilities.enumerated() { if r < p { pick = i; break }; r -= p }
                    if pick < candidates.count {
                        let s = candidates[pick]
                        let own = refined[v]
                        external[s] += external[own] - 2 * weightTo[s]
                        subTotal[s] += degree[v]
                        subTotal[own] = 0
                        external[own] = 0
                        refined[v] = s
                        singleton[v] = false
                        singleton[s] = false
                        // Every node of s is no longer alone (s is named after one of its members).
                    }
                }
                for s in touched { weightTo[s] = 0 }
            }
            return refined
        }

        /// The graph of the partition's communities: A'_cd = Σ_{i∈c, j∈d} A_ij (self-loops hold the inside
        /// weight). `map[v]` is node v's new index.
        func aggregate(_ partition: [Int]) -> (Level, [Int]) {
            var index = [Int: Int]()
            let map = partition.map { c -> Int in
                if let i = index[c] { return i }
                index[c] = index.count
                return index.count - 1
            }
            let m = index.count
            var members = [[Int]](repeating: [], count: m)
            for v in 0..<n { members[map[v]].append(v) }
            var acc = [Double](repeating: 0, count: m)
            var touched = [Int]()
            var newPtr = [0], newAdj = [Int](), newW = [Double]()
            for c in 0..<m {
                touched.removeAll(keepingCapacity: true)
                for v in members[c] {
                    for e in indptr[v]..<indptr[v + 1] {
                        let d = map[adj[e]]
                        if acc[d] == 0 { touched.append(d) }
                        acc[d] += w[e]
                    }
                }
                touched.sort()
                for d in touched { newAdj.append(d); newW.append(acc[d]); acc[d] = 0 }
                newPtr.append(newAdj.count)
            }
            return (Level(n: m, indptr: newPtr, adj: newAdj, w: newW), map)
        }
    }
}
