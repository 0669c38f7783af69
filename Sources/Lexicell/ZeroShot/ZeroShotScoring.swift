import Foundation
import LexicellCore
import LexicellGenes
import LexicellPathways

/// Marker scoring, rank-based: per cell and type, the AUCell area of the type's positive markers in the cell's
/// own gene ranking (`PathwayCellScores.auc`, top `topFraction` of genes) minus that of its negative markers.
/// Ranks within a cell do not change when a cell's values are scaled, so the score does not depend on depth.
public enum MarkerScoring {
    /// AUCell's default ranking window (5 % of the genes).
    public static let defaultTopFraction = 0.05

    /// - Returns: cells × types (order of `types`; every type must have a positive marker in the data).
    public static func scores(_ expression: SparseMatrix, types: [MatchedMarkerType], topFraction: Double = defaultTopFraction) -> DenseMatrix {
        precondition(types.allSatisfy { !$0.isAbsent }, "marker scoring: absent types are left out before scoring")
        func sets(_ genes: (MatchedMarkerType) -> [Int]) -> [MatchedGeneSet] {
            types.map { MatchedGeneSet(id: $0.type.name, name: $0.type.name, size: genes($0).count, genes: genes($0).map(Int32.init)) }
        }
        var out = PathwayCellScores.auc(expression, sets: sets(\.positive), topFraction: topFraction)
        let withNegatives = types.indices.filter { !types[$0].negative.isEmpty }
        guard !withNegatives.isEmpty else { return out }
        let neg = PathwayCellScores.auc(
            expression, sets: sets(\.negative).enumerated().filter { !types[$0.offset].negative.isEmpty }.map(\.element), topFraction: topFraction)
        for c in 0..<out.rows {
            for (j, t) in withNegatives.enumerated() { out.values[c * out.cols + t] -= neg.values[c * neg.cols + j] }
        }
        return out
    }
}

/// Knowledge scoring: each type becomes a vector in the gene-text space (the mean of its positive markers'
/// gene vectors, joined with its description's embedding when there is one), and each cell's text embedding
/// (the paper's cell embedding) is compared with it by cosine, after both are centred on the mean cell
/// embedding (text embeddings share a large common direction that would otherwise dominate every cosine).
public enum KnowledgeScoring {
    /// Types × dimension: per type the unit mean of its positive markers' vectors (markers without a vector are
    /// skipped), plus the unit description vector when given (row `i` of `descriptions`, nil or a zero row for
    /// none), the sum normalised again. A type with neither is a zero row (its cosines are 0).
    public static func typeVectors(_ types: [MatchedMarkerType], table: GeneEmbeddingTable, descriptions: DenseMatrix?) -> DenseMatrix {
        let d = table.dimension
        var out = DenseMatrix(rows: types.count, cols: d)
        for (t, type) in types.enumerated() {
            var v = [Float](repeating: 0, count: d)
            var n = 0
            for s in type.positiveTextSymbols {
                guard let s, let r = table.row(of: s) else { continue }
                let row = table.vectors.row(r)
                for (j, x) in row.enumerated() { v[j] += x }
                n += 1
            }
            normalize(&v)
            if let descriptions, descriptions.cols == d {
                var u = Array(descriptions.row(t))
                normalize(&u)
                for j in 0..<d { v[j] += u[j] }
                normalize(&v)
            }
            for j in 0..<d { out.values[t * d + j] = v[j] }
        }
        return out
    }

    /// Cells × types cosine of (cell − μ) and (type − μ), μ the mean of the cells' embeddings; zero-vector cells
    /// (no gene with a vector) score 0.
    public static func scores(cells: DenseMatrix, types: DenseMatrix) -> DenseMatrix {
        precondition(cells.cols == types.cols)
        let d = cells.cols
        var mu = [Float](repeating: 0, count: d)
        var used = 0
        for c in 0..<cells.rows where cells.row(c).contains(where: { $0 != 0 }) {
            for (j, x) in cells.row(c).enumerated() { mu[j] += x }
            used += 1
        }
        if used > 0 { for j in 0..<d { mu[j] /= Float(used) } }
        func centred(_ m: DenseMatrix, keepZero: Bool) -> DenseMatrix {
            var out = m
            for r in 0..<m.rows {
                if keepZero && !m.row(r).contains(where: { $0 != 0 }) { continue }
                for j in 0..<d { out.values[r * d + j] -= mu[j] }
            }
            return out.rowNormalized()
        }
        let typesHaveVector = (0..<types.rows).map { types.row($0).contains { $0 != 0 } }
        var s = LinearAlgebra.matmul(centred(cells, keepZero: true), centred(types, keepZero: true), transposeB: true)
        for c in 0..<s.rows {
            for t in 0..<s.cols where !typesHaveVector[t] { s.values[c * s.cols + t] = 0 }
        }
        return s
    }

    static func normalize(_ v: inout [Float]) {
        let n = v.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        if n > 0 { for j in v.indices { v[j] /= n } }
    }
}

/// The combination of marker and knowledge scores and the call per cell.
public enum ZeroShotCombination {
    /// Per type (column), (score − mean) / s.d. over the cells (population s.d.); a constant column becomes 0.
    public static func zScoredPerType(_ x: DenseMatrix) -> DenseMatrix {
        var out = x
        let n = Double(x.rows)
        guard x.rows > 0 else { return out }
        for t in 0..<x.cols {
            var sum = 0.0, sq = 0.0
            for c in 0..<x.rows { sum += Double(x.values[c * x.cols + t]) }
            let mean = sum / n
            for c in 0..<x.rows {
                let d = Double(x.values[c * x.cols + t]) - mean
                sq += d * d
            }
            let sd = (sq / n).squareRoot()
            for c in 0..<x.rows {
                out.values[c * x.cols + t] = sd > 1e-12 ? Float((Double(x.values[c * x.cols + t]) - mean) / sd) : 0
            }
        }
        return out
    }

    /// (1 − w) · z_marker + w · z_knowledge: w = 0 is marker-only, w = 1 knowledge-only.
    public static func combined(marker zm: DenseMatrix, knowledge zk: DenseMatrix, weight w: Double) -> DenseMatrix {
        precondition(zm.rows == zk.rows && zm.cols == zk.cols)
        var out = zm
        for i in out.values.indices { out.values[i] = Float((1 - w) * Double(zm.values[i]) + w * Double(zk.values[i])) }
        return out
    }

    /// Per cell the best type (lower index on ties) and its probability under softmax(scores / temperature).
    public static func call(_ s: DenseMatrix, temperature: Double = 1) -> (best: [Int], confidence: [Double]) {
        var best = [Int](repeating: 0, count: s.rows), conf = [Double](repeating: 0, count: s.rows)
        for c in 0..<s.rows {
            let row = s.row(c)
            guard let top = row.indices.max(by: { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }) else { continue }
            let m = Double(row[top])
            let z = row.reduce(0.0) { $0 + exp((Double($1) - m) / temperature) }
            best[c] = top - row.startIndex
            conf[c] = 1 / z
        }
        return (best, conf)
    }
}

/// How the knowledge weight w was chosen: on labelled cells of a selection dataset that the evaluation does
/// not use, the w of the grid with the highest macro F1 (ties: the smaller w, i.e. the fewer assumptions).
public enum KnowledgeWeight {
    /// 0, 0.1, …, 1.
    public static let grid = (0...10).map { Double($0) / 10 }

    /// The weight chosen by `scripts/zeroshot_compare.sh` on the selection set: Romanov GABA-6 (128 cells, 6
    /// types; `data/markers/romanov2017_hypothalamus.csv`), all-MiniLM-L6-v2 gene vectors. The evaluation
    /// (pbmc68k and Romanov's other 27 types) never enters this choice.
    public static let chosenOnGABA6 = 0.3

    /// The softmax temperature of the confidence, fitted on the same GABA-6 cells at `chosenOnGABA6`
    /// (`TemperatureScaling`: least log-loss of the true types), so that `--min-confidence` means roughly what it
    /// says there; on queries with more types the confidences are lower.
    public static let temperatureOnGABA6 = 0.4644

    /// One point of a weight curve: accuracy and macro F1 of the best labels at weight `weight`.
    public struct Point: Codable, Equatable, Sendable {
        public var weight: Double
        public var accuracy: Double
        public var macroF1: Double
        public init(weight: Double, accuracy: Double, macroF1: Double) {
            self.weight = weight
            self.accuracy = accuracy
            self.macroF1 = macroF1
        }
    }

    /// The choice from a curve computed on the selection set (nil for an empty curve).
    public static func choose(_ curve: [Point]) -> Double? {
        curve.sorted { $0.weight < $1.weight }.max { $0.macroF1 < $1.macroF1 || ($0.macroF1 == $1.macroF1 && $0.weight > $1.weight) }?.weight
    }
}
