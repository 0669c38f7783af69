import LexicellCore
@testable import LexicellReport
import LexicellNeighbors
import LexicellBench
import XCTest

/// Inputs shared with scripts/report_reference_values.py: a 32-bit LCG, exact in Float64 on both sides.
enum FixedExample {
    static func lcg(_ count: Int, state: UInt64 = 12345) -> [Double] {
        var s = state
        return (0..<count).map { _ in
            s = (1_664_525 &* s &+ 1_013_904_223) % (1 << 32)
            return Double(s) / 4_294_967_296
        }
    }

    /// 60 × 8 "high" points and a 60 × 2 noisy projection of them.
    static func pair() -> (high: DenseMatrix, low: DenseMatrix) {
        let n = 60, d = 8
        let u = lcg(n * d + n * 2)
        let high = DenseMatrix(rows: n, cols: d, values: u[0..<(n * d)].map { Float($0) })
        var low = [Float]()
        for i in 0..<n {
            for t in 0..<2 { low.append(Float(Double(high[i, t]) + 0.3 * u[n * d + i * 2 + t])) }
        }
        return (high, DenseMatrix(rows: n, cols: 2, values: low))
    }
}

/// Seeded Gaussian clusters: `perCluster` points around each of `centers`, standard deviation `sd`.
func gaussianClusters(centers: [[Float]], perCluster: Int, sd: Double, seed: UInt64) -> (DenseMatrix, [Int]) {
    var rng = SeededGenerator(seed: seed)
    var values = [Float](), labels = [Int]()
    for (c, center) in centers.enumerated() {
        for _ in 0..<perCluster {
            for v in center { values.append(v + Float(rng.nextGaussian() * sd)) }
            labels.append(c)
        }
    }
    return (DenseMatrix(rows: labels.count, cols: centers[0].count, values: values), labels)
}

func uniformData(rows: Int, cols: Int, seed: UInt64) -> DenseMatrix {
    var rng = SeededGenerator(seed: seed)
    return DenseMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in Float(rng.nextUniform()) })
}

final class UMAPParameterTests: XCTestCase {
    /// umap-learn 0.5.12 find_ab_params(spread, min_dist), from scripts/report_reference_values.py:
    /// 0.1 → (1.576943460, 0.895060878); 0.5 → (0.583030020, 1.334166992); 0.0 → (1.932808397, 0.790494973).
    func testFitABMatchesUmapLearn() {
        let cases: [(Float, Double, Double)] = [
            (0.1, 1.576943460, 0.895060878), (0.5, 0.583030020, 1.334166992),
            (0.0, 1.932808397, 0.790494973),
        ]
        for (minDist, a, b) in cases {
            let fit = UMAP.fitAB(minDist: minDist, spread: 1)
            XCTAssertEqual(Double(fit.a), a, accuracy: 1e-3, "a for min_dist \(minDist)")
            XCTAssertEqual(Double(fit.b), b, accuracy: 1e-3, "b for min_dist \(minDist)")
        }
    }

    /// umap-learn smooth_knn_dist on the exact 15-NN of the fixed example (reference script output).
    func testSmoothKNNDistancesMatchUmapLearn() {
        let (high, _) = FixedExample.pair()
        let knn = bruteForceKNN(high, k: 15, metric: .euclidean)
        let (sigmas, rhos) = UMAP.smoothKNNDistances(knn)
        let expected: [(Int, Double, Double)] = [
            (0, 0.133950710, 0.639675379), (1, 0.086417675, 0.682172000),
            (2, 0.122892380, 0.626339018), (59, 0.233441353, 0.480008066),
        ]
        for (i, sigma, rho) in expected {
            XCTAssertEqual(Double(rhos[i]), rho, accuracy: 1e-6, "rho \(i)")
            XCTAssertEqual(Double(sigmas[i]), sigma, accuracy: 1e-5, "sigma \(i)")
        }
        // Defining property: Σ_{j≥1} exp(−(d_j − rho)/sigma) = log2(k).
        for i in 0..<high.rows {
            var s = 0.0
            for c in 1..<15 { s += exp(-max(Double(knn.distances[i * 15 + c] - rhos[i]), 0) / Double(sigmas[i])) }
            XCTAssertEqual(s, log2(15), accuracy: 1e-3)
        }
    }

    /// Fuzzy union by hand: w = p + q − pq for a 3-point chain.
    func testFuzzyUnionIsSymmetricAndMatchesFormula() {
        let (x, _) = gaussianClusters(centers: [[0, 0], [5, 5]], perCluster: 20, sd: 1, seed: 3)
        let knn = NearestNeighbors.exact(x, k: 6, metric: .euclidean)
        let g = UMAP.fuzzySimplicialSet(knn)
        let dense = g.toDense()
        let (sigmas, rhos) = UMAP.smoothKNNDistances(knn)
        var directed = DenseMatrix(rows: x.rows, cols: x.rows)
        for i in 0..<x.rows {
            for c in 1..<6 {
                let j = Int(knn.indices[i * 6 + c])
                let d = knn.distances[i * 6 + c]
                directed[i, j] = d <= rhos[i] ? 1 : Float(exp(-Double(d - rhos[i]) / Double(sigmas[i])))
            }
        }
        for i in 0..<x.rows {
            for j in 0..<x.rows {
                let p = directed[i, j], q = directed[j, i]
                XCTAssertEqual(dense[i, j], p + q - p * q, accuracy: 1e-6)
                XCTAssertEqual(dense[i, j], dense[j, i])
            }
        }
    }

    func testEpochsPerSampleSchedule() {
        let e = UMAP.epochsPerSample([1, 0.5, 0.25, 0], nEpochs: 200)
        XCTAssertEqual(e, [1, 2, 4, -1])
    }
}

final class NearestNeighborTests: XCTestCase {
    func testExactMatchesBruteForceBothMetrics() {
        let x = uniformData(rows: 300, cols: 17, seed: 5)
        for metric in DistanceMetric.allCases {
            let fast = NearestNeighbors.exact(x, k: 10, metric: metric)
            let slow = bruteForceKNN(x, k: 10, metric: metric)
            XCTAssertEqual(fast.indices, slow.indices, "\(metric)")
            for t in 0..<fast.distances.count {
                XCTAssertEqual(fast.distances[t], slow.distances[t], accuracy: 1e-3, "\(metric)")
            }
            for i in 0..<x.rows { XCTAssertEqual(fast.indices[i * 10], Int32(i)); XCTAssertEqual(fast.distances[i * 10], 0) }
        }
    }

    /// The blocked (SIMD-skipping) selection equals a full sort by (value, index), for lengths on and off the
    /// 16-wide blocks, every k, smallest and largest, with many ties.
    func testSelectSmallestEqualsSortWithTheTieRule() {
        var rng = SeededGenerator(seed: 5)
        for n in [1, 7, 16, 17, 33, 100, 257] {
            for largest in [false, true] {
                // Few distinct values: ties everywhere.
                let values = (0..<n).map { _ in Float(Int.random(in: 0..<9, using: &rng)) * 0.25 }
                let order = (0..<n).sorted { a, b in
                    values[a] != values[b] ? (largest ? values[a] > values[b] : values[a] < values[b]) : a < b
                }
                for k in Set([1, 2, 5, 16, n / 2, n].filter { $0 >= 1 && $0 <= n }) {
                    var idx = [Int32](repeating: -1, count: k), dist = [Float](repeating: .nan, count: k)
                    values.withUnsafeBufferPointer { v in
                        NearestNeighbors.selectSmallest(v.baseAddress!, n: n, k: k, largest: largest, indices: &idx, distances: &dist)
                    }
                    XCTAssertEqual(idx.map(Int.init), Array(order.prefix(k)), "n \(n), k \(k), largest \(largest)")
                    XCTAssertEqual(dist, order.prefix(k).map { values[$0] }, "n \(n), k \(k), largest \(largest)")
                }
            }
        }
    }

    func testNNDescentRecallOn5000x50Uniform() {
        let x = uniformData(rows: 5000, cols: 50, seed: 11)
        let exact = NearestNeighbors.exact(x, k: 15, metric: .euclidean)
        let approx = NearestNeighbors.nnDescent(x, k: 15, metric: .euclidean, seed: 1)
        let recall = NearestNeighbors.recall(approx, exact)
        print("NN-descent recall, 5000 × 50 uniform, k = 15:", recall)
        XCTAssertGreaterThanOrEqual(recall, 0.9)
        // Rows sorted, self first, distances true.
        for i in stride(from: 0, to: 5000, by: 97) {
            XCTAssertEqual(approx.indices[i * 15], Int32(i))
            for c in 1..<15 {
                XCTAssertLessThanOrEqual(approx.distances[i * 15 + c - 1], approx.distances[i * 15 + c])
                let j = Int(approx.indices[i * 15 + c])
                let d = squaredDistance(x.values, i, j, x.cols).squareRoot()
                XCTAssertEqual(approx.distances[i * 15 + c], Float(d), accuracy: 1e-4)
            }
        }
    }

    func testNNDescentCosineRecallAndDeterminism() {
        let (x, _) = gaussianClusters(
            centers: (0..<8).map { c in (0..<20).map { Float(($0 * 7 + c * 3) % 11) - 5 } },
            perCluster: 250, sd: 2, seed: 4)
        let exact = NearestNeighbors.exact(x, k: 15, metric: .cosine)
        let a = NearestNeighbors.nnDescent(x, k: 15, metric: .cosine, seed: 9)
        let b = NearestNeighbors.nnDescent(x, k: 15, metric: .cosine, seed: 9)
        XCTAssertEqual(a, b, "same seed, same graph despite two threads")
        XCTAssertGreaterThanOrEqual(NearestNeighbors.recall(a, exact), 0.9)
    }
}

final class SpectralTests: XCTestCase {
    /// Lanczos agrees with dense LAPACK on a graph above the dense limit.
    func testLanczosMatchesDenseEigenvectors() throws {
        let (x, _) = gaussianClusters(centers: [[0, 0, 0], [6, 0, 0], [0, 7, 0]], perCluster: 250, sd: 1.5, seed: 8)
        let g = UMAP.fuzzySimplicialSet(NearestNeighbors.exact(x, k: 15, metric: .euclidean))
        XCTAssertGreaterThan(g.rows, SpectralLayout.denseLimit)
        var rng = SeededGenerator(seed: 1)
        let lanczos = try XCTUnwrap(SpectralLayout.componentEmbedding(g, dims: 2, rng: &rng))
        // Dense reference: M = D^-1/2 A D^-1/2.
        let n = g.rows
        var degree = [Double](repeating: 0, count: n)
        for r in 0..<n { for t in g.indptr[r]..<g.indptr[r + 1] { degree[r] += Double(g.values[t]) } }
        var m = [Double](repeating: 0, count: n * n)
        for r in 0..<n {
            for t in g.indptr[r]..<g.indptr[r + 1] {
                let c = Int(g.indices[t])
                m[r * n + c] = Double(g.values[t]) / (degree[r] * degree[c]).squareRoot()
            }
        }
        let (values, vectors) = try LinearAlgebra.largestEigenpairs(symmetric: m, size: n, count: 3)
        XCTAssertEqual(values[0], 1, accuracy: 1e-9)
        for t in 0..<2 {
            var dot = 0.0
            for i in 0..<n { dot += lanczos[i * 2 + t] * vectors[(t + 1) * n + i] }
            XCTAssertEqual(abs(dot), 1, accuracy: 1e-4, "eigenvector \(t)")
        }
    }

    func testConnectedComponentsAndAnchors() {
        let g = SparseMatrix(rows: 5, cols: 5, rowIndex: [0, 1, 3, 4], colIndex: [1, 0, 4, 3], values: [1, 1, 1, 1])
        let (labels, count) = SpectralLayout.connectedComponents(g)
        XCTAssertEqual(count, 3)
        XCTAssertEqual(labels, [0, 0, 1, 2, 2])
        XCTAssertEqual(SpectralLayout.anchorPositions(3, dims: 2), [1, 0, 0, 1, -1, 0])
    }
}

final class UMAPEmbeddingTests: XCTestCase {
    /// umap-learn test_umap_trustworthiness_random_init / _fast_approx: 50 uniform points in 5-d,
    /// n_neighbors 10, min_dist 0.01, 100 epochs; umap-learn asserts ≥ 0.75, the brief ≥ 0.80.
    func testTrustworthinessUniform50x5() throws {
        let x = uniformData(rows: 50, cols: 5, seed: 42)
        let c = UMAPConfiguration(nNeighbors: 10, minDist: 0.01, nEpochs: 100)
        let e = try UMAP.embed(x, configuration: c)
        let t = try Trustworthiness.score(high: x, low: e, k: 10)
        print("trustworthiness, 50 uniform 5-d points:", t)
        XCTAssertGreaterThanOrEqual(t, 0.80)
    }

    /// umap-learn test_umap_on_iris: iris, n_neighbors 10, min_dist 0.01, trustworthiness ≥ 0.97.
    /// Iris-like here: three 4-d Gaussian classes of 50 with iris's class means and a shared s.d. of 0.35.
    func testTrustworthinessIrisLike() throws {
        let means: [[Float]] = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]]
        let (x, _) = gaussianClusters(centers: means, perCluster: 50, sd: 0.35, seed: 42)
        let e = try UMAP.embed(x, configuration: UMAPConfiguration(nNeighbors: 10, minDist: 0.01))
        let t = try Trustworthiness.score(high: x, low: e, k: 10)
        print("trustworthiness, iris-like 150 × 4:", t)
        XCTAssertGreaterThanOrEqual(t, 0.97)
    }

    /// umap-learn's blobs cases (make_blobs(50, cluster_std=0.5)): trustworthiness ≥ 0.9 unsupervised.
    func testTrustworthinessBlobs() throws {
        let (x, _) = gaussianClusters(centers: [[-2.5, 9.0], [4.7, 2.0], [-6.8, -8.8]], perCluster: 17, sd: 0.5, seed: 42)
        let e = try UMAP.embed(x, configuration: UMAPConfiguration(nNeighbors: 10, minDist: 0.01, nEpochs: 100))
        let t = try Trustworthiness.score(high: x, low: e, k: 10)
        print("trustworthiness, blobs 51 × 2:", t)
        XCTAssertGreaterThanOrEqual(t, 0.9)
    }

    func testCosineMetricSeparatesDirections() throws {
        // Two groups differing in direction only, with very different norms inside each group.
        var rng = SeededGenerator(seed: 2)
        var rows = [[Float]]()
        for g in 0..<2 {
            for _ in 0..<100 {
                let scale = Float(1 + 20 * rng.nextUniform())
                var v = (0..<10).map { _ in Float(rng.nextGaussian() * 0.1) }
                v[g] += 1
                rows.append(v.map { $0 * scale })
            }
        }
        let x = DenseMatrix(rowArrays: rows)
        let e = try UMAP.embed(x, configuration: UMAPConfiguration(metric: .cosine, seed: 3))
        let t = try Trustworthiness.score(high: x, low: e, k: 10, metric: .cosine)
        XCTAssertGreaterThanOrEqual(t, 0.85)
        // Centroid distance between the groups exceeds the within-group spread.
        func centroid(_ r: Range<Int>) -> (Float, Float) {
            var a: Float = 0, b: Float = 0
            for i in r { a += e[i, 0]; b += e[i, 1] }
            return (a / Float(r.count), b / Float(r.count))
        }
        let c0 = centroid(0..<100), c1 = centroid(100..<200)
        let between = ((c0.0 - c1.0) * (c0.0 - c1.0) + (c0.1 - c1.1) * (c0.1 - c1.1)).squareRoot()
        var within: Float = 0
        for i in 0..<100 { within += ((e[i, 0] - c0.0) * (e[i, 0] - c0.0) + (e[i, 1] - c0.1) * (e[i, 1] - c0.1)).squareRoot() }
        XCTAssertGreaterThan(between, 2 * within / 100)
    }

    func testDisconnectedBlobsGiveFiniteEmbedding() throws {
        let (x, _) = gaussianClusters(centers: [[0, 0, 0], [1000, 1000, 1000]], perCluster: 40, sd: 1, seed: 6)
        let knn = NearestNeighbors.exact(x, k: 15, metric: .euclidean)
        let (_, components) = SpectralLayout.connectedComponents(UMAP.fuzzySimplicialSet(knn))
        XCTAssertEqual(components, 2)
        let e = try UMAP.embed(x)
        XCTAssertEqual(e.rows, 80)
        XCTAssertTrue(e.values.allSatisfy { $0.isFinite })
        XCTAssertGreaterThanOrEqual(try Trustworthiness.score(high: x, low: e, k: 10), 0.8)
    }

    func testDeterministicAndParallelModes() throws {
        let (x, _) = gaussianClusters(centers: [[0, 0, 0, 0], [4, 4, 0, 0], [0, 4, 4, 0]], perCluster: 60, sd: 1, seed: 7)
        let c = UMAPConfiguration(nEpochs: 120, seed: 5)
        XCTAssertEqual(try UMAP.embed(x, configuration: c), try UMAP.embed(x, configuration: c))
        var parallel = c
        parallel.deterministic = false
        let p = try UMAP.embed(x, configuration: parallel)
        XCTAssertTrue(p.values.allSatisfy { $0.isFinite })
        XCTAssertGreaterThanOrEqual(try Trustworthiness.score(high: x, low: p, k: 10), 0.9)
    }

    /// The default layout (2 blocks, from 8,192 points; here from 200) is a function of the seed and the block
    /// count only: run on one thread or two it gives the same coordinates bit for bit; its quality matches the
    /// sequential (one-block) order within 0.01 trustworthiness on clusters of 900 points, and 3 blocks work too.
    /// Below the block size the layout is the sequential one.
    func testBlockLayoutDependsOnBlocksNotThreads() throws {
        let centers: [[Float]] = (0..<6).map { c in (0..<8).map { j in j == c ? 5 : 0 } }
        let (x, _) = gaussianClusters(centers: centers, perCluster: 150, sd: 1.2, seed: 9)
        var one = UMAPConfiguration(nEpochs: 150, seed: 4, threads: 1, minimumBlockPoints: 100)
        var two = one
        two.threads = 2
        let blocked = try UMAP.embed(x, configuration: two)
        XCTAssertEqual(try UMAP.embed(x, configuration: one), blocked)
        one.layoutBlocks = 1
        let sequential = try UMAP.embed(x, configuration: one)
        XCTAssertNotEqual(sequential, blocked)
        let tBlocked = try Trustworthiness.score(high: x, low: blocked, k: 15)
        let tSequential = try Trustworthiness.score(high: x, low: sequential, k: 15)
        XCTAssertEqual(tBlocked, tSequential, accuracy: 0.01)
        XCTAssertGreaterThanOrEqual(tBlocked, 0.9)
        two.layoutBlocks = 3
        XCTAssertGreaterThanOrEqual(try Trustworthiness.score(high: x, low: try UMAP.embed(x, configuration: two), k: 15), 0.9)
        var small = two
        small.minimumBlockPoints = 451
        XCTAssertEqual(try UMAP.embed(x, configuration: small), sequential)
        two.layoutBlocks = 0
        XCTAssertThrowsError(try UMAP.embed(x, configuration: two)) { XCTAssertTrue("\($0)".contains("layout blocks"), "\($0)") }
    }

    /// Blocks cover the points in order, each non-empty, with the edges of its heads; about equal in edges.
    func testLayoutBlocksSplitPointsByEdges() throws {
        let (x, _) = gaussianClusters(centers: [[0, 0], [6, 0], [0, 6]], perCluster: 40, sd: 1, seed: 3)
        let graph = UMAP.fuzzySimplicialSet(NearestNeighbors.exact(x, k: 10, metric: .euclidean))
        // A boundary lands within one point's edges of its target.
        let widest = (0..<graph.rows).map { graph.indptr[$0 + 1] - graph.indptr[$0] }.max()!
        for count in [1, 2, 3, 7] {
            let blocks = UMAP.blocks(graph, count: count)
            XCTAssertEqual(blocks.count, count)
            XCTAssertEqual(blocks.first!.own.lowerBound, 0)
            XCTAssertEqual(blocks.last!.own.upperBound, graph.rows)
            for (p, block) in blocks.enumerated() {
                XCTAssertFalse(block.own.isEmpty)
                XCTAssertEqual(block.edges, graph.indptr[block.own.lowerBound]..<graph.indptr[block.own.upperBound])
                if p > 0 { XCTAssertEqual(blocks[p - 1].own.upperBound, block.own.lowerBound) }
                XCTAssertLessThanOrEqual(abs(block.edges.count - graph.nonZeroCount / count), 2 * widest, "count \(count)")
            }
        }
    }

    /// Wide rows are searched on an approximate top singular subspace: for rows of rank 8 in 300 dimensions (plus
    /// noise of s.d. 0.01) a 20-vector basis keeps each unit row's length within 0.02 and ≥ 95 % of its 10 cosine
    /// neighbours; the projection is seeded, and a configuration at least as wide as the rows changes nothing.
    func testSearchSpaceKeepsNeighboursOfLowRankRows() throws {
        var rng = SeededGenerator(seed: 21)
        let factors = (0..<8).map { _ in (0..<300).map { _ in Float(rng.nextGaussian()) } }
        let rows = (0..<400).map { _ -> [Float] in
            let w = (0..<8).map { _ in Float(rng.nextGaussian()) }
            return (0..<300).map { j in (0..<8).reduce(0) { $0 + w[$1] * factors[$1][j] } + Float(rng.nextGaussian() * 0.01) }
        }
        let x = DenseMatrix(rowArrays: rows)
        let p = try UMAP.searchSpace(x, components: 20, metric: .cosine, seed: 3)
        XCTAssertEqual(p.rows, 400)
        XCTAssertEqual(p.cols, 20)
        XCTAssertEqual(try UMAP.searchSpace(x, components: 20, metric: .cosine, seed: 3), p)
        for r in 0..<p.rows {
            let length = (0..<p.cols).reduce(Float(0)) { $0 + p[r, $1] * p[r, $1] }.squareRoot()
            XCTAssertEqual(length, 1, accuracy: 0.02, "row \(r)")
        }
        let full = NearestNeighbors.exact(x, k: 10, metric: .cosine), reduced = NearestNeighbors.exact(p, k: 10, metric: .cosine)
        var shared = 0
        for i in 0..<400 {
            shared += Set(full.indices[(i * 10)..<((i + 1) * 10)]).intersection(reduced.indices[(i * 10)..<((i + 1) * 10)]).count
        }
        XCTAssertGreaterThanOrEqual(Double(shared) / 4000, 0.95)
        let plain = UMAPConfiguration(nEpochs: 30, metric: .cosine, seed: 2)
        var wide = plain
        wide.searchComponents = 300
        XCTAssertEqual(try UMAP.embed(x, configuration: wide), try UMAP.embed(x, configuration: plain))
        wide.searchComponents = 0
        XCTAssertThrowsError(try UMAP.embed(x, configuration: wide)) { XCTAssertTrue("\($0)".contains("search components"), "\($0)") }
    }

    func testTinyAndBadInputs() throws {
        XCTAssertEqual(try UMAP.embed(DenseMatrix(rows: 0, cols: 3)).rows, 0)
        XCTAssertEqual(try UMAP.embed(DenseMatrix(rows: 1, cols: 3)).values, [0, 0])
        let three = try UMAP.embed(uniformData(rows: 3, cols: 4, seed: 1))
        XCTAssertTrue(three.values.allSatisfy { $0.isFinite })
        var bad = uniformData(rows: 10, cols: 2, seed: 1)
        bad[3, 1] = .nan
        XCTAssertThrowsError(try UMAP.embed(bad)) { error in
            XCTAssertTrue("\(error)".contains("row 3, column 1"), "\(error)")
        }
        XCTAssertThrowsError(try UMAP.embed(bad, configuration: UMAPConfiguration(nNeighbors: 1)))
    }
}

final class TrustworthinessTests: XCTestCase {
    /// scikit-learn 1.9.1 sklearn.manifold.trustworthiness on the fixed example (reference script output).
    func testMatchesScikitLearn() throws {
        let (high, low) = FixedExample.pair()
        let expected: [(Int, DistanceMetric, Double)] = [
            (5, .euclidean, 0.681602564103), (10, .euclidean, 0.704157303371),
            (5, .cosine, 0.656410256410), (10, .cosine, 0.676254681648),
        ]
        for (k, metric, value) in expected {
            XCTAssertEqual(
                try Trustworthiness.score(high: high, low: low, k: k, metric: metric), value, accuracy: 1e-6,
                "k \(k) \(metric)")
        }
    }

    func testPerfectEmbeddingScoresOneAndBadKThrows() throws {
        let x = uniformData(rows: 40, cols: 2, seed: 3)
        XCTAssertEqual(try Trustworthiness.score(high: x, low: x, k: 5), 1, accuracy: 1e-12)
        XCTAssertThrowsError(try Trustworthiness.score(high: x, low: x, k: 20))
        XCTAssertThrowsError(try Trustworthiness.score(high: x, low: DenseMatrix(rows: 3, cols: 2), k: 2))
    }
}

// MARK: helpers

func squaredDistance(_ v: [Float], _ i: Int, _ j: Int, _ d: Int) -> Double {
    var s = 0.0
    for t in 0..<d { let q = Double(v[i * d + t]) - Double(v[j * d + t]); s += q * q }
    return s
}

/// Reference kNN in Double by full sort (self first).
func bruteForceKNN(_ x: DenseMatrix, k: Int, metric: DistanceMetric) -> KNNGraph {
    let n = x.rows, d = x.cols
    let data = metric == .cosine ? x.rowNormalized() : x
    var idx = [Int32](), dist = [Float]()
    for i in 0..<n {
        var all = (0..<n).map { j -> (Double, Int) in
            let s = squaredDistance(data.values, i, j, d)
            return (j == i ? -1 : (metric == .cosine ? s / 2 : s.squareRoot()), j)
        }
        all.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        for t in 0..<k { idx.append(Int32(all[t].1)); dist.append(Float(max(all[t].0, 0))) }
    }
    return KNNGraph(count: n, k: k, indices: idx, distances: dist)
}
