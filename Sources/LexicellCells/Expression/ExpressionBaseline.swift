import Foundation
import LexicellCore

public struct ExpressionBaselineConfiguration: Sendable, Equatable, Codable {
    public var targetSum: Float = 1e4
    public var nTopGenes = 2000
    public var flavor: ExpressionHVGFlavor = .auto
    /// Scaled values are clipped to ±maxValue.
    public var maxValue: Float = 10
    public var components = 30
    /// Span of the seurat_v3 LOESS trend and its surface (`.interpolate` is what scanpy computes).
    public var loessSpan = 0.3
    public var loessSurface: ExpressionLoess.Surface = .interpolate

    public init(targetSum: Float = 1e4, nTopGenes: Int = 2000, flavor: ExpressionHVGFlavor = .auto,
                maxValue: Float = 10, components: Int = 30) {
        self.targetSum = targetSum
        self.nTopGenes = nTopGenes
        self.flavor = flavor
        self.maxValue = maxValue
        self.components = components
    }
}

/// The "Seurat" expression baseline: normalise to `targetSum` counts, log1p, highly variable genes,
/// scale with clipping, PCA. Every parameter (genes, means, sds, loadings) comes from the training cells
/// only; `transform` applies them unchanged to any cells, so test cells never influence the model.
/// The pipeline is deterministic (exact eigendecomposition), so it takes no seed.
public struct ExpressionBaseline: Sendable, Codable {
    public let configuration: ExpressionBaselineConfiguration
    /// The flavour actually used (`.auto` resolved by whether the training data are integer counts).
    public let flavorUsed: ExpressionHVGFlavor
    /// Whether inputs are raw counts (normalised + log1p here) or already log-normalised (used as is).
    public let inputIsCounts: Bool
    /// Selected genes, in the training matrix's gene order (as scanpy's subset).
    public let selectedGenes: [String]
    public let scaler: ExpressionScaler
    public let pca: ExpressionPCA

    public var explainedVarianceRatio: [Float] { pca.explainedVarianceRatio }

    public static func fit(_ train: ExpressionMatrix,
                           configuration: ExpressionBaselineConfiguration = ExpressionBaselineConfiguration()) throws -> ExpressionBaseline {
        guard train.cellCount >= 2 else { throw LexicellError("baseline: need at least 2 training cells, got \(train.cellCount)") }
        guard configuration.nTopGenes >= 1 else { throw LexicellError("baseline: nTopGenes must be at least 1") }
        let isCounts = train.looksLikeCounts
        var flavor = configuration.flavor
        if flavor == .auto { flavor = isCounts ? .seuratV3 : .dispersion }
        if flavor == .seuratV3 && !isCounts {
            throw LexicellError("baseline: seurat_v3 genes need raw integer counts, but the training matrix has non-integer values; use the dispersion flavour")
        }
        let logNormalized = try Self.logNormalize(train.values, isCounts: isCounts, targetSum: configuration.targetSum)
        let ranked: [Int]
        switch flavor {
        case .seuratV3, .auto:
            ranked = try ExpressionPreprocessing.highlyVariableGenesSeuratV3(
                counts: train.values, nTopGenes: configuration.nTopGenes, span: configuration.loessSpan,
                surface: configuration.loessSurface)
        case .dispersion:
            ranked = try ExpressionPreprocessing.highlyVariableGenesDispersion(
                logNormalized: logNormalized, nTopGenes: configuration.nTopGenes)
        }
        let columns = ranked.sorted()
        let dense = ExpressionPreprocessing.denseColumns(logNormalized, columns: columns)
        let scaler = ExpressionScaler.fit(dense, maxValue: configuration.maxValue)
        let pca = try ExpressionPCA.fit(scaler.apply(dense), components: configuration.components)
        return ExpressionBaseline(configuration: configuration, flavorUsed: flavor, inputIsCounts: isCounts,
                                  selectedGenes: columns.map { train.genes[$0] }, scaler: scaler, pca: pca)
    }

    /// Fits on the `trainingCells` rows of `cells` only and returns the model with the scores of all cells
    /// (same row order). Rows outside `trainingCells` are only transformed, never fitted on.
    public static func fitTransform(_ cells: ExpressionMatrix, trainingCells: [Int],
                                    configuration: ExpressionBaselineConfiguration = ExpressionBaselineConfiguration())
        throws -> (baseline: ExpressionBaseline, scores: DenseMatrix) {
        guard trainingCells.allSatisfy({ $0 >= 0 && $0 < cells.cellCount }) else {
            throw LexicellError("baseline: training cell index out of range 0..<\(cells.cellCount)")
        }
        let baseline = try fit(cells.selectingCells(trainingCells), configuration: configuration)
        return (baseline, try baseline.transform(cells))
    }

    /// PCA scores (cells × components) of any cells, with the training genes, scaling and loadings.
    /// Genes are matched by name; a selected gene the cells lack counts as unexpressed.
    public func transform(_ cells: ExpressionMatrix) throws -> DenseMatrix {
        pca.transform(try scaledFeatures(cells))
    }

    /// The scaled, clipped log-normalised expression of the selected genes (cells × selected genes): the
    /// input of the PCA, and the "scaled log-normalised expression" features of linear classifiers.
    public func scaledFeatures(_ cells: ExpressionMatrix) throws -> DenseMatrix {
        var position = [String: Int](minimumCapacity: cells.geneCount)
        for (i, g) in cells.genes.enumerated() where position[g] == nil { position[g] = i }
        let found = selectedGenes.map { position[$0] }
        let present = found.compactMap { $0 }
        guard present.count * 2 >= selectedGenes.count else {
            throw LexicellError("baseline: only \(present.count) of the \(selectedGenes.count) selected genes are among the cells' genes")
        }
        let logNormalized = try Self.logNormalize(cells.values, isCounts: inputIsCounts, targetSum: configuration.targetSum)
        var dense = ExpressionPreprocessing.denseColumns(logNormalized, columns: present)
        if present.count < selectedGenes.count {
            // Re-spread the present columns into the training layout; missing genes stay 0.
            var full = DenseMatrix(rows: cells.cellCount, cols: selectedGenes.count)
            let targets = found.enumerated().compactMap { $0.element == nil ? nil : $0.offset }
            for r in 0..<cells.cellCount { for (j, t) in targets.enumerated() { full[r, t] = dense[r, j] } }
            dense = full
        }
        return scaler.apply(dense)
    }

    /// Counts normalised to `targetSum` per cell and log1p-transformed; other (already log-normalised) input as is.
    public static func logNormalize(_ m: SparseMatrix, isCounts: Bool, targetSum: Float) throws -> SparseMatrix {
        if isCounts {
            // normalize_total then log1p, fused into one pass over one copy.
            var out = m
            out.values.withUnsafeMutableBufferPointer { v in
                m.indptr.withUnsafeBufferPointer { ptr in
                    for r in 0..<m.rows {
                        let lo = ptr[r], hi = ptr[r + 1]
                        var total = 0.0
                        for k in lo..<hi { total += Double(v[k]) }
                        guard total > 0 else { continue }
                        let factor = Float(Double(targetSum) / total)
                        for k in lo..<hi { v[k] = Foundation.log1p(v[k] * factor) }
                    }
                }
            }
            return out
        }
        guard m.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw LexicellError("baseline: expression values must be finite and non-negative")
        }
        return m
    }
}
