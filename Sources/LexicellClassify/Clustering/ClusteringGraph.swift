import Foundation
import LexicellCore
import LexicellNeighbors

/// An undirected weighted graph for clustering, as a symmetric adjacency matrix in CSR form.
///
/// Convention (the one that makes modularity additive under aggregation): `A` is symmetric, a node's
/// degree is its row sum, 2m is the sum of all entries, and a self-loop of weight w is stored as A_ii = 2w,
/// so modularity agrees with networkx's for graphs given as edge lists.
public struct ClusterGraph: Sendable, Equatable {
    public let nodeCount: Int
    public let indptr: [Int]
    public let neighbors: [Int32]
    public let weights: [Double]

    public init(nodeCount: Int, indptr: [Int], neighbors: [Int32], weights: [Double]) {
        precondition(indptr.count == nodeCount + 1 && neighbors.count == weights.count && indptr.last == neighbors.count)
        self.nodeCount = nodeCount
        self.indptr = indptr
        self.neighbors = neighbors
        self.weights = weights
    }

    /// Builds the graph from undirected edges (i, j, w); repeated edges add up; w must be positive.
    public init(nodeCount: Int, edges: [(Int, Int, Double)]) throws {
        var rows = [[(Int32, Double)]](repeating: [], count: nodeCount)
        for (i, j, w) in edges {
            guard i >= 0, i < nodeCount, j >= 0, j < nodeCount else {
                throw LexicellError("graph edge (\(i), \(j)) outside 0..<\(nodeCount)")
            }
            guard w > 0, w.isFinite else { throw LexicellError("graph edge (\(i), \(j)) has weight \(w); expected a positive number") }
            if i == j {
                rows[i].append((Int32(i), 2 * w))
            } else {
                rows[i].append((Int32(j), w)); rows[j].append((Int32(i), w))
            }
        }
        var indptr = [0], neighbors = [Int32](), weights = [Double]()
        for r in 0..<nodeCount {
            let sorted = rows[r].sorted { $0.0 < $1.0 }
            for (c, w) in sorted {
                if let last = neighbors.last, neighbors.count > indptr[r], last == c {
                    weights[weights.count - 1] += w
                } else {
                    neighbors.append(c); weights.append(w)
                }
            }
            indptr.append(neighbors.count)
        }
        self.init(nodeCount: nodeCount, indptr: indptr, neighbors: neighbors, weights: weights)
    }

    /// Row sums (weighted degrees).
    public var degrees: [Double] {
        (0..<nodeCount).map { r in weights[indptr[r]..<indptr[r + 1]].reduce(0, +) }
    }
}

/// Seurat's shared-nearest-neighbour graph: k nearest neighbours (Euclidean, the cell itself included,
/// as Seurat's FindNeighbors), edge weight = Jaccard overlap of the two neighbour sets, s / (2k − s) for
/// s shared neighbours, and edges below `prune` (Seurat's default 1/15) dropped. Self-similarity is not
/// kept as a self-loop.
public enum SNNGraph {
    public static func build(_ x: DenseMatrix, k: Int = 20, prune: Double = 1.0 / 15) throws -> ClusterGraph {
        let n = x.rows
        guard k >= 2 && k <= n else { throw LexicellError("SNN graph: k = \(k) needs 2 ≤ k ≤ \(n) cells") }
        let knn = nearestNeighbors(x, k: k)
        var reverse = [[Int32]](repeating: [], count: n)
        for i in 0..<n { for m in knn[(i * k)..<((i + 1) * k)] { reverse[Int(m)].append(Int32(i)) } }
        var shared = [Int](repeating: 0, count: n)
        var touched = [Int]()
        var indptr = [0], neighbors = [Int32](), weights = [Double]()
        for i in 0..<n {
            touched.removeAll(keepingCapacity: true)
            for m in knn[(i * k)..<((i + 1) * k)] {
                for j in reverse[Int(m)] {
                    if shared[Int(j)] == 0 { touched.append(Int(j)) }
                    shared[Int(j)] += 1
                }
            }
            touched.sort()
            for j in touched {
                let s = Double(shared[j])
                shared[j] = 0
                guard j != i else { continue }
                let jaccard = s / (2 * Double(k) - s)
                if jaccard >= prune { neighbors.append(Int32(j)); weights.append(jaccard) }
            }
            indptr.append(neighbors.count)
        }
        return ClusterGraph(nodeCount: n, indptr: indptr, neighbors: neighbors, weights: weights)
    }

    /// Exact k nearest neighbours (Euclidean) of every row, itself first, row-major n × k, from the shared
    /// neighbour search.
    public static func nearestNeighbors(_ x: DenseMatrix, k: Int) -> [Int32] {
        NearestNeighbors.exact(x, k: k, metric: .euclidean).indices
    }
}
