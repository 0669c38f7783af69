import Foundation
import LexicellCore
import LexicellIO

/// `lexicell annotate --markers FILE`: query cells labelled from marker genes and descriptions, with no
/// reference (zero-shot); writes what `annotate` writes (predictions.csv, summary.md, report.html,
/// gene_reading.csv, annotated.h5ad), zeroshot.json (types found, weight, and with labels every mode's metrics) and
/// zeroshot_modes.csv (every mode's label per cell).
public struct MarkerAnnotationRun {
    public var markers: String
    public var query: DatasetRequest
    public var species = SpeciesChoice.auto
    public var minConfidence = 0.5
    /// w in (1 − w) · z_marker + w · z_knowledge.
    public var knowledgeWeight = KnowledgeWeight.chosenOnGABA6
    /// Softmax temperature of the confidence.
    public var temperature = KnowledgeWeight.temperatureOnGABA6
    /// The gene vectors (model, file or random) and the cell embedding's N; the random control is computed beside
    /// them unless `embedding.control` is off.
    public var embedding = EmbeddingRequest()
    public var topFraction = MarkerScoring.defaultTopFraction
    public var groups: String?
    public var h5ad = true
    public var umap = true
    public var umapCells = 50_000
    public var output: OutputRequest

    public init(markers: String, query: DatasetRequest, output: OutputRequest) {
        self.markers = markers
        self.query = query
        self.output = output
    }

    /// The scores and the annotation at `knowledgeWeight`, without writing anything.
    public func annotate(log: (String) -> Void) throws -> (
        scores: ZeroShotScores, annotation: Annotation, truth: [String?]?, file: MarkerFile, knowledge: GeneKnowledge
    ) {
        let file = try MarkerFile.load(path: markers)
        let ds = try query.read(log: log)
        let cells = ds.expression
        let sp = try species.resolve(genes: cells.genes, log: log)
        let knowledge = try GeneKnowledge.load(species: sp, housekeeping: .none)
        var annotator = ZeroShotAnnotator()
        annotator.settings = embedding.settings
        annotator.topFraction = topFraction
        annotator.cachePath = embedding.cachePath
        annotator.control = embedding.control
        let scores = try annotator.score(cells, markers: file, knowledge: knowledge, source: embedding.source, log: log)
        let (labels, confidence, _) = scores.call(weight: knowledgeWeight, temperature: temperature)
        let candidateIndex = Dictionary(uniqueKeysWithValues: scores.candidateNames.enumerated().map { ($1, $0) })
        let similarity = labels.indices.map { c in Double(scores.knowledge.values[c * scores.knowledge.cols + candidateIndex[labels[c]]!]) }
        let markerGenes = Set(scores.types.flatMap { $0.positive + $0.negative })
        let listed = Set(file.types.flatMap { $0.positive + $0.negative })
        let overlap = GeneOverlap(
            queryGenes: cells.geneCount, orthologMapped: nil, withText: scores.genesWithText, sharedWithReference: markerGenes.count,
            referenceGenes: listed.count, topGeneCoverage: scores.coverage.meanFraction)
        log(
            "markers: \(scores.candidates.count) of \(file.types.count) types scored; \(markerGenes.count) of the \(listed.count) marker genes found in the data"
        )
        var a = Annotation(
            cells: cells.cells, labels: labels, bestLabels: labels, confidence: confidence, meanSimilarity: similarity,
            embeddings: scores.embeddings, overlap: overlap, query: cells, geneTable: scores.table)
        a.abstain(noSignal: scores.noSignal(cells, weight: knowledgeWeight), minConfidence: minConfidence)
        let truth = query.hasLabels ? try query.labels(of: ds, log: log).labels : nil
        return (scores, a, truth, file, knowledge)
    }

    public func run(log: (String) -> Void) throws -> String {
        let (scores, a, truth, file, knowledge) = try annotate(log: log)
        let groupMap = try groups.map { try GroupMap.load(path: $0) }
        let classNames = file.types.map(\.name)
        var report = ZeroShotReport(scores: scores, truth: truth, weight: knowledgeWeight, topFraction: topFraction, markers: markers)
        report.temperature = temperature
        let summary = TransferSummary(annotation: a, truth: truth, classNames: classNames, groups: groupMap)
        let md = summary.markdown() + "\n" + report.markdown()
        var sample = UMAPSample(capacity: umap ? umapCells : 0)
        sample.add(a.embeddings, first: 0)
        let (layout, layoutCells) = umap ? try sample.layout(total: a.cells.count, log: log) : (nil, [])
        var files: [(name: String, contents: Data)] = [
            ("predictions.csv", Data(AnnotationRun.predictionsCSV(a, groups: groupMap, truth: truth).utf8)),
            ("summary.md", Data(md.utf8)),
            ("zeroshot.json", try report.json()),
            ("zeroshot_modes.csv", Data(report.modesCSV(cells: a.cells).utf8)),
        ]
        let readings = Self.geneReadings(a, table: scores.table, knowledge: knowledge, topN: embedding.settings.topN, groups: groupMap)
        if !readings.isEmpty { files.append(("gene_reading.csv", Data(GeneReading.csv(readings).utf8))) }
        let html = summary.report(layout: layout, layoutCells: layoutCells, source: query.data, reference: markers, genes: readings)
        files.append(("report.html", Data(report.insertingHTML(into: html).utf8)))
        let cells = a.query
        try OutputFiles.write(
            files, to: output,
            more: { dir in
                guard h5ad else { return [] }
                var obsm = [("X_lexicell", a.embeddings), ("X_lexicell_zeroshot_scores", scores.call(weight: knowledgeWeight).scores)]
                if let layout, layoutCells.count == cells.cellCount { obsm.append(("X_umap", layout)) }
                try H5ADWriter.write(
                    path: dir + "/annotated.h5ad", expression: cells, cells: cells.cells, genes: cells.genes,
                    obs: AnnotationRun.obsColumns(a, groups: groupMap, truth: truth), obsm: obsm)
                return ["annotated.h5ad"]
            }, log: log)
        return md
    }
}

extension MarkerAnnotationRun {
    /// Gene-level reading of the predicted types (assigned cells only) and of their groups.
    static func geneReadings(_ a: Annotation, table: GeneEmbeddingTable, knowledge: GeneKnowledge, topN: Int, groups: GroupMap?) -> [GeneReading] {
        let assigned = a.labels.indices.filter { a.labels[$0] != Annotation.unassigned }
        guard !assigned.isEmpty else { return [] }
        let expression = a.query.selectingCells(assigned)
        func reading(_ name: (String) -> String) -> [GeneReading] {
            let names = Array(Set(assigned.map { name(a.labels[$0]) })).sorted()
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
            return GeneReading.compute(
                expression: expression, labels: assigned.map { index[name(a.labels[$0])]! }, classNames: names, table: table,
                knowledge: knowledge, topN: topN)
        }
        return reading { $0 } + (groups.map { g in reading(g.group) } ?? [])
    }
}
