import XCTest
import LexicellCore
@testable import LexicellClassify

final class ClusteringTests: XCTestCase {
    /// Edges and expected values from scripts/baseline_reference_values.py (networkx.community.modularity).
    let referenceEdges: [(Int, Int, Double)] = [
        (0, 1, 1.0), (0, 2, 2.0), (1, 2, 1.0), (2, 3, 0.5), (3, 4, 1.5), (3, 5, 1.0),
        (4, 5, 2.0), (5, 6, 0.25), (6, 7, 1.0), (6, 8, 1.0), (7, 8, 3.0), (1, 7, 0.5),
    ]

    func testModularityMatchesNetworkx() throws {
        let g = try ClusterGraph(nodeCount: 9, edges: referenceEdges)
        let three = [0, 0, 0, 1, 1, 1, 2, 2, 2]
        XCTAssertEqual(Leiden.modularity(g, membership: three, resolution: 1.0), 0.5801493823613904, accuracy: 1e-12)
        XCTAssertEqual(Leiden.modularity(g, membership: three, resolution: 0.5), 0.747701809824763, accuracy: 1e-12)
        XCTAssertEqual(Leiden.modularity(g, membership: three, resolution: 2.0), 0.24504452743464522, accuracy: 1e-12)
        XCTAssertEqual(Leiden.modularity(g, membership: [0, 0, 0, 0, 0, 1, 1, 1, 1]), 0.26141913243320886, accuracy: 1e-12)
        // Leiden finds that three-community partition (the best one here).
        let found = try Leiden.cluster(g, resolution: 1, seed: 3)
        XCTAssertEqual(found, three)
    }

    func testTwoCliquesJoinedByOneEdge() throws {
        var edges = [(Int, Int, Double)]()
        for a in 0..<6 { for b in (a + 1)..<6 { edges.append((a, b, 1)); edges.append((a + 6, b + 6, 1)) } }
        edges.append((5, 6, 1))
        let g = try ClusterGraph(nodeCount: 12, edges: edges)
        for seed in 0..<5 as Range<UInt64> {
            let clusters = try Leiden.cluster(g, resolution: 1, seed: seed)
            XCTAssertEqual(clusters, [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], "seed \(seed)")
        }
    }

    func testPlantedPartitionRecovered() throws {
        // 4 groups of 50 nodes, edge probability 0.2 inside and 0.04 across.
        var rng = SeededGenerator(seed: 5)
        let groups = 4, size = 50, n = groups * size
        let truth = (0..<n).map { $0 / size }
        var edges = [(Int, Int, Double)]()
        for a in 0..<n {
            for b in (a + 1)..<n {
                if rng.nextUniform() < (truth[a] == truth[b] ? 0.2 : 0.04) { edges.append((a, b, 1)) }
            }
        }
        let g = try ClusterGraph(nodeCount: n, edges: edges)
        let clusters = try Leiden.cluster(g, resolution: 1, seed: 1)
        let ari = adjustedRandIndex(clusters, truth)
        print("planted partition: ARI \(ari), modularity \(Leiden.modularity(g, membership: clusters)) vs planted \(Leiden.modularity(g, membership: truth))")
        XCTAssertGreaterThanOrEqual(ari, 0.9)
        XCTAssertGreaterThanOrEqual(Leiden.modularity(g, membership: clusters), Leiden.modularity(g, membership: truth) - 1e-9)
        XCTAssertEqual(try Leiden.cluster(g, resolution: 1, seed: 1), clusters)  // seeded: reproducible
        // A higher resolution splits into more clusters.
        XCTAssertGreaterThan(Set(try Leiden.cluster(g, resolution: 4, seed: 1)).count, Set(clusters).count)
    }

    /// 1-D points 0, 1, 3, 4, 10 with k = 3 (self included); Jaccard s/(2k − s) worked out by hand.
    func testSNNJaccardHandComputed() throws {
        let x = DenseMatrix(rowArrays: [[0], [1], [3], [4], [10]])
        let knn = SNNGraph.nearestNeighbors(x, k: 3)
        XCTAssertEqual(knn, [0, 1, 2, 1, 0, 2, 2, 3, 1, 3, 2, 1, 4, 3, 2])
        let g = try SNNGraph.build(x, k: 3)
        var weight = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5)
        for i in 0..<5 { for e in g.indptr[i]..<g.indptr[i + 1] { weight[i][Int(g.neighbors[e])] = g.weights[e] } }
        let expected: [[Double]] = [
            [0, 1, 0.5, 0.5, 0.2], [1, 0, 0.5, 0.5, 0.2], [0.5, 0.5, 0, 1, 0.5],
            [0.5, 0.5, 1, 0, 0.5], [0.2, 0.2, 0.5, 0.5, 0],
        ]
        for i in 0..<5 { for j in 0..<5 { XCTAssertEqual(weight[i][j], expected[i][j], accuracy: 1e-12, "(\(i), \(j))") } }
        let pruned = try SNNGraph.build(x, k: 3, prune: 0.25)
        XCTAssertEqual(pruned.neighbors.count, 16)  // the four 0.2 entries are gone
        XCTAssertThrowsError(try SNNGraph.build(x, k: 9))
    }

    func testClassifierMajorityAndFallbacks() throws {
        // Cluster 0: train labels 7, 7, 3 → 7. Cluster 1: 3. Cluster 2 has no training cells and lies next to cluster 1.
        let clusters = [0, 0, 0, 0, 1, 1, 1, 2, 2]
        let points = DenseMatrix(rowArrays: [[0, 0], [0, 1], [1, 0], [1, 1], [10, 10], [10, 11], [11, 10], [13, 13], [13, 14]])
        let train = [0, 1, 2, 4, 5], labels = [7, 7, 3, 3, 3]
        let test = [3, 6, 7, 8]
        XCTAssertEqual(
            try ClusterClassifier.predict(
                trainIndices: train, trainLabels: labels, testIndices: test,
                clusters: clusters, points: points), [7, 3, 3, 3])
        // Without coordinates the unlabelled cluster takes the overall majority (3: three votes against two).
        XCTAssertEqual(
            try ClusterClassifier.predict(
                trainIndices: train, trainLabels: labels, testIndices: test,
                clusters: clusters), [7, 3, 3, 3])
        // Ties go to the smaller label.
        XCTAssertEqual(try ClusterClassifier.predict(trainIndices: [0, 1], trainLabels: [9, 2], testIndices: [3], clusters: clusters), [2])
        XCTAssertThrowsError(try ClusterClassifier.predict(trainIndices: [0], trainLabels: [], testIndices: [1], clusters: clusters))
        XCTAssertThrowsError(try ClusterClassifier.predict(trainIndices: [0], trainLabels: [1], testIndices: [42], clusters: clusters))
    }

    func testFitPredictOnSeparatedGroups() throws {
        // Three Gaussian groups in 10-D, 60 cells each; every 4th cell is a test cell.
        var rng = SeededGenerator(seed: 9)
        var rows = [[Float]](), labels = [Int]()
        for g in 0..<3 {
            for _ in 0..<60 {
                rows.append((0..<10).map { d in Float(d == g ? 6 : 0) + Float(rng.nextGaussian()) })
                labels.append(g)
            }
        }
        let x = DenseMatrix(rowArrays: rows)
        let test = (0..<180).filter { $0 % 4 == 0 }, train = (0..<180).filter { $0 % 4 != 0 }
        let result = try ClusterClassifier.fitPredict(
            points: x, trainIndices: train, trainLabels: train.map { labels[$0] },
            testIndices: test, neighbours: 20, resolution: 0.5, seed: 2)
        let accuracy = Double(zip(result.predictions, test.map { labels[$0] }).filter { $0 == $1 }.count) / Double(test.count)
        print("cluster classifier on 3 separated groups: \(Set(result.clusters).count) clusters, test accuracy \(accuracy)")
        XCTAssertEqual(accuracy, 1.0)
    }

    private func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double {
        var table = [Int: [Int: Int]](), rowSum = [Int: Int](), colSum = [Int: Int]()
        for (x, y) in zip(a, b) { table[x, default: [:]][y, default: 0] += 1; rowSum[x, default: 0] += 1; colSum[y, default: 0] += 1 }
        func pairs(_ n: Int) -> Double { Double(n * (n - 1)) / 2 }
        let index = table.values.flatMap { $0.values }.reduce(0.0) { $0 + pairs($1) }
        let sumA = rowSum.values.reduce(0.0) { $0 + pairs($1) }, sumB = colSum.values.reduce(0.0) { $0 + pairs($1) }
        let expected = sumA * sumB / pairs(a.count)
        return (index - expected) / ((sumA + sumB) / 2 - expected)
    }
}
