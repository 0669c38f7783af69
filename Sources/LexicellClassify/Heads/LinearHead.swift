import CBLAS
import Foundation
import LexicellCore

/// How training cells are weighted by class.
public enum ClassWeighting: Sendable, Equatable {
    case none
    /// scikit-learn's "balanced": n_samples / (n_classes_present · count_c).
    case balanced
    /// One weight per class.
    case explicit([Double])

    /// Weight of each class for `labels` (classes absent from `labels` get 0 under `.balanced`).
    public func classWeights(labels: [Int], classCount: Int) -> [Double] {
        switch self {
        case .none: return [Double](repeating: 1, count: classCount)
        case .explicit(let w): return w
        case .balanced:
            var counts = [Int](repeating: 0, count: classCount)
            for l in labels { counts[l] += 1 }
            let present = Double(counts.filter { $0 > 0 }.count)
            return counts.map { $0 > 0 ? Double(labels.count) / (present * Double($0)) : 0 }
        }
    }
}

/// One feature's weight for a class.
public struct FeatureWeight: Sendable, Equatable, Codable {
    public var feature: Int
    public var weight: Float
}

/// A linear classifier: decision = x · weightsᵀ + intercept, one column per class.
public protocol LinearHead: Sendable {
    /// classes × features.
    var weights: DenseMatrix { get }
    var intercept: [Float] { get }
}

extension LinearHead {
    public var classCount: Int { weights.rows }

    /// Throws unless `x` has the head's feature count and only finite values (call before `decision` on
    /// user-supplied matrices; `decision` itself treats a mismatch as a programming error).
    public func checkInput(_ x: DenseMatrix, name: String = "query matrix") throws {
        guard x.cols == weights.cols else {
            throw LexicellError("\(name): \(x.cols) features, but the classifier was trained on \(weights.cols)")
        }
        if let i = x.values.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError("\(name): non-finite value at row \(i / x.cols), column \(i % x.cols)")
        }
    }

    /// cells × classes decision values.
    public func decision(_ x: DenseMatrix) -> DenseMatrix {
        precondition(x.cols == weights.cols, "decision: input has \(x.cols) features, the head \(weights.cols)")
        var z = LinearAlgebra.matmul(x, weights, transposeB: true)
        let k = weights.rows
        z.values.withUnsafeMutableBufferPointer { p in
            for r in 0..<x.rows { for c in 0..<k { p[r * k + c] += intercept[c] } }
        }
        return z
    }

    /// The class of largest decision value (ties to the lower index).
    public func predict(_ x: DenseMatrix) -> [Int] { HeadsRows.argmax(decision(x)) }

    /// For each class, the `count` features of largest weight (most positive first), or of largest |weight|
    /// when `byMagnitude`.
    public func topFeatures(count: Int, byMagnitude: Bool = false) -> [[FeatureWeight]] {
        (0..<weights.rows).map { c in
            let row = weights.row(c)
            let ranked = row.indices.sorted { a, b in
                let va = byMagnitude ? abs(row[a]) : row[a], vb = byMagnitude ? abs(row[b]) : row[b]
                return va != vb ? va > vb : a < b
            }
            return ranked.prefix(count).map { FeatureWeight(feature: $0 - row.startIndex, weight: row[$0]) }
        }
    }
}

/// Row-wise argmax (ties to the lower column).
public enum HeadsRows {
    public static func argmax(_ m: DenseMatrix) -> [Int] {
        (0..<m.rows).map { r in
            var best = 0
            for c in 1..<max(m.cols, 1) where m[r, c] > m[r, best] { best = c }
            return best
        }
    }
}

/// Checks shared by the heads' `fit`: shapes, label range, finite inputs.
enum HeadsInput {
    static func validate(
        _ x: DenseMatrix, labels: [Int], classCount: Int, c: Double, classWeight: ClassWeighting,
        model: String
    ) throws {
        guard labels.count == x.rows else {
            throw LexicellError("\(model): \(x.rows) rows but \(labels.count) labels; expected one label per row")
        }
        guard x.rows > 0, x.cols > 0 else { throw LexicellError("\(model): empty training matrix (\(x.rows) × \(x.cols))") }
        guard classCount >= 2 else { throw LexicellError("\(model): classCount is \(classCount); expected at least 2") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw LexicellError("\(model): label \(bad) outside 0..<\(classCount)")
        }
        guard c > 0, c.isFinite else { throw LexicellError("\(model): C is \(c); expected a positive number") }
        if case .explicit(let w) = classWeight {
            guard w.count == classCount, w.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
                throw LexicellError("\(model): explicit class weights need \(classCount) non-negative numbers, got \(w.count)")
            }
        }
        if let i = x.values.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError("\(model): non-finite value at row \(i / x.cols), column \(i % x.cols)")
        }
    }
}

/// Evaluates a linear model's data term in row blocks through BLAS: for each block, Z = X_b·Wᵀ + b, then the
/// caller's loss fills dLoss/dZ, then ∇W += (dLoss/dZ)ᵀ·X_b while X_b is still in cache.
struct HeadsLinearEvaluator {
    let x: DenseMatrix
    let outputs: Int
    var blockRows: Int

    init(x: DenseMatrix, outputs: Int) {
        self.x = x
        self.outputs = outputs
        blockRows = max(64, min(x.rows, (1 << 20) / max(x.cols, 1)))
    }

    var parameterCount: Int { outputs * (x.cols + 1) }

    /// θ = [W (outputs × features, row-major), b (outputs)]. `loss(start, rows, z, dz)` gets the block's
    /// rows × outputs decision values and writes dLoss/dz; it returns the block's loss. Writes ∇ of the data
    /// term into `gradient` and returns the data term.
    func evaluate(
        _ theta: [Double], gradient: inout [Double],
        loss: (_ start: Int, _ rows: Int, _ z: UnsafeMutablePointer<Float>, _ dz: UnsafeMutablePointer<Float>) -> Double
    ) -> Double {
        let d = x.cols, k = outputs
        let w = theta[0..<(k * d)].map { Float($0) }
        var gw = [Float](repeating: 0, count: k * d)
        var gb = [Double](repeating: 0, count: k)
        var z = [Float](repeating: 0, count: blockRows * k)
        var dz = [Float](repeating: 0, count: blockRows * k)
        var total = 0.0
        x.values.withUnsafeBufferPointer { xp in
            w.withUnsafeBufferPointer { wp in
                gw.withUnsafeMutableBufferPointer { gwp in
                    z.withUnsafeMutableBufferPointer { zp in
                        dz.withUnsafeMutableBufferPointer { dzp in
                            var start = 0
                            while start < x.rows {
                                let rows = min(blockRows, x.rows - start)
                                let xb = xp.baseAddress! + start * d
                                cblas_sgemm(
                                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(k), Int32(d), 1,
                                    xb, Int32(d), wp.baseAddress!, Int32(d), 0, zp.baseAddress!, Int32(k))
                                for r in 0..<rows { for c in 0..<k { zp[r * k + c] += Float(theta[k * d + c]) } }
                                total += loss(start, rows, zp.baseAddress!, dzp.baseAddress!)
                                for r in 0..<rows { for c in 0..<k { gb[c] += Double(dzp[r * k + c]) } }
                                cblas_sgemm(
                                    CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(d), Int32(rows), 1,
                                    dzp.baseAddress!, Int32(k), xb, Int32(d), 1, gwp.baseAddress!, Int32(d))
                                start += rows
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<(k * d) { gradient[i] = Double(gw[i]) }
        for c in 0..<k { gradient[k * d + c] = gb[c] }
        return total
    }
}
