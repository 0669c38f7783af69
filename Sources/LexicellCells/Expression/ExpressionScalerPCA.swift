import Foundation
import CBLAS
import LexicellCore

/// Per-gene standardisation to zero mean and unit variance with clipping, as `scanpy.pp.scale(max_value:)`.
/// Means and standard deviations (n − 1) are fitted on one set of cells and applied to any other.
public struct ExpressionScaler: Sendable, Equatable, Codable {
    public let means: [Float]
    /// Genes without variance get 1, so they become 0 rather than NaN (as scanpy).
    public let standardDeviations: [Float]
    /// Scaled values are clipped to [−maxValue, maxValue]; nil means no clipping.
    public let maxValue: Float?

    public static func fit(_ x: DenseMatrix, maxValue: Float? = 10) -> ExpressionScaler {
        var sum = [Double](repeating: 0, count: x.cols), sumSq = [Double](repeating: 0, count: x.cols)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<x.rows {
                let row = v.baseAddress! + r * x.cols
                for c in 0..<x.cols { let e = Double(row[c]); sum[c] += e; sumSq[c] += e * e }
            }
        }
        let n = Double(x.rows)
        var means = [Float](repeating: 0, count: x.cols), sds = [Float](repeating: 1, count: x.cols)
        for c in 0..<x.cols {
            let m = sum[c] / n
            means[c] = Float(m)
            let variance = x.rows > 1 ? max(0, (sumSq[c] - n * m * m) / (n - 1)) : 0
            let sd = variance.squareRoot()
            sds[c] = sd > 0 ? Float(sd) : 1
        }
        return ExpressionScaler(means: means, standardDeviations: sds, maxValue: maxValue)
    }

    public init(means: [Float], standardDeviations: [Float], maxValue: Float?) {
        precondition(means.count == standardDeviations.count)
        self.means = means
        self.standardDeviations = standardDeviations
        self.maxValue = maxValue
    }

    /// (x − mean) / sd per gene, clipped. `x` has the fitted genes as columns, in the same order.
    public func apply(_ x: DenseMatrix) -> DenseMatrix {
        precondition(x.cols == means.count, "ExpressionScaler: \(x.cols) columns, fitted on \(means.count)")
        var out = x
        let inverse = standardDeviations.map { 1 / $0 }
        let limit = maxValue ?? .infinity
        out.values.withUnsafeMutableBufferPointer { v in
            for r in 0..<x.rows {
                let row = v.baseAddress! + r * x.cols
                for c in 0..<x.cols { row[c] = min(limit, max(-limit, (row[c] - means[c]) * inverse[c])) }
            }
        }
        return out
    }
}

/// Principal component analysis by exact eigendecomposition (LAPACK dsyevr) of the smaller of the
/// covariance (genes × genes) and Gram (cells × cells) matrices, both formed with BLAS. Matches
/// scikit-learn's PCA (arpack/full): centred data, explained variance with n − 1, and its sign convention
/// (`svd_flip` on the loadings: each component's largest-magnitude loading is positive).
public struct ExpressionPCA: Sendable, Equatable, Codable {
    public let featureMeans: [Float]
    /// components × features, unit-length rows.
    public let components: DenseMatrix
    public let explainedVariance: [Float]
    public let explainedVarianceRatio: [Float]

    public static func fit(_ x: DenseMatrix, components k: Int) throws -> ExpressionPCA {
        try fit(x, components: k, useGram: nil)
    }

    /// `useGram` forces the cells × cells route (true) or the covariance route (false); nil picks the smaller.
    static func fit(_ x: DenseMatrix, components k: Int, useGram: Bool?) throws -> ExpressionPCA {
        let n = x.rows, p = x.cols
        guard n >= 2 else { throw LexicellError("PCA needs at least 2 cells, got \(n)") }
        guard k >= 1 && k <= min(n - 1, p) else {
            throw LexicellError("PCA: \(k) components requested from \(n) cells × \(p) genes (at most \(min(n - 1, p)))")
        }
        var sums = [Double](repeating: 0, count: p)
        x.values.withUnsafeBufferPointer { v in
            for r in 0..<n { let row = v.baseAddress! + r * p; for c in 0..<p { sums[c] += Double(row[c]) } }
        }
        let means = sums.map { Float($0 / Double(n)) }
        var centred = x
        var totalSS = 0.0
        centred.values.withUnsafeMutableBufferPointer { v in
            for r in 0..<n {
                let row = v.baseAddress! + r * p
                for c in 0..<p { row[c] -= means[c]; totalSS += Double(row[c]) * Double(row[c]) }
            }
        }
        let useCovariance = useGram.map { !$0 } ?? (p <= n)
        let product =
            useCovariance
            ? LinearAlgebra.matmul(centred, centred, transposeA: true)
            : LinearAlgebra.matmul(centred, centred, transposeB: true)
        let size = useCovariance ? p : n
        let (eigenvalues, eigenvectors) = try LinearAlgebra.largestEigenpairs(symmetric: product.values.map(Double.init), size: size, count: k)
        var loadings = DenseMatrix(rows: k, cols: p)
        if useCovariance {
            loadings.values = eigenvectors.map(Float.init)
        } else {
            // v = Xcᵀ u / sqrt(λ) turns Gram eigenvectors into loadings.
            let u = DenseMatrix(rows: k, cols: n, values: eigenvectors.map(Float.init))
            loadings = LinearAlgebra.matmul(u, centred)
            for j in 0..<k {
                let s = eigenvalues[j] > 0 ? Float(1 / eigenvalues[j].squareRoot()) : 0
                for c in 0..<p { loadings[j, c] *= s }
            }
        }
        for j in 0..<k {
            var best = 0
            for c in 1..<p where abs(loadings[j, c]) > abs(loadings[j, best]) { best = c }
            if loadings[j, best] < 0 { for c in 0..<p { loadings[j, c] = -loadings[j, c] } }
        }
        let variance = eigenvalues.map { max(0, $0) / Double(n - 1) }
        let total = totalSS / Double(n - 1)
        return ExpressionPCA(
            featureMeans: means, components: loadings, explainedVariance: variance.map(Float.init),
            explainedVarianceRatio: variance.map { Float(total > 0 ? $0 / total : 0) })
    }

    /// Scores (cells × components) of cells with the fitted features as columns: (x − mean) · componentsᵀ.
    public func transform(_ x: DenseMatrix) -> DenseMatrix {
        precondition(x.cols == featureMeans.count, "ExpressionPCA: \(x.cols) columns, fitted on \(featureMeans.count)")
        var scores = LinearAlgebra.matmul(x, components, transposeB: true)
        let k = components.rows
        let offsets = (0..<k).map { j in (0..<featureMeans.count).reduce(Float(0)) { $0 + featureMeans[$1] * components[j, $1] } }
        scores.values.withUnsafeMutableBufferPointer { v in
            for r in 0..<x.rows { for j in 0..<k { v[r * k + j] -= offsets[j] } }
        }
        return scores
    }
}
