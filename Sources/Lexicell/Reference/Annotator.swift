import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells
import LexicellClassify

/// How well a query's genes meet the reference's gene knowledge.
public struct GeneOverlap: Codable, Sendable {
    public var queryGenes: Int
    /// Query genes renamed through orthologs (cross-species) or aliases that found a partner.
    public var orthologMapped: Int?
    /// Query genes with a text (hence a vector) in the reference's gene knowledge.
    public var withText: Int
    /// Query genes also measured in the reference dataset.
    public var sharedWithReference: Int
    public var referenceGenes: Int
    /// Mean fraction of each query cell's top-N genes that have a vector.
    public var topGeneCoverage: Double

    /// Expression bundles: how many of the classifier's genes the query has, of how many.
    public var classifierGenes: (present: Int, total: Int)?

    enum CodingKeys: String, CodingKey {
        case queryGenes, orthologMapped, withText, sharedWithReference, referenceGenes, topGeneCoverage
    }

    public var summary: String {
        if let c = classifierGenes {
            return "gene overlap: \(c.present) of the expression classifier's \(c.total) genes are in the query"
                + (orthologMapped.map { " (after mapping \($0) genes through HCOP orthologs)" } ?? "")
                + "; \(sharedWithReference) of \(queryGenes) query genes shared with the reference's \(referenceGenes)"
        }
        var s = "gene overlap: \(withText) of \(queryGenes) query genes have a text"
        if let m = orthologMapped { s += " (after mapping \(m) genes through HCOP orthologs)" }
        s += String(format: "; %d shared with the reference's %d genes; %.1f %% of each cell's top genes covered",
                    sharedWithReference, referenceGenes, 100 * topGeneCoverage)
        return s
    }
}

/// Labels of query cells from a reference bundle, with confidence.
public struct Annotation: Sendable {
    public var cells: [String]
    /// Predicted class, or `Unassigned` below the confidence threshold.
    public var labels: [String]
    /// The best class before the threshold.
    public var bestLabels: [String]
    /// Fraction of the k neighbours voting for the best class.
    public var confidence: [Double]
    public var meanSimilarity: [Double]
    /// Query cells in the reference's space.
    public var embeddings: DenseMatrix
    public var overlap: GeneOverlap
    /// The query as embedded (genes renamed to the reference's species) and the gene vectors used, for reading genes.
    public var query: ExpressionMatrix
    /// nil for expression bundles (their reading is the classifier's own weights).
    public var geneTable: GeneEmbeddingTable?
    /// Why a cell is Unassigned ("" when it is labelled): no counts, no usable gene, or low confidence.
    public var reasons: [String] = []
    /// The abstention marker (a training class of that name is refused when labels are read).
    public static let unassigned = LabelTable.unassigned

    /// Applies the abstention rules: cells without signal (`noSignal[i]` names why) get `Unassigned` with
    /// confidence 0 — never a confident label from a zero vector — and cells below `minConfidence` get `Unassigned`.
    mutating func abstain(noSignal: [String?], minConfidence: Double) {
        reasons = [String](repeating: "", count: cells.count)
        for i in cells.indices {
            if let why = noSignal[i] {
                labels[i] = Self.unassigned
                confidence[i] = 0
                reasons[i] = why
            } else if confidence[i] < minConfidence {
                labels[i] = Self.unassigned
                reasons[i] = "low confidence"
            }
        }
    }

    /// Per cell, why it carries no signal for the classifier: no counts at all, or none of `usable` genes
    /// (dataset gene indices) expressed; nil for cells with signal.
    static func noSignal(_ query: ExpressionMatrix, usable: [Bool], what: String) -> [String?] {
        let x = query.values
        return (0..<x.rows).map { c in
            let range = x.indptr[c]..<x.indptr[c + 1]
            if !range.contains(where: { x.values[$0] != 0 }) { return "no counts" }
            return range.contains(where: { x.values[$0] > 0 && usable[Int(x.indices[$0])] }) ? nil : what
        }
    }
}

public struct Annotator {
    public var minConfidence = 0.0
    /// Refuse when fewer of each cell's top genes than this have a vector, on average.
    public var minTopGeneCoverage = 0.3
    /// Refuse when fewer query genes than this have a text.
    public var minGenesWithText = 100
    public var cachePath: String?
    public init() {}

    public func annotate(_ query: ExpressionMatrix, querySpecies: Species, with bundle: ReferenceBundle,
                         knowledge: GeneKnowledge, orthologs: OrthologMap?, log: (String) -> Void) throws -> Annotation {
        let m = bundle.manifest
        var genes = query.genes
        var mapped: Int?
        if querySpecies != m.species {
            guard let orthologs else { throw LexicellError("query is \(querySpecies.rawValue) but the reference \(m.species.rawValue): an ortholog table is needed") }
            let map = querySpecies == .mouse ? orthologs.mouseToHuman : orthologs.humanToMouse
            var n = 0
            genes = genes.map { g in if let o = map[g] { n += 1; return o } else { return g } }
            mapped = n
        }
        let renamed = ExpressionMatrix(values: query.values, genes: genes, cells: query.cells)
        if let classifier = bundle.classifier {
            return try annotateByExpression(renamed, original: query, classifier: classifier, bundle: bundle, orthologMapped: mapped, log: log)
        }
        let source = try GeneTableSource(bundleDescription: m.geneEmbeddingSource)
        let stage = TextEmbeddingStage(knowledge: knowledge, settings: CellEmbeddingSettings(topN: m.topN, weighting: m.weighting),
                                       cachePath: cachePath)
        let needed = stage.neededSymbols(renamed)
        let withText = knowledge.textSymbols(for: genes).compactMap { $0 }.count
        let refSet = Set(bundle.genes)
        let shared = Set(genes).intersection(refSet).count
        let table = try stage.geneTable(source, symbols: needed, defaultDimension: bundle.refiner?.inputDim ?? bundle.embeddings.cols, log: log)
        guard table.modelIdentity == m.geneEmbeddingModel else {
            throw LexicellError("the reference was built with gene vectors from \(m.geneEmbeddingModel), but \(table.modelIdentity) is what is available now; use the same model (and weights) as the reference")
        }
        let rows = CellEmbedder.alignGenes(renamed.genes, to: table, resolver: knowledge.resolver)
        let coverage = GeneCoverage.compute(renamed, geneRows: rows, topN: m.topN, labels: nil)
        let overlap = GeneOverlap(queryGenes: genes.count, orthologMapped: mapped, withText: withText, sharedWithReference: shared,
                                  referenceGenes: bundle.genes.count, topGeneCoverage: coverage.meanFraction)
        log(overlap.summary)
        guard withText >= minGenesWithText, coverage.meanFraction >= minTopGeneCoverage else {
            throw LexicellError("gene overlap too small to mean anything: " + overlap.summary
                + String(format: " (need ≥ %d genes with a text and ≥ %.0f %% top-gene coverage; check the species and the gene symbol column)",
                         minGenesWithText, 100 * minTopGeneCoverage))
        }
        var x = CellEmbedder(stage.settings).embed(renamed, table: table, geneRows: rows)
        if let r = bundle.refiner { x = try r.embed(x) }
        let knn = KNNClassifier(reference: bundle.embeddings, labels: bundle.labels, classCount: m.classNames.count)
        let p = knn.predict(x, k: m.k)
        let best = p.labels.map { m.classNames[$0] }
        var a = Annotation(cells: query.cells, labels: best, bestLabels: best, confidence: p.voteFraction,
                           meanSimilarity: p.meanSimilarity, embeddings: x, overlap: overlap, query: renamed, geneTable: table)
        a.abstain(noSignal: Annotation.noSignal(renamed, usable: rows.map { $0 != nil }, what: "no gene with a text"),
                  minConfidence: minConfidence)
        return a
    }
}

extension Annotator {
    /// Expression bundles: the reference's genes, scaling and PCA applied to the query, then its head.
    func annotateByExpression(_ renamed: ExpressionMatrix, original: ExpressionMatrix, classifier: ExpressionClassifier,
                              bundle: ReferenceBundle, orthologMapped: Int?, log: (String) -> Void) throws -> Annotation {
        let m = bundle.manifest
        let selected = classifier.baseline.selectedGenes
        let present = Set(renamed.genes).intersection(selected).count
        var overlap = GeneOverlap(queryGenes: renamed.geneCount, orthologMapped: orthologMapped, withText: 0,
                                  sharedWithReference: Set(renamed.genes).intersection(bundle.genes).count,
                                  referenceGenes: bundle.genes.count, topGeneCoverage: Double(present) / Double(max(selected.count, 1)))
        overlap.classifierGenes = (present, selected.count)
        log(overlap.summary)
        guard present * 2 >= selected.count else {
            throw LexicellError("gene overlap too small: only \(present) of the \(selected.count) genes the reference classifier uses are in the query (need at least half; check the species and the gene symbol column)")
        }
        let x = try classifier.represent(renamed)
        let (best, probability, similarity) = classifier.classify(x, reference: bundle.embeddings, labels: bundle.labels,
                                                                  classCount: m.classNames.count)
        let names = best.map { m.classNames[$0] }
        var a = Annotation(cells: original.cells, labels: names, bestLabels: names, confidence: probability, meanSimilarity: similarity,
                           embeddings: x, overlap: overlap, query: renamed, geneTable: nil)
        let classifierGenes = Set(selected)
        a.abstain(noSignal: Annotation.noSignal(renamed, usable: renamed.genes.map { classifierGenes.contains($0) },
                                                what: "no gene of the reference classifier"),
                  minConfidence: minConfidence)
        return a
    }
}
