import LexicellCore

/// Settings of the gene-text cell embedding. The defaults are the paper's; every command and library caller
/// reads them from here.
public struct CellEmbeddingSettings: Codable, Sendable, Equatable {
    /// The paper's N: each cell's 20 most expressed genes with a text.
    public static let defaultTopN = 20

    public var topN = defaultTopN
    public var weighting: CellWeighting = .mean
    public init(topN: Int = defaultTopN, weighting: CellWeighting = .mean) { self.topN = topN; self.weighting = weighting }
}

/// The one rule for which genes a cell embedding uses: a cell's `topN` most expressed genes (ties to the lower
/// gene index) among the eligible genes — those with a text, or a row in the gene table — and, for the second
/// view, not housekeeping genes. The genes a dataset needs embedded and the genes the embedding then reads both
/// come from `mask`, so they cannot disagree.
public struct TopGeneRule: Sendable {
    public var settings: CellEmbeddingSettings
    /// Per dataset gene: whether it may be used at all.
    public var eligible: [Bool]
    /// Dataset gene indices left out of the second view.
    public var housekeeping: Set<Int>

    public init(settings: CellEmbeddingSettings, eligible: [Bool], housekeeping: Set<Int> = []) {
        self.settings = settings
        self.eligible = eligible
        self.housekeeping = housekeeping
    }

    /// Per dataset gene, whether a view may select it: eligible, and not excluded.
    public static func mask(eligible: [Bool], excluding excluded: Set<Int>) -> [Bool] {
        var m = eligible
        for g in excluded where g < m.count { m[g] = false }
        return m
    }

    /// The mask of view 1 (all eligible genes) or view 2 (housekeeping genes removed).
    public func mask(withoutHousekeeping: Bool) -> [Bool] {
        withoutHousekeeping ? Self.mask(eligible: eligible, excluding: housekeeping) : eligible
    }

    /// Dataset gene indices (ascending) that some cell uses in either view: its top N there, or every eligible
    /// gene for GenePT-w. Embedding only these is what makes a first run on a new dataset quick.
    public func neededGenes(_ expression: ExpressionMatrix) -> [Int] {
        precondition(eligible.count == expression.geneCount, "TopGeneRule: \(eligible.count) flags for \(expression.geneCount) genes")
        if settings.weighting == .genePTw { return eligible.indices.filter { eligible[$0] } }
        let x = expression.values
        var needed = [Bool](repeating: false, count: x.cols)
        var selector = TopGeneSelector(capacity: settings.topN)
        for allowed in [mask(withoutHousekeeping: false), mask(withoutHousekeeping: true)] {
            for c in 0..<x.rows {
                selector.select(indices: x.indices, values: x.values, range: x.indptr[c]..<x.indptr[c + 1], allowed: allowed, n: settings.topN)
                for (g, _) in selector.selected { needed[g] = true }
            }
        }
        return needed.indices.filter { needed[$0] }
    }
}
