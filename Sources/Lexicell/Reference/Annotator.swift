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
        s += String(
            format: "; %d shared with the reference's %d genes; %.1f %% of each cell's top genes covered",
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

    /// The whole query at once: `plan`, one block, and the overlap check.
    public func annotate(
        _ query: ExpressionMatrix, querySpecies: Species, with bundle: ReferenceBundle,
        knowledge: GeneKnowledge, orthologs: OrthologMap?, log: (String) -> Void
    ) throws -> Annotation {
        let plan = try self.plan(
            genes: query.genes, querySpecies: querySpecies, with: bundle, knowledge: knowledge, orthologs: orthologs,
            scan: { visit in try visit(query) }, log: log)
        var a = try plan.annotate(query)
        a.overlap = try plan.finish(coverage: plan.coverage(query), log: log)
        return a
    }

    /// What annotating needs before the first cell: the query genes renamed into the reference's species and
    /// matched to its classifier, and for text bundles the gene vectors of every gene among some cell's top
    /// genes (`scan` passes each block of the query to the visitor once, for that).
    public func plan(
        genes queryGenes: [String], querySpecies: Species, with bundle: ReferenceBundle,
        knowledge: GeneKnowledge, orthologs: OrthologMap?,
        scan: ((ExpressionMatrix) throws -> Void) throws -> Void, log: (String) -> Void
    ) throws -> AnnotationPlan {
        let m = bundle.manifest
        var genes = queryGenes
        var mapped: Int?
        if querySpecies != m.species {
            guard let orthologs else {
                throw LexicellError("query is \(querySpecies.rawValue) but the reference \(m.species.rawValue): an ortholog table is needed")
            }
            let map = querySpecies == .mouse ? orthologs.mouseToHuman : orthologs.humanToMouse
            var n = 0
            genes = genes.map { g in if let o = map[g] { n += 1; return o } else { return g } }
            mapped = n
        }
        var plan = AnnotationPlan(bundle: bundle, genes: genes, minConfidence: minConfidence, minTopGeneCoverage: minTopGeneCoverage)
        if let classifier = bundle.classifier {
            let selected = classifier.baseline.selectedGenes
            let present = Set(genes).intersection(selected).count
            var overlap = GeneOverlap(
                queryGenes: genes.count, orthologMapped: mapped, withText: 0,
                sharedWithReference: Set(genes).intersection(bundle.genes).count,
                referenceGenes: bundle.genes.count, topGeneCoverage: Double(present) / Double(max(selected.count, 1)))
            overlap.classifierGenes = (present, selected.count)
            log(overlap.summary)
            guard present * 2 >= selected.count else {
                throw LexicellError(
                    "gene overlap too small: only \(present) of the \(selected.count) genes the reference classifier uses are in the query (need at least half; check the species and the gene symbol column)"
                )
            }
            plan.overlap = overlap
            plan.classifier = classifier
            let classifierGenes = Set(selected)
            plan.usable = genes.map { classifierGenes.contains($0) }
            return plan
        }
        let source = try GeneTableSource(bundleDescription: m.geneEmbeddingSource)
        let stage = TextEmbeddingStage(
            knowledge: knowledge, settings: CellEmbeddingSettings(topN: m.topN, weighting: m.weighting),
            cachePath: cachePath)
        // The genes some cell ranks among its top N: one pass over the query (top-N selection only).
        let rule = stage.rule(genes: genes)
        let symbols = knowledge.textSymbols(for: genes)
        var needed = Set<String>()
        try scan { block in
            let renamed = ExpressionMatrix(values: block.values, genes: genes, cells: block.cells)
            for g in rule.neededGenes(renamed) { if let s = symbols[g] { needed.insert(s) } }
        }
        let withText = symbols.compactMap { $0 }.count
        let table = try stage.geneTable(
            source, symbols: needed.sorted(), defaultDimension: bundle.refiner?.inputDim ?? bundle.embeddings.cols, log: log)
        guard table.modelIdentity == m.geneEmbeddingModel else {
            throw LexicellError(
                "the reference was built with gene vectors from \(m.geneEmbeddingModel), but \(table.modelIdentity) is what is available now; use the same model (and weights) as the reference"
            )
        }
        let rows = CellEmbedder.alignGenes(genes, to: table, resolver: knowledge.resolver)
        plan.overlap = GeneOverlap(
            queryGenes: genes.count, orthologMapped: mapped, withText: withText,
            sharedWithReference: Set(genes).intersection(Set(bundle.genes)).count,
            referenceGenes: bundle.genes.count, topGeneCoverage: 0)
        guard withText >= minGenesWithText else {
            throw LexicellError(
                "gene overlap too small to mean anything: \(withText) of \(genes.count) query genes have a text (need ≥ \(minGenesWithText); check the species and the gene symbol column)"
            )
        }
        plan.table = table
        plan.rows = rows
        plan.settings = stage.settings
        plan.usable = rows.map { $0 != nil }
        return plan
    }
}

/// Fixed-point sums (2^-32 units): exact and order-free, so blocks and shards add up to the whole run's value.
public struct CoverageTally: Codable, Sendable, Equatable {
    public var sum: Int64 = 0
    public var cells = 0
    public init() {}
    public static func + (a: CoverageTally, b: CoverageTally) -> CoverageTally {
        var c = a
        c.sum += b.sum
        c.cells += b.cells
        return c
    }
    public var mean: Double { cells == 0 ? 0 : Double(sum) / 4_294_967_296 / Double(cells) }
}

/// A query's classification settled before its cells are seen (`Annotator.plan`): block by block, each
/// cell's label depends on that cell alone, so any split of the query gives the same labels.
public struct AnnotationPlan {
    public let bundle: ReferenceBundle
    /// Query genes in the reference's species.
    public let genes: [String]
    public let minConfidence: Double
    public let minTopGeneCoverage: Double
    /// Without coverage (text bundles) until `finish`.
    public internal(set) var overlap: GeneOverlap!
    var classifier: ExpressionClassifier?
    var table: GeneEmbeddingTable?
    var rows: [Int?] = []
    var settings = CellEmbeddingSettings()
    /// Genes that carry signal for the classifier (a cell expressing none is Unassigned).
    var usable: [Bool] = []

    init(bundle: ReferenceBundle, genes: [String], minConfidence: Double, minTopGeneCoverage: Double) {
        self.bundle = bundle
        self.genes = genes
        self.minConfidence = minConfidence
        self.minTopGeneCoverage = minTopGeneCoverage
    }

    /// The gene vectors used (text bundles), for reading genes.
    public var geneTable: GeneEmbeddingTable? { table }

    /// Cells are classified in groups of this many at query positions aligned to it, padded with empty
    /// cells: BLAS (OpenBLAS picks its kernels by the matrix sizes) then sees the same sizes for every cell
    /// whatever the block or shard, so each cell's numbers do not depend on how the query was split.
    public static let alignment = 1024

    /// One block of query cells (genes as given to `plan`); `first` is the query position of its first cell.
    public func annotate(_ block: ExpressionMatrix, first: Int = 0) throws -> Annotation {
        let m = bundle.manifest
        let renamed = ExpressionMatrix(values: block.values, genes: genes, cells: block.cells)
        let n = block.cellCount, b = Self.alignment
        var x = [Float](), cols = 0
        var best = [Int](), confidence = [Double](), similarity = [Double]()
        x.reserveCapacity(n * 64)
        var group = (first / b) * b
        while group < first + n {
            let lo = max(group, first), hi = min(group + b, first + n)
            let padded = Self.padded(block.values, rows: (lo - first)..<(hi - first), before: lo - group, total: b)
            let r = try classify(ExpressionMatrix(values: padded, genes: genes, cells: [String](repeating: "", count: b)))
            let keep = (lo - group)..<(hi - group)
            cols = r.x.cols
            x += r.x.values[(keep.lowerBound * cols)..<(keep.upperBound * cols)]
            best += r.best[keep]
            confidence += r.confidence[keep]
            similarity += r.similarity[keep]
            group += b
        }
        let names = best.map { m.classNames[$0] }
        var a = Annotation(
            cells: block.cells, labels: names, bestLabels: names, confidence: confidence, meanSimilarity: similarity,
            embeddings: DenseMatrix(rows: n, cols: cols, values: x), overlap: overlap, query: renamed, geneTable: table)
        let why = classifier != nil ? "no gene of the reference classifier" : "no gene with a text"
        a.abstain(noSignal: Annotation.noSignal(renamed, usable: usable, what: why), minConfidence: minConfidence)
        return a
    }

    /// Rows `rows` of `x` after `before` empty rows, then empty rows up to `total`.
    static func padded(_ x: SparseMatrix, rows: Range<Int>, before: Int, total: Int) -> SparseMatrix {
        var indptr = [Int](repeating: 0, count: total + 1)
        let base = x.indptr[rows.lowerBound]
        for (i, r) in rows.enumerated() { indptr[before + i + 1] = x.indptr[r + 1] - base }
        for i in (before + rows.count + 1)..<(total + 1) { indptr[i] = indptr[before + rows.count] }
        let span = base..<x.indptr[rows.upperBound]
        return SparseMatrix(rows: total, cols: x.cols, indptr: indptr, indices: Array(x.indices[span]), values: Array(x.values[span]))
    }

    /// The representation and the classifier's call for each row of `cells` (renamed genes).
    private func classify(_ cells: ExpressionMatrix) throws -> (x: DenseMatrix, best: [Int], confidence: [Double], similarity: [Double]) {
        let m = bundle.manifest
        if let classifier {
            let x = try classifier.represent(cells)
            let (best, confidence, similarity) = classifier.classify(
                x, reference: bundle.embeddings, labels: bundle.labels, classCount: m.classNames.count)
            return (x, best, confidence, similarity)
        }
        var x = CellEmbedder(settings).embed(cells, table: table!, geneRows: rows)
        if let r = bundle.refiner { x = try r.embed(x) }
        let p = KNNClassifier(reference: bundle.embeddings, labels: bundle.labels, classCount: m.classNames.count).predict(x, k: m.k)
        return (x, p.labels, p.voteFraction, p.meanSimilarity)
    }

    /// Of a block's cells, how many of each one's top-N genes have a vector (text bundles; zero otherwise).
    public func coverage(_ block: ExpressionMatrix) -> CoverageTally {
        var t = CoverageTally()
        guard table != nil else { return t }
        let x = block.values
        let all = [Bool](repeating: true, count: x.cols)
        var selector = TopGeneSelector(capacity: settings.topN)
        for c in 0..<x.rows {
            selector.select(indices: x.indices, values: x.values, range: x.indptr[c]..<x.indptr[c + 1], allowed: all, n: settings.topN)
            let sel = selector.selected
            if !sel.isEmpty {
                let with = sel.filter { rows[$0.gene] != nil }.count
                t.sum += (Int64(with) << 32) / Int64(sel.count)
            }
            t.cells += 1
        }
        return t
    }

    /// The overlap with the coverage of all cells; refuses a query whose top genes mostly have no vector.
    public func finish(coverage: CoverageTally, log: (String) -> Void) throws -> GeneOverlap {
        guard table != nil else { return overlap }
        var o = overlap!
        o.topGeneCoverage = coverage.mean
        log(o.summary)
        guard o.topGeneCoverage >= minTopGeneCoverage else {
            throw LexicellError(
                "gene overlap too small to mean anything: " + o.summary
                    + String(format: " (need ≥ %.0f %% top-gene coverage; check the species and the gene symbol column)", 100 * minTopGeneCoverage))
        }
        return o
    }
}
