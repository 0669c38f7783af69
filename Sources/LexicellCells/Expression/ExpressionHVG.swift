import Foundation
import LexicellCore

/// Which highly-variable-gene rule to use.
public enum ExpressionHVGFlavor: String, Sendable, Equatable, Codable {
    /// Seurat v3 on raw counts when the input holds integer counts, otherwise the dispersion rule.
    case auto
    /// Seurat v3 / scanpy `flavor="seurat_v3"`: variance standardised by a LOESS fit of log variance on
    /// log mean, on raw counts.
    case seuratV3
    /// Seurat (v1/v2) / scanpy `flavor="seurat"`: normalised dispersion within 20 mean bins, on
    /// log-normalised data.
    case dispersion
}

extension ExpressionPreprocessing {
    /// Indices of the `nTopGenes` most variable genes, most variable first, as scanpy's
    /// `highly_variable_genes(flavor="seurat_v3")`. `counts` must be raw counts (cells × genes).
    public static func highlyVariableGenesSeuratV3(
        counts: SparseMatrix, nTopGenes: Int = 2000, span: Double = 0.3,
        surface: ExpressionLoess.Surface = .interpolate
    ) throws -> [Int] {
        guard counts.rows > 1 else { throw LexicellError("highly variable genes need at least 2 cells, got \(counts.rows)") }
        let n = Double(counts.rows)
        let (mean, variance) = geneMeanVariance(counts)
        let varying = (0..<counts.cols).filter { variance[$0] > 0 }
        guard varying.count > 3 else { throw LexicellError("only \(varying.count) genes vary across cells; cannot fit the mean–variance trend") }
        let fitted = try ExpressionLoess.fit(
            x: varying.map { log10(mean[$0]) }, y: varying.map { log10(variance[$0]) },
            span: span, degree: 2, surface: surface)
        // Genes without variance keep log10 expected variance 0, i.e. expected sd 1 (as scanpy).
        var regStd = [Double](repeating: 1, count: counts.cols)
        for (i, g) in varying.enumerated() { regStd[g] = pow(10, fitted[i]).squareRoot() }
        // Standardised values (x − mean)/sd are clipped at sqrt(n): equivalently counts at mean + sd·sqrt(n).
        var clipSum = [Double](repeating: 0, count: counts.cols)
        var clipSumSq = [Double](repeating: 0, count: counts.cols)
        let vmax = n.squareRoot()
        for k in 0..<counts.values.count {
            let g = Int(counts.indices[k])
            let x = min(Double(counts.values[k]), regStd[g] * vmax + mean[g])
            clipSum[g] += x
            clipSumSq[g] += x * x
        }
        var normVar = [Double](repeating: 0, count: counts.cols)
        for g in 0..<counts.cols {
            normVar[g] = (n * mean[g] * mean[g] + clipSumSq[g] - 2 * clipSum[g] * mean[g]) / ((n - 1) * regStd[g] * regStd[g])
        }
        let ranked = (0..<counts.cols).sorted { normVar[$0] > normVar[$1] || (normVar[$0] == normVar[$1] && $0 < $1) }
        return Array(ranked.prefix(min(nTopGenes, counts.cols)))
    }

    /// Indices of the most variable genes by normalised dispersion, most variable first, as scanpy's
    /// `highly_variable_genes(flavor="seurat", n_top_genes:)` on log1p-normalised data: mean and variance
    /// of expm1(x); log dispersion standardised within 20 equal-width bins of log1p(mean). Ties at the
    /// cut-off are all kept (as scanpy), so slightly more than `nTopGenes` may come back.
    public static func highlyVariableGenesDispersion(
        logNormalized: SparseMatrix, nTopGenes: Int = 2000,
        bins: Int = 20
    ) throws -> [Int] {
        guard logNormalized.rows > 1 else { throw LexicellError("highly variable genes need at least 2 cells, got \(logNormalized.rows)") }
        var linear = logNormalized
        for k in 0..<linear.values.count { linear.values[k] = Float(Foundation.expm1(Double(linear.values[k]))) }
        let (rawMean, variance) = geneMeanVariance(linear)
        let g = logNormalized.cols
        var logMean = [Double](repeating: 0, count: g)
        var dispersion = [Double](repeating: .nan, count: g)
        for j in 0..<g {
            let m = rawMean[j] == 0 ? 1e-12 : rawMean[j]
            let d = variance[j] / m
            dispersion[j] = d == 0 ? .nan : Foundation.log(d)
            logMean[j] = Foundation.log1p(m)
        }
        // pandas.cut(means, bins): equal-width edges over [min, max], lowest edge lowered by 0.1 % of the range.
        let lo = logMean.min() ?? 0, hi = logMean.max() ?? 0
        var bin = [Int](repeating: 0, count: g)
        if hi > lo {
            let step = (hi - lo) / Double(bins)
            var edges = (0...bins).map { lo + Double($0) * step }
            edges[bins] = hi
            edges[0] -= (hi - lo) * 0.001
            for j in 0..<g {
                // Right-closed intervals (e_i, e_{i+1}].
                var a = 0, b = bins
                while a < b { let m = (a + b) / 2; if edges[m + 1] < logMean[j] { a = m + 1 } else { b = m } }
                bin[j] = a
            }
        }
        var count = [Int](repeating: 0, count: bins), sum = [Double](repeating: 0, count: bins)
        for j in 0..<g where !dispersion[j].isNaN { count[bin[j]] += 1; sum[bin[j]] += dispersion[j] }
        var avg = (0..<bins).map { count[$0] > 0 ? sum[$0] / Double(count[$0]) : .nan }
        var sq = [Double](repeating: 0, count: bins)
        for j in 0..<g where !dispersion[j].isNaN { let d = dispersion[j] - avg[bin[j]]; sq[bin[j]] += d * d }
        var dev = (0..<bins).map { count[$0] > 1 ? (sq[$0] / Double(count[$0] - 1)).squareRoot() : .nan }
        // A bin with a single gene has no spread: scanpy then sets its normalised dispersion to 1.
        for b in 0..<bins where dev[b].isNaN { dev[b] = avg[b]; avg[b] = 0 }
        let normalized = (0..<g).map { (dispersion[$0] - avg[bin[$0]]) / dev[bin[$0]] }
        let finite = (0..<g).filter { !normalized[$0].isNaN }
        guard !finite.isEmpty else { throw LexicellError("no gene has a finite normalised dispersion") }
        let ranked = finite.sorted { normalized[$0] > normalized[$1] || (normalized[$0] == normalized[$1] && $0 < $1) }
        let cutoff = normalized[ranked[min(nTopGenes, ranked.count) - 1]]
        return ranked.filter { normalized[$0] >= cutoff }
    }
}

extension ExpressionPreprocessing {
    /// Highly variable genes by `flavor`, most variable first. `.seuratV3` reads `m` as raw counts,
    /// `.dispersion` as log-normalised values; `.auto` picks seurat_v3 for integer counts, otherwise the
    /// dispersion rule on `m` as given.
    public static func highlyVariableGenes(_ m: SparseMatrix, flavor: ExpressionHVGFlavor = .auto, nTopGenes: Int = 2000) throws -> [Int] {
        let isCounts = m.values.allSatisfy { $0 >= 0 && $0 == $0.rounded() }
        switch flavor {
        case .seuratV3:
            return try highlyVariableGenesSeuratV3(counts: m, nTopGenes: nTopGenes)
        case .dispersion:
            return try highlyVariableGenesDispersion(logNormalized: m, nTopGenes: nTopGenes)
        case .auto:
            return isCounts
                ? try highlyVariableGenesSeuratV3(counts: m, nTopGenes: nTopGenes)
                : try highlyVariableGenesDispersion(logNormalized: m, nTopGenes: nTopGenes)
        }
    }
}
