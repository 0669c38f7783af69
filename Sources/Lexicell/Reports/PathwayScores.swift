import Foundation
import LexicellCore
import LexicellIO
import LexicellPathways

/// The gene sets whose per-cell activity is scored (AUCell-style, `PathwayCellScores.auc`), chosen from a
/// pathway reading, with what a run writes of them: `pathway_scores.csv`, obs columns
/// `lexicell_pathway_<set id>` and the obsm matrix `X_lexicell_pathways` (columns in the order of the obs
/// columns).
///
/// Scores need no normalisation: a cell's score depends only on the order of its own values, which counts,
/// counts per 10⁴ and their log1p share. Each cell is scored on its own, so a query read in chunks of cells
/// gives, chunk by chunk, exactly the rows of the whole matrix (`scorer(genes:)`, then `scores(_:)` per chunk).
public struct PathwayScoreSets: Sendable {
    public struct Entry: Sendable, Equatable {
        public var collection: String
        public var id: String
        public var name: String
        /// The comparison group in which the set was among the top ones (the first such group).
        public var group: String
        /// Member genes as named in the data the reading ran on.
        public var genes: [String]
    }

    public var entries: [Entry]
    /// AUCell's share of each cell's ranking that counts (top 5 % of genes).
    public var topFraction = 0.05

    public init(entries: [Entry], topFraction: Double = 0.05) {
        self.entries = entries
        self.topFraction = topFraction
    }

    /// The top sets of a reading: per comparison, the `perGroup` sets enriched in the group (preranked GSEA,
    /// NES > 0) with the smallest FDR (then p, then largest NES) among those with FDR ≤ `maxFDR`, taken in
    /// rounds (every group's best first, then every group's second, …) until `maxSets`; a set chosen for
    /// two groups is scored once.
    public static func top(_ analysis: PathwayAnalysis, perGroup: Int = 2, maxSets: Int = 20, maxFDR: Double = 0.25) -> PathwayScoreSets {
        let ranked = analysis.comparisons.map { c in
            PathwayReport.rankedGSEA(c).filter { $0.result.normalizedEnrichmentScore > 0 && $0.result.fdr <= maxFDR }
        }
        var seen = Set<String>(), entries = [Entry]()
        let genesOf = Dictionary(
            analysis.matched.flatMap { m in m.sets.map { ("\(m.collection)\t\($0.id)", $0.genes) } }, uniquingKeysWith: { a, _ in a })
        for round in 0..<max(perGroup, 0) {
            for (c, list) in zip(analysis.comparisons, ranked) where round < list.count && entries.count < maxSets {
                let (collection, r) = list[round]
                let key = "\(collection)\t\(r.id)"
                guard !seen.contains(key), let members = genesOf[key] else { continue }
                seen.insert(key)
                entries.append(
                    Entry(
                        collection: collection, id: r.id, name: PathwayReport.displayName(r.id, r.name), group: c.group,
                        genes: members.map { analysis.genes[Int($0)] }))
            }
        }
        return PathwayScoreSets(entries: entries)
    }

    /// obs column names, `lexicell_pathway_<id>` with characters other than letters, digits and `_` as `_`
    /// (`GO:0050853` → `lexicell_pathway_GO_0050853`); an id met twice gets its collection appended.
    public var obsNames: [String] {
        func clean(_ s: String) -> String {
            String(s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "_" })
        }
        var count = [String: Int]()
        for e in entries { count[clean(e.id), default: 0] += 1 }
        return entries.map { e in
            let id = clean(e.id)
            return "lexicell_pathway_" + (count[id]! > 1 ? id + "_" + clean(e.collection) : id)
        }
    }

    public static let obsmName = "X_lexicell_pathways"

    /// A scorer for data whose genes are `genes` (set members are found by name; members the data lack are
    /// left out, and a set with none scores 0 in every cell).
    public func scorer(genes: [String]) -> PathwayCellScorer {
        var index = [String: Int32]()
        for (i, g) in genes.enumerated() where index[g] == nil { index[g] = Int32(i) }
        let sets = entries.map { e in
            MatchedGeneSet(id: e.id, name: e.name, size: e.genes.count, genes: Array(Set(e.genes.compactMap { index[$0] })).sorted())
        }
        return PathwayCellScorer(sets: sets, geneCount: genes.count, topFraction: topFraction)
    }

    /// `pathway_scores.csv` header: `cell`, then one column per set (its obs name).
    public var csvHeader: String { (["cell"] + obsNames).map(EmbeddingTableCSV.quote).joined(separator: ",") + "\n" }

    /// Rows of `pathway_scores.csv` for `cells` (a chunk's names) and their scores.
    public func csvRows(cells: [String], scores: DenseMatrix) -> String {
        precondition(cells.count == scores.rows && scores.cols == entries.count, "csvRows: cells and scores differ")
        var s = ""
        for (i, c) in cells.enumerated() {
            s += EmbeddingTableCSV.quote(c)
            for j in 0..<scores.cols { s += "," + String(format: "%.5g", Double(scores[i, j])) }
            s += "\n"
        }
        return s
    }

    /// What annotated.h5ad takes: one numeric obs column per set and the cells × sets matrix for obsm.
    public func h5adColumns(scores: DenseMatrix) -> (obs: [(String, ObsColumn)], obsm: (String, DenseMatrix)) {
        precondition(scores.cols == entries.count, "h5adColumns: one score column per set")
        let obs = obsNames.enumerated().map { (j, name) in
            (name, ObsColumn.numbers((0..<scores.rows).map { Double(scores[$0, j]) }))
        }
        return (obs, (Self.obsmName, scores))
    }

    /// Per label and set: the mean score of the label's cells and the share of them with a score above 0
    /// (nil labels, e.g. Unassigned cells, are left out). Labels in natural order.
    public func byLabel(scores: DenseMatrix, labels: [String?]) -> (labels: [String], mean: [[Double]], fraction: [[Double]]) {
        precondition(labels.count == scores.rows, "byLabel: one label per cell")
        let names = Array(Set(labels.compactMap { $0 })).sorted { $0.compare($1, options: [.numeric]) == .orderedAscending }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var sum = [[Double]](repeating: [Double](repeating: 0, count: names.count), count: scores.cols)
        var positive = sum
        var n = [Int](repeating: 0, count: names.count)
        for (i, l) in labels.enumerated() {
            guard let l, let g = index[l] else { continue }
            n[g] += 1
            for j in 0..<scores.cols {
                let v = Double(scores[i, j])
                sum[j][g] += v
                if v > 0 { positive[j][g] += 1 }
            }
        }
        for j in 0..<scores.cols {
            for g in names.indices {
                sum[j][g] /= Double(max(n[g], 1))
                positive[j][g] /= Double(max(n[g], 1))
            }
        }
        return (names, sum, positive)
    }
}

/// Scores cells against fixed gene sets; cheap to copy, safe to share across threads.
public struct PathwayCellScorer: Sendable {
    /// The sets as indices into the scored data's genes.
    public let sets: [MatchedGeneSet]
    public let geneCount: Int
    public let topFraction: Double

    /// cells × sets for `chunk` (any rows of the data; its columns must be the scorer's genes).
    public func scores(_ chunk: SparseMatrix) -> DenseMatrix {
        precondition(chunk.cols == geneCount, "PathwayCellScorer: the chunk has \(chunk.cols) genes, the scorer \(geneCount)")
        let present = sets.indices.filter { !sets[$0].genes.isEmpty }
        let auc = PathwayCellScores.auc(chunk, sets: present.map { sets[$0] }, topFraction: topFraction)
        guard present.count != sets.count else { return auc }
        var out = DenseMatrix(rows: chunk.rows, cols: sets.count)
        for i in 0..<chunk.rows { for (k, j) in present.enumerated() { out[i, j] = auc[i, k] } }
        return out
    }

    public func scores(_ chunk: ExpressionMatrix) -> DenseMatrix { scores(chunk.values) }
}
