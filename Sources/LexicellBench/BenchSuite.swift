import Dispatch
import Foundation
import Lexicell

/// `lexicell bench`: the stages timed on bundled and synthetic data, best of `repeats` (compare with
/// scripts/bench_python.py on the same machine).
public struct BenchSuite {
    /// read, topn, baseline, knn, encoder, refiner, umap, heads, or all.
    public var parts: Set<String>
    public var knnCells = 35_000
    public var knnDimensions = [384, 1536]
    public var encoderTexts = 2000
    public var headsShape = [30_000, 2000, 20]
    public var headsC = 1.0
    public var repeats = 3

    public init(parts: Set<String> = ["all"]) { self.parts = parts }

    func wants(_ p: String) -> Bool { parts.contains("all") || parts.contains(p) }

    /// Runs the chosen parts, one line per measurement to `output`.
    public func run(_ output: (String) -> Void) throws {
        func wants(_ p: String) -> Bool { parts.contains("all") || parts.contains(p) }
        output("lexicell bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, OpenBLAS threads \(LinearAlgebra.threads)")
        let dir = BundledData.path("datasets/romanov2017_hypothalamus_neurons")
        var expression: ExpressionMatrix?
        if wants("read") || wants("topn") {
            let t = try best { expression = try DatasetReader.read10x(directory: dir) }
            let e = expression!
            output(
                String(
                    format: "read Romanov 10x (%d cells × %d genes, %.2f M non-zeros): %.3f s (%.1f M non-zeros/s)",
                    e.cellCount, e.geneCount, Double(e.values.nonZeroCount) / 1e6, t, Double(e.values.nonZeroCount) / t / 1e6))
        }
        if wants("topn"), let e = expression {
            let table = try GeneEmbeddingTable.random(symbols: e.genes, dimension: 384, seed: 1)
            let rows = CellEmbedder.alignGenes(e.genes, to: table)
            let embedder = CellEmbedder(topN: 20)
            var out = DenseMatrix(rows: 0, cols: 0)
            let t = try best { out = embedder.embed(e, table: table, geneRows: rows) }
            output(String(format: "top-20 selection + mean embedding, %d cells at 384-d: %.4f s (%.0f cells/s)", out.rows, t, Double(out.rows) / t))
        }
        if wants("baseline") {
            let e = try expression ?? DatasetReader.read10x(directory: dir)
            let train = e.selectingCells((0..<e.cellCount).filter { $0 % 5 != 0 })
            output(
                "expression baseline (normalise + log1p, seurat_v3 HVG 2000, scale, PCA 30): "
                    + String(describing: try ExpressionBaselineBenchmark.run(train: train)))
        }
        if wants("encoder") {
            let folder = try ModelStore().resolve(ModelStore.defaultModelName)
            let texts = try TextBenchmark.loadSummaries(
                path: BundledData.path("genes/mouse_gene_summaries_with_human_ortholog_fallback.tsv.gz"),
                count: encoderTexts)
            let r = try TextBenchmark.run(modelDir: folder.url.path, texts: texts, maxLength: 256, parallelism: .blasThreads(2))
            output(
                String(
                    format: "MiniLM encoder, %d real gene summaries (%d tokens, max length 256): %.1f s, %.1f texts/s, %.0f tokens/s",
                    r.texts, r.tokens, r.seconds, r.textsPerSecond, r.tokensPerSecond))
        }
        if wants("heads") {
            for r in try HeadsBenchmark.run(rows: headsShape[0], cols: headsShape[1], classes: headsShape[2], c: headsC) {
                output("linear head: \(r)")
            }
        }
        if wants("refiner") {
            let r = try SupConBenchmark.run(cells: 845, inputDim: 384, classes: 33)
            output("SupCon refiner (845 cells × 384-d, 33 classes, batch 256, 2 threads): " + r.description)
        }
        if wants("umap") {
            var rng = SeededGenerator(seed: 7)
            let n = 20_000, d = 50, centres = 24
            let c = (0..<centres).map { _ in (0..<d).map { _ in Float(rng.nextGaussian()) * 4 } }
            var values = [Float]()
            values.reserveCapacity(n * d)
            for i in 0..<n { for j in 0..<d { values.append(c[i % centres][j] + Float(rng.nextGaussian())) } }
            let x = DenseMatrix(rows: n, cols: d, values: values)
            var y = DenseMatrix(rows: 0, cols: 0)
            let t = try best(repeats: 1) { y = try UMAP.embed(x, configuration: UMAPConfiguration()) }
            let tw = try Trustworthiness.score(high: x, low: y, k: 15)
            output(String(format: "UMAP %d × %d Gaussian mixture (NN-descent, 200 epochs, deterministic): %.1f s, trustworthiness (k = 15) %.4f", n, d, t, tw))
        }
        if wants("knn") {
            for d in knnDimensions {
                var rng = SeededGenerator(seed: 42)
                let n = knnCells
                let x = DenseMatrix(rows: n, cols: d, values: (0..<(n * d)).map { _ in Float(rng.nextGaussian()) })
                let knn = KNNClassifier(reference: x, labels: (0..<n).map { $0 % 40 }, classCount: 40)
                var nb: NeighborList?
                let t = try best(repeats: 1) { nb = knn.neighbors(of: x, k: 15) }
                let gflops = 2.0 * Double(n) * Double(n) * Double(d) / t / 1e9
                // The same products alone (1,024-row blocks into one scratch buffer, no selection): the ceiling.
                var scratch = [Float](repeating: 0, count: 1024 * n)
                let tg = try best(repeats: 1) {
                    x.values.withUnsafeBufferPointer { p in
                        scratch.withUnsafeMutableBufferPointer { out in
                            var start = 0
                            while start < n {
                                let rows = min(1024, n - start)
                                LinearAlgebra.gemm(
                                    p.baseAddress! + start * d, rowsA: rows, colsA: d, transposeA: false, p.baseAddress!, rowsB: n, colsB: d,
                                    transposeB: true, into: out.baseAddress!)
                                start += rows
                            }
                        }
                    }
                }
                let ceiling = 2.0 * Double(n) * Double(n) * Double(d) / tg / 1e9
                output(
                    String(
                        format:
                            "cosine KNN %d × %d cells, %d-d, k = 15: %.2f s (%.0f GFLOP/s, %d neighbours); sgemm alone on the same blocks %.2f s (%.0f GFLOP/s): KNN at %.0f %% of sgemm",
                        n, n, d, t, gflops, nb!.indices.count, tg, ceiling, 100 * gflops / ceiling))
            }
        }
    }

    func best(repeats r: Int? = nil, _ body: () throws -> Void) throws -> Double {
        var bestTime = Double.infinity
        for _ in 0..<(r ?? repeats) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            bestTime = min(bestTime, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return bestTime
    }
}
