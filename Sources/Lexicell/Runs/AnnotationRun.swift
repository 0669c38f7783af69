import Foundation
import LexicellCore
import LexicellGenes
import LexicellIO

/// `lexicell annotate`: query cells labelled with a reference bundle; writes predictions.csv, summary.md,
/// report.html, gene_reading.csv and annotated.h5ad.
///
/// The query is read, classified and written in blocks of `chunkCells` cells (predictions.csv and
/// annotated.h5ad grow block by block inside the output's temporary folder), so memory does not grow with the
/// query's matrix; what is kept per cell is its label, confidence and name. Each cell's label depends on that
/// cell alone, so any block size, and any split into shards (`shard`, joined by `MergeRun`), gives the same
/// outputs.
public struct AnnotationRun {
    public var reference: String
    /// The query; its labels, if named, score the transfer.
    public var query: DatasetRequest
    public var species = SpeciesChoice.auto
    public var minConfidence = 0.5
    public var groups: String?
    public var cachePath: String?
    public var h5ad = true
    /// The report's UMAP (and the h5ad's X_umap); on at most `umapCells` cells, a seeded subsample of a larger query.
    public var umap = true
    public var umapCells = 50_000
    /// Gene-set collections for the pathway reading of the calls (bundled names or GMT files; empty: the
    /// species' bundled ones); nil: no pathway reading.
    public var pathways: [String]?
    /// Largest number of annotated cells the markers and enrichment are computed on (a seeded subsample).
    public var pathwayCells = 20_000
    /// Cells read, classified and written at a time.
    public var chunkCells = 20_480
    /// Annotate only shard `index` of `count` (contiguous cell ranges; `MergeRun` joins them).
    public var shard: ShardSpec?
    public var output: OutputRequest

    public init(reference: String, query: DatasetRequest, output: OutputRequest) {
        self.reference = reference
        self.query = query
        self.output = output
    }

    public func run(log: (String) -> Void) throws -> String {
        precondition(chunkCells > 0, "AnnotationRun: chunkCells must be positive")
        let bundle = try ReferenceBundle.load(from: reference)
        let m = bundle.manifest
        log(
            "reference: \(m.cells) cells, \(m.classNames.count) classes, "
                + (m.classifier ?? "k = \(m.k), genes \(m.geneEmbeddingModel)" + (m.refined ? ", refined" : "")))
        let groupMap = try groups.map { try GroupMap.load(path: $0) }
        let t0 = Date()
        let chunks = try query.open()
        let total = chunks.cellCount
        let range = shard?.range(cells: total) ?? 0..<total
        log(
            "query \(query.data): \(total) cells × \(chunks.geneCount) genes"
                + (shard.map { ", shard \($0.index)/\($0.count): cells \(range.lowerBound)..<\(range.upperBound)" } ?? "")
                + (chunks.streams ? ", read in blocks of \(chunkCells) cells" : ", read whole (this format has no row blocks)"))
        // Block edges at multiples of chunkCells in query positions, so shards cut the same blocks as one run.
        let blocks = stride(from: (range.lowerBound / chunkCells) * chunkCells, to: range.upperBound, by: chunkCells)
            .map { max($0, range.lowerBound)..<min($0 + chunkCells, range.upperBound) }.filter { !$0.isEmpty }
        let querySpecies = try species.resolve(genes: chunks.genes, log: log)
        let knowledge = try GeneKnowledge.load(species: m.species, housekeeping: .none)
        let orthologs =
            querySpecies != m.species
            ? try OrthologMap.loadHCOP(path: BundledData.path("genes/hcop_human_mouse_orthologs_15col.txt.gz")) : nil
        var annotator = Annotator()
        annotator.minConfidence = minConfidence
        annotator.cachePath = cachePath
        let plan = try annotator.plan(
            genes: chunks.genes, querySpecies: querySpecies, with: bundle, knowledge: knowledge, orthologs: orthologs,
            scan: { visit in for b in blocks { try visit(try chunks.read(b)) } }, log: log)
        let truth = query.hasLabels ? Array(try query.labels(of: chunks, log: log).labels[range]) : nil
        let names = Array(chunks.cells[range])

        // No sample is kept without a UMAP (its rows are the largest per-run state: up to umapCells × features).
        var state = AnnotationAccumulator(plan: plan, classNames: m.classNames, groups: groupMap, umapCells: umap ? umapCells : 0)
        var layout: DenseMatrix?, layoutCells = [Int](), md = ""
        var written = ["predictions.csv"]
        let result = try OutputDirectory.commit(to: output.directory, force: output.force, inputs: output.inputs) { dir in
            let csv = try PredictionsFile(path: dir + "/predictions.csv", groups: groupMap, truth: truth != nil)
            var writer: H5ADStreamWriter?
            let progress = ProgressLine("annotate", total: range.count, unit: "cells")
            for b in blocks {
                let block = try chunks.read(b)
                let a = try plan.annotate(block, first: b.lowerBound)
                let local = (b.lowerBound - range.lowerBound)..<(b.upperBound - range.lowerBound)
                try csv.append(a, truth: truth.map { Array($0[local]) })
                if h5ad {
                    if writer == nil {
                        writer = try H5ADStreamWriter(
                            path: dir + "/annotated.h5ad", genes: chunks.genes, expression: true, obsm: [("X_lexicell", a.embeddings.cols)])
                    }
                    try writer!.append(block.values, obsm: [a.embeddings])
                }
                state.add(a, block: block, first: b.lowerBound)
                progress.advance(by: b.count)
            }
            progress.finish()
            try csv.close()
            let overlap = try plan.finish(coverage: state.coverage, log: log)
            let summary = state.summary(cells: names, overlap: overlap, truth: truth)
            if shard == nil {
                (layout, layoutCells) = try state.layout(umap: umap, total: range.count, log: log)
            }
            let readings = state.readings(knowledge: knowledge)
            var pathwayReport: PathwayReport?
            if let collections = pathways {
                do {
                    let p = try pathwayReading(
                        chunks: chunks, blocks: blocks, range: range, labels: state.labels, groups: groupMap, species: querySpecies,
                        collections: collections, log: log)
                    try AtomicFile.write(Data(p.analysis.markersCSV().utf8), to: dir + "/markers.csv")
                    try AtomicFile.write(Data(p.analysis.pathwaysCSV().utf8), to: dir + "/pathways.csv")
                    written += ["markers.csv", "pathways.csv"]
                    if let sets = p.scoreSets, let scores = p.scores {
                        try AtomicFile.write(Data((sets.csvHeader + sets.csvRows(cells: names, scores: scores)).utf8), to: dir + "/pathway_scores.csv")
                        written.append("pathway_scores.csv")
                    }
                    pathwayReport = p
                } catch let e as LexicellError {
                    // The calls are written either way; a reading that cannot be made is said, not fatal.
                    log("no pathway reading: \(e.message)")
                }
            }
            md = try Self.writeReport(
                summary, readings: readings, layout: layout, layoutCells: layoutCells, source: query.data, reference: reference,
                dir: dir, pathways: pathwayReport,
                note: shard.map { "shard \($0.index)/\($0.count) (cells \(range.lowerBound)..<\(range.upperBound)); the UMAP is drawn by `lexicell merge`" })
            written += ["summary.md", "report.html"] + (readings.isEmpty ? [] : ["gene_reading.csv"])
            if h5ad {
                if writer == nil {
                    writer = try H5ADStreamWriter(path: dir + "/annotated.h5ad", genes: chunks.genes, expression: true, obsm: [("X_lexicell", 0)])
                }
                let umapRows = layout.flatMap { layoutCells.count == names.count ? [("X_umap", $0)] : nil } ?? []
                var obs = Self.obsColumns(summary.annotation, groups: groupMap, truth: truth)
                var obsm = umapRows
                if let p = pathwayReport, let sets = p.scoreSets, let scores = p.scores {
                    let columns = sets.h5adColumns(scores: scores)
                    obs += columns.obs
                    obsm.append(columns.obsm)
                }
                try writer!.finish(cells: names, obs: obs, obsm: obsm)
                written.append("annotated.h5ad")
            }
            if let shard {
                try state.writeShard(
                    dir: dir,
                    info: ShardInfo(
                        shard: shard.index, shards: shard.count, first: range.lowerBound, end: range.upperBound, queryCells: total,
                        query: query.data, cellsFile: query.cellsFile, reference: reference,
                        bundleDigest: try ShardInfo.bundleDigest(reference), queryDigest: ShardInfo.queryDigest(chunks),
                        minConfidence: minConfidence, groups: groups, truth: truth != nil, umap: umap, umapCells: umapCells,
                        h5ad: h5ad, overlap: overlap, classifierGenes: overlap.classifierGenes.map { [$0.present, $0.total] },
                        coverage: state.coverage, sample: []))
                written += [ShardInfo.fileName, ShardInfo.sampleFileName]
                if let table = plan.geneTable {
                    try table.write(to: dir + "/" + MergeRun.tableFile)
                    written.append(MergeRun.tableFile)
                }
            }
        }
        if let aside = result.keptAside { log("moved what stood at \(output.directory) aside to \(aside) (--force)") }
        log("wrote " + written.map { "\(output.directory)/\($0)" }.joined(separator: ", "))
        log(String(format: "annotated %d cells in %.1f s", range.count, Date().timeIntervalSince(t0)))
        return md
    }

    /// summary.md, report.html and gene_reading.csv (when there is a reading) into `dir`; returns the markdown.
    static func writeReport(
        _ summary: TransferSummary, readings: [GeneReading], layout: DenseMatrix?, layoutCells: [Int], source: String,
        reference: String, dir: String, pathways: PathwayReport? = nil, note: String?
    ) throws -> String {
        var md = summary.markdown()
        if let note { md += "\n_\(note)_\n" }
        try AtomicFile.write(Data(md.utf8), to: dir + "/summary.md")
        if !readings.isEmpty { try AtomicFile.write(Data(GeneReading.csv(readings).utf8), to: dir + "/gene_reading.csv") }
        let html = summary.report(layout: layout, layoutCells: layoutCells, source: source, reference: reference, genes: readings, pathways: pathways)
        try AtomicFile.write(Data(html.utf8), to: dir + "/report.html")
        return md
    }

    /// The h5ad's obs columns for the annotated cells.
    static func obsColumns(_ a: Annotation, groups: GroupMap?, truth: [String?]?) -> [(String, ObsColumn)] {
        var obs: [(String, ObsColumn)] = [
            ("lexicell_label", .categorical(a.labels)), ("lexicell_best_label", .categorical(a.bestLabels)),
            ("lexicell_confidence", .numbers(a.confidence)), ("lexicell_mean_similarity", .numbers(a.meanSimilarity)),
            ("lexicell_reason", .categorical(a.reasons.map { $0.isEmpty ? "assigned" : $0 })),
        ]
        if let g = groups { obs.append(("lexicell_group", .categorical(a.labels.map(g.group)))) }
        if let truth { obs.append(("lexicell_true_label", .categorical(truth.map { $0 ?? "" }))) }
        return obs
    }

    /// The header of predictions.csv.
    static func predictionsHeader(groups: Bool, truth: Bool) -> String {
        "cell,predicted_label,best_label,confidence,mean_similarity,reason" + (groups ? ",group" : "") + (truth ? ",true_label,correct" : "") + "\n"
    }

    /// One row per query cell: the call, the best label, confidence and similarity (and group, truth).
    static func predictionsRows(_ a: Annotation, groups: GroupMap?, truth: [String?]?) -> String {
        var csv = ""
        for i in 0..<a.cells.count {
            csv += [
                EmbeddingTableCSV.quote(a.cells[i]), EmbeddingTableCSV.quote(a.labels[i]), EmbeddingTableCSV.quote(a.bestLabels[i]),
                String(format: "%.4f", a.confidence[i]), String(format: "%.4f", a.meanSimilarity[i]),
                EmbeddingTableCSV.quote(a.reasons.isEmpty ? "" : a.reasons[i]),
            ].joined(separator: ",")
            if let g = groups { csv += "," + EmbeddingTableCSV.quote(g.group(a.labels[i])) }
            if let t = truth { csv += "," + EmbeddingTableCSV.quote(t[i] ?? "") + ",\(t[i] == a.labels[i])" }
            csv += "\n"
        }
        return csv
    }

    static func predictionsCSV(_ a: Annotation, groups: GroupMap?, truth: [String?]?) -> String {
        predictionsHeader(groups: groups != nil, truth: truth != nil) + predictionsRows(a, groups: groups, truth: truth)
    }
}

/// `--shard I/N`: shard `index` (0-based) of `count`; cells [⌊I·n/N⌋, ⌊(I+1)·n/N⌋) of the n kept query cells.
public struct ShardSpec: Sendable, Equatable {
    public var index: Int
    public var count: Int

    /// Parses "I/N"; nil when malformed or out of range (0 ≤ I < N).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        (index, count) = (i, n)
    }

    public init(index: Int, count: Int) { (self.index, self.count) = (index, count) }

    public func range(cells n: Int) -> Range<Int> {
        (index * n / count)..<((index + 1) * n / count)
    }
}

/// predictions.csv written block by block.
final class PredictionsFile {
    let handle: FileHandle
    let path: String
    let groups: GroupMap?

    init(path: String, groups: GroupMap?, truth: Bool) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(AnnotationRun.predictionsHeader(groups: groups != nil, truth: truth).utf8)),
            let h = FileHandle(forWritingAtPath: path)
        else { throw LexicellError("cannot create the file", file: path) }
        handle = h
        self.path = path
        self.groups = groups
        handle.seekToEndOfFile()
    }

    func append(_ a: Annotation, truth: [String?]?) throws {
        do { try handle.write(contentsOf: Data(AnnotationRun.predictionsRows(a, groups: groups, truth: truth).utf8)) } catch {
            throw LexicellError("cannot write (\(error.localizedDescription))", file: path)
        }
    }

    func close() throws {
        do {
            try handle.synchronize()
            try handle.close()
        } catch { throw LexicellError("cannot close (\(error.localizedDescription))", file: path) }
    }
}
