import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells
import LexicellClassify

/// Everything zero-shot annotation computes for a query, before a weight is applied: the matched marker types,
/// per-type z-scored marker and knowledge scores (and the random-vector control's), and the cell embeddings.
public struct ZeroShotScores: Sendable {
    /// Every type of the marker file, with what was found in the data.
    public var types: [MatchedMarkerType]
    /// Indices into `types` of the types that are scored (a positive marker in the data); the score columns.
    public var candidates: [Int]
    /// Cells × candidates: marker score (AUC positive − AUC negative), knowledge cosine, and their z-scores per type.
    public var marker: DenseMatrix
    public var knowledge: DenseMatrix
    public var markerZ: DenseMatrix
    public var knowledgeZ: DenseMatrix
    /// The knowledge score with random gene vectors (same genes, same dimension, seed 0; markers only, since a
    /// random table has no text model for descriptions); nil when the main vectors are random already.
    public var randomKnowledgeZ: DenseMatrix?
    /// The cells' text embeddings (the paper's cell embedding: top-N mean of gene-text vectors).
    public var embeddings: DenseMatrix
    public var table: GeneEmbeddingTable
    public var coverage: GeneCoverage
    /// Genes of the query with a text.
    public var genesWithText: Int
    /// How many types' descriptions were embedded.
    public var descriptionsEmbedded: Int

    public var candidateNames: [String] { candidates.map { types[$0].type.name } }
    public var absentTypes: [MatchedMarkerType] { types.filter(\.isAbsent) }
}

/// Zero-shot annotation from a marker file: marker scoring (rank-based, AUCell-like with negatives), knowledge
/// scoring (types and cells in the gene-text space), and their combination (1 − w) · z_marker + w · z_knowledge.
public struct ZeroShotAnnotator {
    public var settings = CellEmbeddingSettings()
    public var topFraction = MarkerScoring.defaultTopFraction
    public var cachePath: String?
    /// Compute the random-vector control as well.
    public var control = true
    public init() {}

    /// Scores of every cell against every type with a positive marker in the data. Types without one are
    /// reported through `log` and in `ZeroShotScores.absentTypes`, and never scored.
    public func score(
        _ query: ExpressionMatrix, markers: MarkerFile, knowledge: GeneKnowledge, source: GeneTableSource,
        log: (String) -> Void
    ) throws -> ZeroShotScores {
        let types = markers.matched(to: query.genes, knowledge: knowledge)
        for t in types where t.isAbsent {
            log(
                "marker type '\(t.type.name)' (\(markers.path), line \(t.type.line)): none of its positive markers (\(t.type.positive.joined(separator: ", "))) is in the data — reported and not scored"
            )
        }
        for t in types where !t.isAbsent && !t.missingPositive.isEmpty {
            log("marker type '\(t.type.name)': positive markers not in the data: \(t.missingPositive.joined(separator: ", "))")
        }
        let candidates = types.indices.filter { !types[$0].isAbsent }
        guard candidates.count >= 2 else {
            throw LexicellError(
                "only \(candidates.count) of the \(types.count) marker types have a positive marker in the data (check the species and the gene symbols): need at least two",
                file: markers.path)
        }
        let scored = candidates.map { types[$0] }
        let marker = MarkerScoring.scores(query.values, types: scored, topFraction: topFraction)

        let stage = TextEmbeddingStage(knowledge: knowledge, settings: settings, cachePath: cachePath)
        let markerSymbols = scored.flatMap { $0.positiveTextSymbols.compactMap { $0 } }
        let symbols = Array(Set(stage.neededSymbols(query)).union(markerSymbols)).sorted()
        let table = try stage.geneTable(source, symbols: symbols, log: log)
        let rows = CellEmbedder.alignGenes(query.genes, to: table, resolver: knowledge.resolver)
        let embedder = CellEmbedder(settings)
        let cells = embedder.embed(query, table: table, geneRows: rows)
        let coverage = GeneCoverage.compute(query, geneRows: rows, topN: settings.topN, labels: nil)
        var descriptions: DenseMatrix?
        var described = 0
        if case .model(let name) = source, scored.contains(where: { !$0.type.description.isEmpty }) {
            let keys = scored.indices.map { "marker-type-\($0)" }
            let withText = scored.indices.filter { !scored[$0].type.description.isEmpty }
            let texts = GeneTexts(symbols: withText.map { keys[$0] }, texts: withText.map { scored[$0].type.description }, source: markers.path)
            let t = try TextModels.embedGenes(symbols: texts.symbols, texts: texts, model: name, cachePath: cachePath, log: { _ in })
            var m = DenseMatrix(rows: scored.count, cols: t.dimension)
            for i in withText {
                guard let r = t.row(of: keys[i]) else { continue }
                for (j, x) in t.vectors.row(r).enumerated() { m.values[i * t.dimension + j] = x }
            }
            descriptions = m
            described = withText.count
            log("descriptions: \(described) of \(scored.count) types' descriptions embedded with \(t.modelIdentity)")
        } else if scored.contains(where: { !$0.type.description.isEmpty }) {
            log("descriptions: not used (the gene vectors do not come from a text model)")
        }
        let knowledgeScores = KnowledgeScoring.scores(
            cells: cells, types: KnowledgeScoring.typeVectors(scored, table: table, descriptions: descriptions))
        for t in scored where !t.positiveTextSymbols.contains(where: { $0.flatMap(table.row(of:)) != nil }) && t.type.description.isEmpty {
            log("marker type '\(t.type.name)': no positive marker has a gene text and there is no description: its knowledge score is 0")
        }
        var randomZ: DenseMatrix?
        if control, !isRandom(source) {
            let r = try GeneEmbeddingTable.random(symbols: table.symbols, dimension: table.dimension, seed: 0)
            let rCells = embedder.embed(query, table: r, geneRows: CellEmbedder.alignGenes(query.genes, to: r, resolver: knowledge.resolver))
            let rScores = KnowledgeScoring.scores(cells: rCells, types: KnowledgeScoring.typeVectors(scored, table: r, descriptions: nil))
            randomZ = ZeroShotCombination.zScoredPerType(rScores)
        }
        return ZeroShotScores(
            types: types, candidates: candidates, marker: marker, knowledge: knowledgeScores,
            markerZ: ZeroShotCombination.zScoredPerType(marker), knowledgeZ: ZeroShotCombination.zScoredPerType(knowledgeScores),
            randomKnowledgeZ: randomZ, embeddings: cells, table: table, coverage: coverage,
            genesWithText: knowledge.textSymbols(for: query.genes).compactMap { $0 }.count, descriptionsEmbedded: described)
    }

    func isRandom(_ s: GeneTableSource) -> Bool {
        if case .random = s { return true }
        return false
    }
}

extension ZeroShotScores {
    /// The best type per cell at knowledge weight `w` (names), with the softmax confidence at `temperature`.
    public func call(weight w: Double, random: Bool = false, temperature: Double = 1) -> (labels: [String], confidence: [Double], scores: DenseMatrix) {
        let k = random ? (randomKnowledgeZ ?? knowledgeZ) : knowledgeZ
        let s = ZeroShotCombination.combined(marker: markerZ, knowledge: k, weight: w)
        let (best, conf) = ZeroShotCombination.call(s, temperature: temperature)
        let names = candidateNames
        return (best.map { names[$0] }, conf, s)
    }

    /// Accuracy and macro F1 of the best labels against `truth`, over the cells whose true label is a type of
    /// the marker file (absent types included: their cells count as errors).
    public func metrics(labels: [String], truth: [String?]) -> ClassificationMetrics? {
        let names = types.map(\.type.name)
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let cells = truth.indices.filter { truth[$0].flatMap { index[$0] } != nil }
        guard !cells.isEmpty else { return nil }
        return ClassificationMetrics(
            truth: cells.map { index[truth[$0]!]! }, predicted: cells.map { index[labels[$0]]! }, classNames: names)
    }

    /// The best type by the raw marker score (AUC positive − AUC negative, not z-scored): the plain AUCell call,
    /// kept beside the z-scored marker-only mode so that the combination is compared with both.
    public func rawMarkerLabels() -> [String] {
        let names = candidateNames
        return ZeroShotCombination.call(marker).best.map { names[$0] }
    }

    /// The temperature that fits the combined scores at `w` to `truth` best (least log-loss over the cells whose
    /// true type is scored); nil without such cells.
    public func fittedTemperature(weight w: Double, truth: [String?]) -> Double? {
        let index = Dictionary(uniqueKeysWithValues: candidateNames.enumerated().map { ($1, $0) })
        let cells = truth.indices.filter { truth[$0].flatMap { index[$0] } != nil }
        guard !cells.isEmpty else { return nil }
        let s = call(weight: w).scores.selectingRows(cells)
        return TemperatureScaling.fit(scores: s, labels: cells.map { index[truth[$0]!]! })
    }

    /// Accuracy and macro F1 at each weight of `grid` (on the labelled cells given: the selection set's, when
    /// the curve chooses the weight).
    public func curve(truth: [String?], grid: [Double] = KnowledgeWeight.grid, random: Bool = false) -> [KnowledgeWeight.Point] {
        grid.compactMap { w in
            metrics(labels: call(weight: w, random: random).labels, truth: truth).map {
                KnowledgeWeight.Point(weight: w, accuracy: $0.accuracy, macroF1: $0.macroF1)
            }
        }
    }

    /// Per cell, why it has no signal at weight `w` (nil where it has): no counts; at w = 0 no marker among its
    /// top-ranked genes; at w = 1 no gene with a vector; in between neither.
    public func noSignal(_ query: ExpressionMatrix, weight w: Double) -> [String?] {
        let x = query.values
        return (0..<x.rows).map { c in
            let range = x.indptr[c]..<x.indptr[c + 1]
            if !range.contains(where: { x.values[$0] != 0 }) { return "no counts" }
            let markerSignal = marker.row(c).contains { $0 > 0 }
            let textSignal = embeddings.row(c).contains { $0 != 0 }
            if w == 0 { return markerSignal ? nil : "no marker among its top-ranked genes" }
            if w == 1 { return textSignal ? nil : "no gene with a text" }
            return markerSignal || textSignal ? nil : "no marker among its top-ranked genes and no gene with a text"
        }
    }
}
