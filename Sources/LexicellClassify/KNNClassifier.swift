import Foundation
import LexicellCore
@_exported import LexicellNeighbors

/// Exact cosine k-nearest-neighbour classification through BLAS.
///
/// Rows are L2-normalised once; query × reference similarities are computed in blocks of query rows so memory
/// stays bounded (block × reference floats). Votes are broken by summed similarity, then by label index.
public struct KNNClassifier: Sendable {
    public let reference: DenseMatrix
    public let labels: [Int]
    public let classCount: Int
    /// Query rows per BLAS block.
    public var blockRows = 1024

    public init(reference: DenseMatrix, labels: [Int], classCount: Int? = nil) {
        precondition(reference.rows == labels.count, "KNNClassifier: one label per reference row")
        self.reference = reference.rowNormalized()
        self.labels = labels
        self.classCount = classCount ?? ((labels.max() ?? -1) + 1)
    }

    /// The `k` most similar reference rows for each query row (k is capped at the reference size), by the
    /// shared exact cosine search (ties: lower reference index first).
    public func neighbors(of query: DenseMatrix, k requested: Int) -> NeighborList {
        precondition(query.cols == reference.cols, "KNNClassifier: query has \(query.cols) dimensions, reference \(reference.cols)")
        return NearestNeighbors.cosine(query: query.rowNormalized(), normalizedReference: reference, k: requested, blockRows: blockRows)
    }

    /// Majority vote among the first `k` neighbours in `list` (k ≤ list.k).
    public func vote(_ list: NeighborList, k: Int) -> Predictions {
        let k = min(k, list.k)
        var labelsOut = [Int](), conf = [Double](), meanSim = [Double]()
        var votes = [Int](repeating: 0, count: classCount), sims = [Float](repeating: 0, count: classCount)
        for q in 0..<list.queryCount {
            for i in 0..<classCount { votes[i] = 0; sims[i] = 0 }
            var total: Float = 0
            for i in 0..<k {
                let ref = Int(list.indices[q * list.k + i])
                let s = list.similarities[q * list.k + i]
                votes[labels[ref]] += 1
                sims[labels[ref]] += s
                total += s
            }
            var best = 0
            for c in 1..<max(classCount, 1) where votes[c] > votes[best] || (votes[c] == votes[best] && sims[c] > sims[best]) {
                best = c
            }
            labelsOut.append(best)
            conf.append(k > 0 ? Double(votes[best]) / Double(k) : 0)
            meanSim.append(k > 0 ? Double(total) / Double(k) : 0)
        }
        return Predictions(labels: labelsOut, voteFraction: conf, meanSimilarity: meanSim)
    }

    public func predict(_ query: DenseMatrix, k: Int) -> Predictions { vote(neighbors(of: query, k: k), k: k) }
}

/// Predicted class per query with the evidence behind it.
public struct Predictions: Sendable {
    public var labels: [Int]
    /// Fraction of the k neighbours that voted for the predicted class.
    public var voteFraction: [Double]
    /// Mean cosine similarity to the k neighbours.
    public var meanSimilarity: [Double]
}
