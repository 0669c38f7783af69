import Dispatch
import LexicellCore
import LexicellGenes

/// How a cell's top genes are combined into one vector.
public enum CellWeighting: String, CaseIterable, Codable, Sendable {
    /// The paper: plain mean of the top-N genes' embeddings.
    case mean
    /// The companion paper: mean weighted by each top gene's expression.
    case weighted
    /// GenePT-w: expression-weighted over all genes with an embedding (N is ignored).
    case genePTw = "genept-w"
}

/// Cell embeddings from gene embeddings: for each cell, its N most expressed genes among those with a vector
/// (optionally excluding a gene set such as housekeeping genes), combined by `weighting`.
public struct CellEmbedder: Sendable {
    public var topN: Int
    public var weighting: CellWeighting

    public init(topN: Int = CellEmbeddingSettings.defaultTopN, weighting: CellWeighting = .mean) {
        self.topN = topN
        self.weighting = weighting
    }

    /// Maps the dataset's genes to rows of the gene table (nil where a gene has no vector).
    public static func alignGenes(_ genes: [String], to table: GeneEmbeddingTable,
                                  resolver: GeneSymbolResolver = GeneSymbolResolver()) -> [Int?] {
        resolver.resolve(genes, against: table.symbolSet).map { $0.flatMap { table.row(of: $0) } }
    }

    public init(_ settings: CellEmbeddingSettings) { self.init(topN: settings.topN, weighting: settings.weighting) }

    /// One embedding per cell (rows in the order of `expression.cells`). `exclude` lists dataset gene indices
    /// left out of the selection (e.g. housekeeping genes for the second view); eligible genes are those with a
    /// row in the table (`TopGeneRule.mask`). A cell with no usable gene gets a zero vector (counted by
    /// `GeneCoverage.cellsWithoutGenes`).
    public func embed(_ expression: ExpressionMatrix, table: GeneEmbeddingTable, geneRows: [Int?],
                      exclude: Set<Int> = []) -> DenseMatrix {
        let x = expression.values
        let d = table.dimension
        var out = [Float](repeating: 0, count: x.rows * d)
        let allowed = TopGeneRule.mask(eligible: geneRows.map { $0 != nil }, excluding: exclude)
        // Each cell's row depends on that cell alone: the cells are split over both cores, one selector each.
        let workers = x.rows >= 2048 ? 2 : 1
        table.vectors.values.withUnsafeBufferPointer { gv in
            out.withUnsafeMutableBufferPointer { ob in
                let vectors = gv.baseAddress!, output = ob.baseAddress!
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var selector = TopGeneSelector(capacity: topN)
                    for c in (x.rows * w / workers)..<(x.rows * (w + 1) / workers) {
                        let dst = output + c * d
                        var total: Float = 0
                        func add(_ g: Int, _ weight: Float) {
                            let src = vectors + geneRows[g]! * d
                            for j in 0..<d { dst[j] += weight * src[j] }
                            total += weight
                        }
                        let lo = x.indptr[c], hi = x.indptr[c + 1]
                        if weighting == .genePTw {
                            for k in lo..<hi where allowed[Int(x.indices[k])] && x.values[k] > 0 { add(Int(x.indices[k]), x.values[k]) }
                        } else {
                            selector.select(indices: x.indices, values: x.values, range: lo..<hi, allowed: allowed, n: topN)
                            for (g, v) in selector.selected { add(g, weighting == .mean ? 1 : v) }
                        }
                        if total > 0 { for j in 0..<d { dst[j] /= total } }
                    }
                }
            }
        }
        return DenseMatrix(rows: x.rows, cols: d, values: out)
    }
}

/// Picks the N largest positive entries of a sparse row among allowed columns; ties go to the lower gene index,
/// so the choice is deterministic.
public struct TopGeneSelector {
    public private(set) var selected: [(gene: Int, value: Float)] = []
    public init(capacity: Int) { selected.reserveCapacity(capacity + 1) }

    public mutating func select(indices: [Int32], values: [Float], range: Range<Int>, allowed: [Bool], n: Int) {
        selected.removeAll(keepingCapacity: true)
        guard n > 0 else { return }
        for k in range {
            let g = Int(indices[k]), v = values[k]
            guard v > 0, allowed[g] else { continue }
            if selected.count == n {
                let last = selected[n - 1]
                if v < last.value || (v == last.value && g > last.gene) { continue }
                selected.removeLast()
            }
            // Insertion into a short sorted list (N is ~20): cheaper than a heap here.
            var i = selected.count
            selected.append((g, v))
            while i > 0 && (selected[i - 1].value < v || (selected[i - 1].value == v && selected[i - 1].gene > g)) {
                selected[i] = selected[i - 1]
                i -= 1
            }
            selected[i] = (g, v)
        }
    }
}

/// How many of each cell's top-N genes (over all genes) have a vector: the coverage GenePT left unreported.
public struct GeneCoverage: Codable, Sendable {
    /// Mean over cells of (top-N genes with a vector) / (top-N genes).
    public var meanFraction: Double
    /// The same per class label.
    public var perClass: [String: Double]
    /// Cells where no gene had a vector.
    public var cellsWithoutGenes: Int
    /// Mean fraction of each cell's top-N genes that are in the excluded (housekeeping) set.
    public var meanExcludedFraction: Double

    public static func compute(_ expression: ExpressionMatrix, geneRows: [Int?], topN: Int, labels: [String]?,
                               excluded: Set<Int> = []) -> GeneCoverage {
        let x = expression.values
        let all = [Bool](repeating: true, count: x.cols)
        var selector = TopGeneSelector(capacity: topN)
        var fractions = [Double](), exFractions = [Double]()
        var empty = 0
        for c in 0..<x.rows {
            selector.select(indices: x.indices, values: x.values, range: x.indptr[c]..<x.indptr[c + 1], allowed: all, n: topN)
            let sel = selector.selected
            let with = sel.filter { geneRows[$0.gene] != nil }.count
            if with == 0 { empty += 1 }
            fractions.append(sel.isEmpty ? 0 : Double(with) / Double(sel.count))
            exFractions.append(sel.isEmpty ? 0 : Double(sel.filter { excluded.contains($0.gene) }.count) / Double(sel.count))
        }
        var perClass = [String: Double]()
        if let labels {
            var sums = [String: (Double, Int)]()
            for (c, l) in labels.enumerated() { sums[l, default: (0, 0)].0 += fractions[c]; sums[l, default: (0, 0)].1 += 1 }
            perClass = sums.mapValues { $0.0 / Double($0.1) }
        }
        return GeneCoverage(meanFraction: fractions.reduce(0, +) / Double(max(1, fractions.count)), perClass: perClass,
                            cellsWithoutGenes: empty,
                            meanExcludedFraction: exFractions.reduce(0, +) / Double(max(1, exFractions.count)))
    }
}
