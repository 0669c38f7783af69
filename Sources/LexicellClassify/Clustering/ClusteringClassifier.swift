import Foundation
import LexicellCore

/// Cluster-then-label baseline. Clusters are computed on training and test cells together from their
/// expression PCs (whose loadings were fitted on training cells only). This is transductive — test cells
/// shape the graph — but label-free: no test label is ever read. Each cluster takes the majority label of
/// its training cells; a test cell gets its cluster's label.
public enum ClusterClassifier {
    /// Labels for `testIndices` (rows of `clusters`). A cluster without training cells takes the label of
    /// the nearest labelled cluster centroid when `points` is given, else the overall majority label.
    /// Majority ties go to the smaller label.
    public static func predict(
        trainIndices: [Int], trainLabels: [Int], testIndices: [Int], clusters: [Int],
        points: DenseMatrix? = nil
    ) throws -> [Int] {
        guard trainIndices.count == trainLabels.count, !trainIndices.isEmpty else {
            throw LexicellError("cluster classifier: \(trainIndices.count) training cells but \(trainLabels.count) labels (need at least one)")
        }
        let n = clusters.count
        guard (trainIndices + testIndices).allSatisfy({ $0 >= 0 && $0 < n }) else {
            throw LexicellError("cluster classifier: a cell index is outside 0..<\(n)")
        }
        guard clusters.allSatisfy({ $0 >= 0 }) else { throw LexicellError("cluster classifier: cluster ids must be non-negative") }
        if let points, points.rows != n { throw LexicellError("cluster classifier: \(points.rows) points for \(n) cells") }
        let clusterCount = (clusters.max() ?? -1) + 1
        var votes = [[Int: Int]](repeating: [:], count: clusterCount)
        var overall = [Int: Int]()
        for (i, label) in zip(trainIndices, trainLabels) {
            votes[clusters[i]][label, default: 0] += 1
            overall[label, default: 0] += 1
        }
        func majority(_ counts: [Int: Int]) -> Int? {
            counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key
        }
        var clusterLabel = votes.map(majority)
        let fallback = majority(overall)!
        if clusterLabel.contains(where: { $0 == nil }) {
            if let points {
                // Centroids of every cluster, then the nearest labelled one for each unlabelled cluster.
                var centroid = DenseMatrix(rows: clusterCount, cols: points.cols)
                var size = [Int](repeating: 0, count: clusterCount)
                for i in 0..<n {
                    size[clusters[i]] += 1
                    for c in 0..<points.cols { centroid[clusters[i], c] += points[i, c] }
                }
                for k in 0..<clusterCount where size[k] > 0 { for c in 0..<points.cols { centroid[k, c] /= Float(size[k]) } }
                let labelled = (0..<clusterCount).filter { clusterLabel[$0] != nil }
                for k in 0..<clusterCount where clusterLabel[k] == nil {
                    var best = labelled[0], bestDistance = Float.infinity
                    for l in labelled {
                        var d: Float = 0
                        for c in 0..<points.cols { let t = centroid[k, c] - centroid[l, c]; d += t * t }
                        if d < bestDistance { bestDistance = d; best = l }
                    }
                    clusterLabel[k] = clusterLabel[best]
                }
            }
        }
        return testIndices.map { clusterLabel[clusters[$0]] ?? fallback }
    }

    /// The whole baseline on PCs of all cells: SNN graph (k neighbours), Leiden at `resolution`, then
    /// `predict` with centroid fallback. Returns the test predictions and every cell's cluster.
    public static func fitPredict(
        points: DenseMatrix, trainIndices: [Int], trainLabels: [Int], testIndices: [Int],
        neighbours k: Int = 20, resolution: Double = 1, seed: UInt64
    ) throws
        -> (predictions: [Int], clusters: [Int])
    {
        let graph = try SNNGraph.build(points, k: min(k, points.rows))
        let clusters = try Leiden.cluster(graph, resolution: resolution, seed: seed)
        let predictions = try predict(
            trainIndices: trainIndices, trainLabels: trainLabels, testIndices: testIndices,
            clusters: clusters, points: points)
        return (predictions, clusters)
    }
}
