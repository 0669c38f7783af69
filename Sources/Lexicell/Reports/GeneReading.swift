import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells

/// Which genes drive a subtype's embedding.
public struct GeneReading: Codable, Sendable {
    public struct Gene: Codable, Sendable {
        public var symbol: String
        /// Fraction of the class's cells with the gene among their top N, and of the other cells.
        public var inClass: Double
        public var inOthers: Double
        /// log((a + ½)/(n_c − a + ½)) − log((b + ½)/(n_o − b + ½)): how much more often it is a top gene here.
        public var logOdds: Double
        /// The gene's share of the class centroid's length along its own direction (shares sum to 1 over genes).
        public var centroidShare: Double
        public var firstSentence: String
    }

    public var group: String
    public var cells: Int
    public var genes: [Gene]

    /// One reading per class (or group): its `top` genes by log-odds. `labels` index `classNames`.
    public static func compute(
        expression: ExpressionMatrix, labels: [Int], classNames: [String], table: GeneEmbeddingTable,
        knowledge: GeneKnowledge, topN: Int, top: Int = 10
    ) -> [GeneReading] {
        let rows = CellEmbedder.alignGenes(expression.genes, to: table, resolver: knowledge.resolver)
        let allowed = rows.map { $0 != nil }
        let x = expression.values
        let c = classNames.count
        var inTop = [[Int]](repeating: [Int](repeating: 0, count: x.cols), count: c)
        // Weight of each gene in the class centroid: mean over cells of 1/|G_j| for g ∈ G_j.
        var weight = [[Double]](repeating: [Double](repeating: 0, count: x.cols), count: c)
        var sizes = [Int](repeating: 0, count: c)
        var sel = TopGeneSelector(capacity: topN)
        for cell in 0..<x.rows {
            let l = labels[cell]
            sizes[l] += 1
            sel.select(indices: x.indices, values: x.values, range: x.indptr[cell]..<x.indptr[cell + 1], allowed: allowed, n: topN)
            for (g, _) in sel.selected {
                inTop[l][g] += 1
                weight[l][g] += 1 / Double(sel.selected.count)
            }
        }
        let total = (0..<x.cols).map { g in (0..<c).reduce(0) { $0 + inTop[$1][g] } }
        let d = table.dimension
        return (0..<c).map { l in
            let n = Double(sizes[l]), others = Double(x.rows - sizes[l])
            // Centroid z = Σ_g w_g e_g (w_g averaged over the class's cells); share_g = w_g e_g·ẑ / ‖z‖.
            var z = [Double](repeating: 0, count: d)
            for g in 0..<x.cols where weight[l][g] > 0 {
                let r = rows[g]!
                for j in 0..<d { z[j] += weight[l][g] / n * Double(table.vectors[r, j]) }
            }
            let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var genes = [Gene]()
            for g in 0..<x.cols where inTop[l][g] > 0 {
                let a = Double(inTop[l][g]), b = Double(total[g] - inTop[l][g])
                let lo = log((a + 0.5) / (n - a + 0.5)) - log((b + 0.5) / (others - b + 0.5))
                var dot = 0.0
                let r = rows[g]!
                for j in 0..<d { dot += Double(table.vectors[r, j]) * z[j] }
                let share = norm > 0 ? weight[l][g] / n * dot / (norm * norm) : 0
                let symbol = table.symbols[r]
                genes.append(
                    Gene(
                        symbol: symbol, inClass: a / n, inOthers: others > 0 ? b / others : 0, logOdds: lo,
                        centroidShare: share, firstSentence: firstSentence(knowledge.texts.text(for: symbol) ?? "")))
            }
            genes.sort { $0.logOdds != $1.logOdds ? $0.logOdds > $1.logOdds : $0.symbol < $1.symbol }
            return GeneReading(group: classNames[l], cells: sizes[l], genes: Array(genes.prefix(top)))
        }
    }

    static func firstSentence(_ text: String) -> String {
        guard let r = text.range(of: ". ") else { return text }
        return String(text[..<r.lowerBound]) + "."
    }

    public static func csv(_ readings: [GeneReading]) -> String {
        var s = "group,cells,symbol,in_group,in_others,log_odds,centroid_share,first_sentence\n"
        for r in readings {
            for g in r.genes {
                s +=
                    [
                        EmbeddingTableCSV.quote(r.group), "\(r.cells)", EmbeddingTableCSV.quote(g.symbol), String(format: "%.3f", g.inClass),
                        String(format: "%.3f", g.inOthers), String(format: "%.3f", g.logOdds), String(format: "%.4f", g.centroidShare),
                        EmbeddingTableCSV.quote(g.firstSentence),
                    ].joined(separator: ",") + "\n"
            }
        }
        return s
    }
}
