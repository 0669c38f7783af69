import Foundation
import LexicellCore
import LexicellGenes
import LexicellIO

/// `lexicell merge`: joins the outputs of `annotate --shard I/N` runs, in query order, into one
/// predictions.csv, one annotated.h5ad and one report, equal to those of one unsharded run. Refuses shards of
/// different bundles, queries or options, and shard sets with missing or overlapping cell ranges.
public struct MergeRun {
    public var shards: [String]
    /// Cells copied at a time from each shard's h5ad.
    public var chunkCells = 20_000
    public var output: OutputRequest

    public init(shards: [String], output: OutputRequest) {
        self.shards = shards
        self.output = output
    }

    /// Reads and cross-checks the shards' shard.json; returns them in query order.
    public static func check(_ dirs: [String]) throws -> [(dir: String, info: ShardInfo)] {
        guard !dirs.isEmpty else { throw LexicellError("give the shard output folders to merge") }
        var parts = [(dir: String, info: ShardInfo)]()
        for d in dirs {
            let path = d + "/" + ShardInfo.fileName
            guard FileManager.default.fileExists(atPath: path) else {
                throw LexicellError("no \(ShardInfo.fileName): not the output of `lexicell annotate --shard I/N`", file: d)
            }
            let info: ShardInfo
            do { info = try JSONDecoder().decode(ShardInfo.self, from: Data(try FileData.read(path))) } catch let e as LexicellError {
                throw e
            } catch { throw LexicellError("cannot read the shard description (\(error))", file: path) }
            guard info.format == 1 else { throw LexicellError("shard format \(info.format) is not 1", file: path) }
            guard info.h5ad else { throw LexicellError("this shard was annotated with --no-h5ad; merge needs each shard's annotated.h5ad", file: d) }
            parts.append((d, info))
        }
        let first = parts[0]
        func same<T: Equatable>(_ what: String, _ key: (ShardInfo) -> T) throws {
            for p in parts.dropFirst() where key(p.info) != key(first.info) {
                throw LexicellError(
                    "\(what) differs from that of \(first.dir) (\(key(p.info)) vs \(key(first.info))); all shards must come from one annotate command",
                    file: p.dir)
            }
        }
        try same("the reference bundle (digest of manifest.fnv1a)") { $0.bundleDigest }
        try same("the query (cell and gene names)") { $0.queryDigest }
        try same("the query's cell count") { $0.queryCells }
        try same("the number of shards") { $0.shards }
        try same("--min-confidence") { $0.minConfidence }
        try same("--groups") { $0.groups ?? "" }
        try same("whether true labels were given") { $0.truth }
        try same("the UMAP setting") { "\($0.umap) \($0.umapCells)" }
        parts.sort { ($0.info.first, $0.info.end) < ($1.info.first, $1.info.end) }
        var expected = 0
        for (i, p) in parts.enumerated() {
            if p.info.first > expected {
                throw LexicellError(
                    "cells \(expected)..<\(p.info.first) of the query are in no shard given (shard \(p.info.shard)/\(p.info.shards) starts at \(p.info.first)\(i > 0 ? ", after \(parts[i - 1].dir)" : "")); give every shard of the run",
                    file: p.dir)
            }
            if p.info.first < expected {
                throw LexicellError(
                    "its cells \(p.info.first)..<\(p.info.end) overlap those of \(parts[i - 1].dir) (which end at \(expected)); give each shard once",
                    file: p.dir)
            }
            expected = p.info.end
        }
        if expected < first.info.queryCells {
            throw LexicellError(
                "cells \(expected)..<\(first.info.queryCells) of the query are in no shard given (the last ends at \(expected)); give every shard of the run",
                file: parts.last!.dir)
        }
        return parts
    }

    public func run(log: (String) -> Void) throws -> String {
        let parts = try Self.check(shards)
        let info = parts[0].info
        log("merging \(parts.count) shards of \(info.queryCells) query cells (\(info.query))")
        let bundle = try ReferenceBundle.load(from: info.reference)
        guard try ShardInfo.bundleDigest(info.reference) == info.bundleDigest else {
            throw LexicellError("the bundle at this path changed since the shards were annotated (its manifest digest differs)", file: info.reference)
        }
        let m = bundle.manifest
        let groupMap = try info.groups.map { try GroupMap.load(path: $0) }
        let knowledge = try GeneKnowledge.load(species: m.species, housekeeping: .none)

        // Per-cell calls from the shards' h5ad obs (numbers exactly as stored), tallies and samples from shard.json.
        var cells = [String](), labels = [String](), best = [String](), reasons = [String](), truth = [String?]()
        var confidence = [Double](), similarity = [Double]()
        var coverage = CoverageTally()
        var classTally: GeneReadingTally?, groupTally: GeneReadingTally?
        var sample = UMAPSample(capacity: info.umapCells)
        var table: GeneEmbeddingTable?
        var genes = [String]()
        for p in parts {
            let h5 = p.dir + "/annotated.h5ad"
            let chunks = try CellChunks.open(path: h5)
            guard chunks.cellCount == p.info.end - p.info.first else {
                throw LexicellError("has \(chunks.cellCount) cells, but shard.json says \(p.info.end - p.info.first)", file: h5)
            }
            if genes.isEmpty { genes = chunks.genes }
            cells += chunks.cells
            labels += try chunks.obsColumn("lexicell_label")
            best += try chunks.obsColumn("lexicell_best_label")
            reasons += try chunks.obsColumn("lexicell_reason").map { $0 == "assigned" ? "" : $0 }
            if info.truth { truth += try chunks.obsColumn("lexicell_true_label").map { $0.isEmpty ? nil : $0 } }
            confidence += try H5ADParts.obsNumbers(path: h5, column: "lexicell_confidence")
            similarity += try H5ADParts.obsNumbers(path: h5, column: "lexicell_mean_similarity")
            coverage = coverage + p.info.coverage
            if let t = p.info.classTally { classTally = classTally.map { $0 + t } ?? t }
            if let t = p.info.groupTally { groupTally = groupTally.map { $0 + t } ?? t }
            if info.umap {
                let x = try NPY.read(p.dir + "/" + ShardInfo.sampleFileName)
                guard x.rows == p.info.sample.count else {
                    throw LexicellError(
                        "has \(x.rows) rows for the \(p.info.sample.count) sampled cells of shard.json", file: p.dir + "/" + ShardInfo.sampleFileName)
                }
                sample.add(cells: p.info.sample, rows: x)
            }
            if classTally != nil, FileManager.default.fileExists(atPath: p.dir + "/" + Self.tableFile) {
                let t = try GeneEmbeddingTable.load(path: p.dir + "/" + Self.tableFile)
                table = try table.map { try Self.union($0, t) } ?? t
            }
        }
        var overlap = info.overlap
        if let c = info.classifierGenes, c.count == 2 { overlap.classifierGenes = (c[0], c[1]) }
        if table != nil { overlap.topGeneCoverage = coverage.mean }
        var a = Annotation(
            cells: cells, labels: labels, bestLabels: best, confidence: confidence, meanSimilarity: similarity,
            embeddings: DenseMatrix(rows: 0, cols: 0), overlap: overlap,
            query: ExpressionMatrix(values: SparseMatrix(rows: 0, cols: 0, indptr: [0], indices: [], values: []), genes: [], cells: []),
            geneTable: table)
        a.reasons = reasons
        let summary = TransferSummary(annotation: a, truth: info.truth ? truth : nil, classNames: m.classNames, groups: groupMap)
        var readings = [GeneReading]()
        if let table, let classTally, classTally.sizes.contains(where: { $0 > 0 }) {
            readings = classTally.readings(genes: genes, table: table, knowledge: knowledge, top: 10)
            readings += groupTally?.readings(genes: genes, table: table, knowledge: knowledge, top: 10) ?? []
        }
        var layout: DenseMatrix?, layoutCells = [Int]()
        if info.umap, info.queryCells >= 3 {
            let (chosen, x) = sample.chosen()
            if chosen.count >= 3 {
                if chosen.count < info.queryCells { log("UMAP on a seeded subsample of \(chosen.count) of the \(info.queryCells) query cells") }
                layout = try UMAP.embed(x, configuration: .queryReport)
                layoutCells = chosen
            }
        }

        var written = ["predictions.csv", "annotated.h5ad", "summary.md", "report.html"]
        var md = ""
        let result = try OutputDirectory.commit(to: output.directory, force: output.force, inputs: output.inputs + shards) { dir in
            try Self.concatenatePredictions(parts.map { $0.dir + "/predictions.csv" }, to: dir + "/predictions.csv")
            var writer: H5ADStreamWriter?
            for p in parts {
                let h5 = p.dir + "/annotated.h5ad"
                let chunks = try CellChunks.open(path: h5)
                let x = try H5ADParts.obsm(path: h5, name: "X_lexicell")
                if writer == nil {
                    writer = try H5ADStreamWriter(path: dir + "/annotated.h5ad", genes: chunks.genes, expression: true, obsm: [("X_lexicell", x.cols)])
                }
                guard chunks.genes == genes else { throw LexicellError("its genes differ from the first shard's", file: h5) }
                for start in stride(from: 0, to: chunks.cellCount, by: chunkCells) {
                    let b = start..<min(start + chunkCells, chunks.cellCount)
                    try writer!.append(try chunks.read(b).values, obsm: [x.selectingRows(b)])
                }
            }
            let umapRows = layout.flatMap { layoutCells.count == cells.count ? [("X_umap", $0)] : nil } ?? []
            try writer!.finish(cells: cells, obs: AnnotationRun.obsColumns(a, groups: groupMap, truth: info.truth ? truth : nil), obsm: umapRows)
            md = try AnnotationRun.writeReport(
                summary, readings: readings, layout: layout, layoutCells: layoutCells, source: info.query, reference: info.reference, dir: dir, note: nil)
            if !readings.isEmpty { written.append("gene_reading.csv") }
        }
        if let aside = result.keptAside { log("moved what stood at \(output.directory) aside to \(aside) (--force)") }
        log("wrote " + written.map { "\(output.directory)/\($0)" }.joined(separator: ", "))
        return md
    }

    /// The gene vectors a text shard used (for the merged gene reading).
    static let tableFile = "gene_vectors.lxge"

    static func union(_ a: GeneEmbeddingTable, _ b: GeneEmbeddingTable) throws -> GeneEmbeddingTable {
        guard a.modelIdentity == b.modelIdentity, a.dimension == b.dimension else {
            throw LexicellError("shards used different gene vectors (\(a.modelIdentity) vs \(b.modelIdentity))")
        }
        var rows = [String: Int]()
        for (i, s) in a.symbols.enumerated() { rows[s] = i }
        for (i, s) in b.symbols.enumerated() where rows[s] == nil { rows[s] = a.symbols.count + i }
        let symbols = rows.keys.sorted()
        var values = [Float]()
        values.reserveCapacity(symbols.count * a.dimension)
        for s in symbols {
            let r = rows[s]!
            let (t, i) = r < a.symbols.count ? (a, r) : (b, r - a.symbols.count)
            for j in 0..<t.dimension { values.append(t.vectors[i, j]) }
        }
        return try GeneEmbeddingTable(
            symbols: symbols, vectors: DenseMatrix(rows: symbols.count, cols: a.dimension, values: values), modelIdentity: a.modelIdentity)
    }

    /// The shards' predictions.csv one after the other, the header once (all headers must agree).
    static func concatenatePredictions(_ files: [String], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw LexicellError("cannot create the file", file: path)
        }
        defer { try? out.close() }
        var header: [UInt8]?
        for f in files {
            let bytes = try FileData.read(f)
            guard let nl = bytes.firstIndex(of: 0x0A) else { throw LexicellError("has no header line", file: f) }
            let h = Array(bytes[...nl])
            if let header, header != h {
                throw LexicellError("its header differs from that of \(files[0]); all shards must come from one annotate command", file: f)
            }
            if header == nil {
                header = h
                try out.write(contentsOf: Data(h))
            }
            try out.write(contentsOf: Data(bytes[(nl + 1)...]))
        }
    }
}
