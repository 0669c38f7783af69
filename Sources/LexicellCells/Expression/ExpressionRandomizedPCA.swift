import CBLAS
import Foundation
import LexicellCore

/// Which PCA `ExpressionBaseline` runs.
public enum ExpressionPCASolver: String, Sendable, Equatable, Codable {
    /// Exact below `ExpressionPCA.randomizedAboveCells` training cells, randomized above.
    case auto
    /// Exact eigendecomposition of the covariance or Gram matrix (dense, centred copy).
    case exact
    /// Seeded randomized subspace iteration on the sparse matrix, scaled and centred block by block.
    case randomized
}

/// The scaled, clipped log-normalised expression of the selected genes, held sparse: `values` are the
/// log-normalised values (cells × selected genes), `scaler` maps them to (x − mean)/sd clipped. Rows are made
/// dense only a block at a time, so the cells × genes scaled matrix never exists whole.
public struct ScaledSparseExpression {
    public var values: SparseMatrix
    public var scaler: ExpressionScaler

    public init(values: SparseMatrix, scaler: ExpressionScaler) {
        precondition(values.cols == scaler.means.count)
        self.values = values
        self.scaler = scaler
    }

    /// Rows per dense block: 2,048 rows × 2,000 genes is 16 MB.
    static let blockRows = 2048

    /// Calls `body(firstRow, block)` for consecutive blocks of scaled rows (block: rows × genes, row-major),
    /// minus `centre` per gene when given.
    func forEachBlock(centre: [Float]? = nil, _ body: (Int, DenseMatrix) -> Void) {
        let g = values.cols
        let inverse = scaler.standardDeviations.map { 1 / $0 }
        let limit = scaler.maxValue ?? .infinity
        // A zero's scaled value per gene (the same in every row), already centred.
        var zero = (0..<g).map { min(limit, max(-limit, -scaler.means[$0] * inverse[$0])) }
        if let centre { for j in 0..<g { zero[j] -= centre[j] } }
        var block = DenseMatrix(rows: 0, cols: g)
        var start = 0
        while start < values.rows {
            let rows = min(Self.blockRows, values.rows - start)
            if block.rows != rows { block = DenseMatrix(rows: rows, cols: g) }
            block.values.withUnsafeMutableBufferPointer { b in
                values.indices.withUnsafeBufferPointer { idx in
                    values.values.withUnsafeBufferPointer { v in
                        for r in 0..<rows {
                            let row = b.baseAddress! + r * g
                            zero.withUnsafeBufferPointer { z in row.update(from: z.baseAddress!, count: g) }
                            for k in values.indptr[start + r]..<values.indptr[start + r + 1] {
                                let j = Int(idx[k])
                                var s = min(limit, max(-limit, (v[k] - scaler.means[j]) * inverse[j]))
                                if let centre { s -= centre[j] }
                                row[j] = s
                            }
                        }
                    }
                }
            }
            body(start, block)
            start += rows
        }
    }

    /// The whole scaled matrix (small inputs and tests only).
    public func dense() -> DenseMatrix {
        var out = DenseMatrix(rows: values.rows, cols: values.cols)
        forEachBlock { start, block in
            out.values.replaceSubrange((start * values.cols)..<((start + block.rows) * values.cols), with: block.values)
        }
        return out
    }
}

extension ExpressionScaler {
    /// The scaler of sparse values (per gene mean and n − 1 s.d. over all rows, zeros included), as `fit` on
    /// the dense matrix.
    public static func fit(sparse x: SparseMatrix, maxValue: Float? = 10) -> ExpressionScaler {
        let (mean, variance) = ExpressionPreprocessing.geneMeanVariance(x)
        return ExpressionScaler(
            means: mean.map(Float.init),
            standardDeviations: variance.map { $0 > 0 ? Float($0.squareRoot()) : 1 }, maxValue: maxValue)
    }
}

extension ExpressionPCA {
    /// Training cells above which `.auto` uses the randomized solver: below it the exact solver is fast
    /// (a 2,000 × 2,000 covariance) and its dense centred copy small, and results stay those of earlier versions.
    public static let randomizedAboveCells = 20_000

    /// Settings of the randomized solver: basis size = components + `oversampling`, `powerIterations` passes.
    public struct RandomizedSettings: Sendable, Equatable {
        public var oversampling = 50
        public var powerIterations = 10
        public var seed: UInt64 = 0x9CA
        public init() {}
    }

    /// PCA of the scaled matrix `x` (centred per gene here) by randomized subspace iteration (Halko, Martinsson &
    /// Tropp 2011, as scikit-learn's `randomized_svd`): a seeded Gaussian basis of `k + oversampling` gene vectors
    /// is multiplied by XcᵀXc `powerIterations` times, re-orthonormalised (QR) after each pass, and the top `k`
    /// eigenpairs of the projected covariance (Rayleigh–Ritz) give the components. Each pass reads the sparse
    /// matrix once, making blocks of rows dense and centred on the fly (BLAS for both products), so memory is
    /// blocks + genes × basis. Explained variance (n − 1) and the sign convention are the exact solver's.
    public static func fitRandomized(
        _ x: ScaledSparseExpression, components k: Int, settings: RandomizedSettings = RandomizedSettings()
    ) throws -> ExpressionPCA {
        let n = x.values.rows, g = x.values.cols
        guard n >= 2 else { throw LexicellError("PCA needs at least 2 cells, got \(n)") }
        guard k >= 1 && k <= min(n - 1, g) else {
            throw LexicellError("PCA: \(k) components requested from \(n) cells × \(g) genes (at most \(min(n - 1, g)))")
        }
        let l = min(g, n - 1, k + settings.oversampling)
        // Pass 0: means of the scaled genes, and the total variance (for the ratios).
        var sum = [Double](repeating: 0, count: g), sumSq = [Double](repeating: 0, count: g)
        x.forEachBlock { _, block in
            block.values.withUnsafeBufferPointer { b in
                for r in 0..<block.rows {
                    let row = b.baseAddress! + r * g
                    for j in 0..<g { let e = Double(row[j]); sum[j] += e; sumSq[j] += e * e }
                }
            }
        }
        let means = sum.map { Float($0 / Double(n)) }
        let total = (0..<g).reduce(0.0) { $0 + max(0, sumSq[$1] - sum[$1] * sum[$1] / Double(n)) } / Double(n - 1)

        // Basis: l × g, rows orthonormal (row-major l × g is column-major g × l, as LAPACK's QR wants).
        var rng = SeededGenerator(seed: settings.seed)
        var basis = DenseMatrix(rows: l, cols: g)
        for i in basis.values.indices { basis.values[i] = Float(rng.nextGaussian()) }
        try LinearAlgebra.orthonormalizeRows(&basis)
        var t = DenseMatrix(rows: ScaledSparseExpression.blockRows, cols: l)
        for _ in 0..<settings.powerIterations {
            // next = basis · XcᵀXc = Σ_blocks (B · basisᵀ)ᵀ · B.
            var next = DenseMatrix(rows: l, cols: g)
            x.forEachBlock(centre: means) { _, block in
                accumulate(block, basis, &t, into: &next, gram: false)
            }
            basis = next
            try LinearAlgebra.orthonormalizeRows(&basis)
        }
        // Rayleigh–Ritz: M = basis · XcᵀXc · basisᵀ (l × l), its top k eigenpairs.
        var m = DenseMatrix(rows: l, cols: l)
        x.forEachBlock(centre: means) { _, block in
            accumulate(block, basis, &t, into: &m, gram: true)
        }
        var symmetric = [Double](repeating: 0, count: l * l)
        for i in 0..<l { for j in 0..<l { symmetric[i * l + j] = (Double(m[i, j]) + Double(m[j, i])) / 2 } }
        let (eigenvalues, eigenvectors) = try LinearAlgebra.largestEigenpairs(symmetric: symmetric, size: l, count: k)
        var loadings = LinearAlgebra.matmul(DenseMatrix(rows: k, cols: l, values: eigenvectors.map(Float.init)), basis)
        for j in 0..<k {
            // Unit length in Float, then the exact solver's sign rule.
            var norm = 0.0
            for c in 0..<g { norm += Double(loadings[j, c]) * Double(loadings[j, c]) }
            let s = norm > 0 ? Float(1 / norm.squareRoot()) : 0
            var best = 0
            for c in 0..<g {
                loadings[j, c] *= s
                if abs(loadings[j, c]) > abs(loadings[j, best]) { best = c }
            }
            if loadings[j, best] < 0 { for c in 0..<g { loadings[j, c] = -loadings[j, c] } }
        }
        let variance = eigenvalues.map { max(0, $0) / Double(n - 1) }
        return ExpressionPCA(
            featureMeans: means, components: loadings, explainedVariance: variance.map(Float.init),
            explainedVarianceRatio: variance.map { Float(total > 0 ? $0 / total : 0) })
    }

    /// T = block · basisᵀ into `t` (≥ block rows × basis rows), then `out` += Tᵀ · block (a power-iteration step,
    /// out l × g) or, with `gram`, `out` += Tᵀ · T (the Rayleigh–Ritz matrix, out l × l).
    private static func accumulate(
        _ block: DenseMatrix, _ basis: DenseMatrix, _ t: inout DenseMatrix, into out: inout DenseMatrix, gram: Bool
    ) {
        let rows = block.rows, g = block.cols, l = basis.rows
        block.values.withUnsafeBufferPointer { b in
            basis.values.withUnsafeBufferPointer { q in
                t.values.withUnsafeMutableBufferPointer { tp in
                    LinearAlgebra.gemm(
                        b.baseAddress!, rowsA: rows, colsA: g, transposeA: false, q.baseAddress!, rowsB: l, colsB: g,
                        transposeB: true, into: tp.baseAddress!)
                    let right: UnsafePointer<Float> = gram ? UnsafePointer(tp.baseAddress!) : b.baseAddress!
                    out.values.withUnsafeMutableBufferPointer { op in
                        LinearAlgebra.gemm(
                            tp.baseAddress!, rowsA: rows, colsA: l, transposeA: true, right, rowsB: rows,
                            colsB: gram ? l : g, transposeB: false, into: op.baseAddress!, beta: 1)
                    }
                }
            }
        }
    }
}
