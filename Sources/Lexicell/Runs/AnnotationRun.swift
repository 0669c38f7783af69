import Foundation
import LexicellCore

/// `lexicell annotate`: query cells labelled with a reference bundle; writes predictions.csv, summary.md,
/// report.html, gene_reading.csv and annotated.h5ad.
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
    public var output: OutputRequest

    public init(reference: String, query: DatasetRequest, output: OutputRequest) {
        self.reference = reference
        self.query = query
        self.output = output
    }

    public func run(log: (String) -> Void) throws -> String {
        let bundle = try ReferenceBundle.load(from: reference)
        let m = bundle.manifest
        log("reference: \(m.cells) cells, \(m.classNames.count) classes, "
            + (m.classifier ?? "k = \(m.k), genes \(m.geneEmbeddingModel)" + (m.refined ? ", refined" : "")))
        let groupMap = try groups.map { try GroupMap.load(path: $0) }
        let ds = try query.read(log: log)
        let cells = ds.expression
        let querySpecies = try species.resolve(genes: cells.genes, log: log)
        let knowledge = try GeneKnowledge.load(species: m.species, housekeeping: .none)
        let orthologs = querySpecies != m.species
            ? try OrthologMap.loadHCOP(path: BundledData.path("genes/hcop_human_mouse_orthologs_15col.txt.gz")) : nil
        var annotator = Annotator()
        annotator.minConfidence = minConfidence
        annotator.cachePath = cachePath
        let a = try annotator.annotate(cells, querySpecies: querySpecies, with: bundle, knowledge: knowledge, orthologs: orthologs, log: log)
        let truth = query.hasLabels ? try query.labels(of: ds, log: log).labels : nil
        let summary = TransferSummary(annotation: a, truth: truth, classNames: m.classNames, groups: groupMap)
        let md = summary.markdown()
        let (layout, layoutCells) = try umapLayout(a.embeddings, log: log)
        var files: [(name: String, contents: Data)] = [("predictions.csv", Data(Self.predictionsCSV(a, groups: groupMap, truth: truth).utf8)),
                                                       ("summary.md", Data(md.utf8))]
        let readings = a.geneReadings(knowledge: knowledge, topN: m.topN, groups: groupMap)
        if !readings.isEmpty { files.append(("gene_reading.csv", Data(GeneReading.csv(readings).utf8))) }
        files.append(("report.html", Data(summary.report(layout: layout, layoutCells: layoutCells, source: query.data, reference: reference, genes: readings).utf8)))
        try OutputFiles.write(files, to: output, more: { dir in
            guard h5ad else { return [] }
            var obs: [(String, ObsColumn)] = [("lexicell_label", .categorical(a.labels)), ("lexicell_best_label", .categorical(a.bestLabels)),
                                              ("lexicell_confidence", .numbers(a.confidence)), ("lexicell_mean_similarity", .numbers(a.meanSimilarity)),
                                              ("lexicell_reason", .categorical(a.reasons.map { $0.isEmpty ? "assigned" : $0 }))]
            if let g = groupMap { obs.append(("lexicell_group", .categorical(a.labels.map(g.group)))) }
            var obsm = [("X_lexicell", a.embeddings)]
            if let layout, layoutCells.count == cells.cellCount { obsm.append(("X_umap", layout)) }
            try H5ADWriter.write(path: dir + "/annotated.h5ad", expression: cells, cells: cells.cells, genes: cells.genes, obs: obs, obsm: obsm)
            return ["annotated.h5ad"]
        }, log: log)
        return md
    }

    /// The UMAP of the query's embeddings, on a seeded subsample of `umapCells` cells when the query is larger
    /// (its cost, not the classification's, would otherwise dominate a large run); nil when switched off.
    func umapLayout(_ x: DenseMatrix, log: (String) -> Void) throws -> (DenseMatrix?, [Int]) {
        guard umap, x.rows >= 3 else { return (nil, []) }
        var cells = Array(0..<x.rows)
        if x.rows > umapCells {
            var rng = SeededGenerator(seed: 42)
            cells.shuffle(using: &rng)
            cells = Array(cells.prefix(umapCells)).sorted()
            log("UMAP on a seeded subsample of \(umapCells) of the \(x.rows) query cells")
        }
        return (try UMAP.embed(cells.count == x.rows ? x : x.selectingRows(cells), configuration: UMAPConfiguration(metric: .cosine)), cells)
    }

    /// One row per query cell: the call, the best label, confidence and similarity (and group, truth).
    static func predictionsCSV(_ a: Annotation, groups: GroupMap?, truth: [String?]?) -> String {
        var csv = "cell,predicted_label,best_label,confidence,mean_similarity,reason" + (groups != nil ? ",group" : "") + (truth != nil ? ",true_label,correct" : "") + "\n"
        for i in 0..<a.cells.count {
            csv += [EmbeddingTableCSV.quote(a.cells[i]), EmbeddingTableCSV.quote(a.labels[i]), EmbeddingTableCSV.quote(a.bestLabels[i]),
                    String(format: "%.4f", a.confidence[i]), String(format: "%.4f", a.meanSimilarity[i]),
                    EmbeddingTableCSV.quote(a.reasons.isEmpty ? "" : a.reasons[i])].joined(separator: ",")
            if let g = groups { csv += "," + EmbeddingTableCSV.quote(g.group(a.labels[i])) }
            if let t = truth { csv += "," + EmbeddingTableCSV.quote(t[i] ?? "") + ",\(t[i] == a.labels[i])" }
            csv += "\n"
        }
        return csv
    }
}

extension Annotation {
    /// Gene-level reading of the predicted subtypes (assigned cells only) and of their groups.
    public func geneReadings(knowledge: GeneKnowledge, topN: Int, groups: GroupMap?) -> [GeneReading] {
        let assigned = labels.indices.filter { labels[$0] != Annotation.unassigned }
        guard !assigned.isEmpty, let geneTable else { return [] }
        let expr = query.selectingCells(assigned)
        func reading(_ name: (String) -> String) -> [GeneReading] {
            let names = Array(Set(assigned.map { name(labels[$0]) })).sorted()
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            return GeneReading.compute(expression: expr, labels: assigned.map { index[name(labels[$0])]! }, classNames: names,
                                       table: geneTable, knowledge: knowledge, topN: topN)
        }
        return reading { $0 } + (groups.map { g in reading(g.group) } ?? [])
    }
}
