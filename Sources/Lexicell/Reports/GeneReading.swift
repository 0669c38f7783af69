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
        var tally = GeneReadingTally(classNames: classNames, genes: expression.geneCount)
        tally.add(expression.values, labels: labels, allowed: rows.map { $0 != nil }, topN: topN)
        return tally.readings(genes: expression.genes, table: table, knowledge: knowledge, top: top, all: true)
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

/// Per class, how often each gene is among a cell's top N and its weight in the class centroid, added up block
/// by block (and shard by shard: weights are fixed-point, 2^-32 units, so sums do not depend on the order).
public struct GeneReadingTally: Codable, Sendable, Equatable {
    public var classNames: [String]
    public var genes: Int
    public var sizes: [Int]
    /// class × gene, flat.
    public var inTop: [Int32]
    public var weight: [Int64]

    public init(classNames: [String], genes: Int) {
        self.classNames = classNames
        self.genes = genes
        sizes = [Int](repeating: 0, count: classNames.count)
        inTop = [Int32](repeating: 0, count: classNames.count * genes)
        weight = [Int64](repeating: 0, count: classNames.count * genes)
    }

    /// Cells of `x` with `labels[i]` ≥ 0 (an index into `classNames`); others are skipped.
    public mutating func add(_ x: SparseMatrix, labels: [Int], allowed: [Bool], topN: Int) {
        var sel = TopGeneSelector(capacity: topN)
        for cell in 0..<x.rows where labels[cell] >= 0 {
            let l = labels[cell]
            sizes[l] += 1
            sel.select(indices: x.indices, values: x.values, range: x.indptr[cell]..<x.indptr[cell + 1], allowed: allowed, n: topN)
            guard !sel.selected.isEmpty else { continue }
            let share = (Int64(1) << 32) / Int64(sel.selected.count)
            for (g, _) in sel.selected {
                inTop[l * genes + g] += 1
                weight[l * genes + g] += share
            }
        }
    }

    public static func + (a: GeneReadingTally, b: GeneReadingTally) -> GeneReadingTally {
        precondition(a.classNames == b.classNames && a.genes == b.genes, "GeneReadingTally: different classes or genes")
        var c = a
        for i in c.sizes.indices { c.sizes[i] += b.sizes[i] }
        for i in c.inTop.indices {
            c.inTop[i] += b.inTop[i]
            c.weight[i] += b.weight[i]
        }
        return c
    }

    /// The readings of the classes with cells (all classes when `all`), in name order.
    public func readings(genes names: [String], table: GeneEmbeddingTable, knowledge: GeneKnowledge, top: Int, all: Bool = false) -> [GeneReading] {
        let rows = CellEmbedder.alignGenes(names, to: table, resolver: knowledge.resolver)
        let c = classNames.count
        let cells = sizes.reduce(0, +)
        var total = [Int](repeating: 0, count: genes)
        for l in 0..<c { for g in 0..<genes { total[g] += Int(inTop[l * genes + g]) } }
        let d = table.dimension
        let chosen = (0..<c).filter { all || sizes[$0] > 0 }.sorted { all ? $0 < $1 : classNames[$0] < classNames[$1] }
        return chosen.map { l in
            let n = Double(sizes[l]), others = Double(cells - sizes[l])
            func w(_ g: Int) -> Double { Double(weight[l * genes + g]) / 4_294_967_296 }
            // Centroid z = Σ_g w_g e_g (w_g averaged over the class's cells); share_g = w_g e_g·ẑ / ‖z‖.
            var z = [Double](repeating: 0, count: d)
            for g in 0..<genes where weight[l * genes + g] > 0 {
                let r = rows[g]!
                for j in 0..<d { z[j] += w(g) / n * Double(table.vectors[r, j]) }
            }
            let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
            var found = [GeneReading.Gene]()
            for g in 0..<genes where inTop[l * genes + g] > 0 {
                let a = Double(inTop[l * genes + g]), b = Double(total[g] - Int(inTop[l * genes + g]))
                let lo = log((a + 0.5) / (n - a + 0.5)) - log((b + 0.5) / (others - b + 0.5))
                var dot = 0.0
                let r = rows[g]!
                for j in 0..<d { dot += Double(table.vectors[r, j]) * z[j] }
                let share = norm > 0 ? w(g) / n * dot / (norm * norm) : 0
                let symbol = table.symbols[r]
                found.append(
                    GeneReading.Gene(
                        symbol: symbol, inClass: a / n, inOthers: others > 0 ? b / others : 0, logOdds: lo,
                        centroidShare: share, firstSentence: GeneReading.firstSentence(knowledge.texts.text(for: symbol) ?? "")))
            }
            found.sort { $0.logOdds != $1.logOdds ? $0.logOdds > $1.logOdds : $0.symbol < $1.symbol }
            return GeneReading(group: classNames[l], cells: sizes[l], genes: Array(found.prefix(top)))
        }
    }
}
