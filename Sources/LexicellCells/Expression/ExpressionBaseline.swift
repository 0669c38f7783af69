import Foundation
import LexicellCore

public struct ExpressionBaselineConfiguration: Sendable, Equatable, Codable {
    public var targetSum: Float = 1e4
    public var nTopGenes = 2000
    public var flavor: ExpressionHVGFlavor = .auto
    /// Scaled values are clipped to ±maxValue.
    public var maxValue: Float = 10
    /// PCs kept: at most this many, and at most min(cells, genes) − 1 of the training cells.
    public var components = 30
    /// Span of the seurat_v3 LOESS trend and its surface (`.interpolate` is what scanpy computes).
    public var loessSpan = 0.3
    public var loessSurface: ExpressionLoess.Surface = .interpolate
    /// What the input values are (`--input-scale`); nil detects it from the training matrix
    /// (`InputScale.detect`).
    public var inputScale: InputScale?
    /// The PCA solver; nil is `.auto` (exact up to `ExpressionPCA.randomizedAboveCells` training cells).
    public var pcaSolver: ExpressionPCASolver?

    public init(
        targetSum: Float = 1e4, nTopGenes: Int = 2000, flavor: ExpressionHVGFlavor = .auto,
        maxValue: Float = 10, components: Int = 30, inputScale: InputScale? = nil
    ) {
        self.targetSum = targetSum
        self.nTopGenes = nTopGenes
        self.flavor = flavor
        self.maxValue = maxValue
        self.components = components
        self.inputScale = inputScale
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
    /// What the training values were (given or detected): counts and linear values are normalised per cell
    /// and log1p here, log values are used as is. New cells are taken to be on the same scale.
    public let inputScale: InputScale
    /// Why that scale (the detection's reason, or that it was given).
    public let inputScaleReason: String
    /// Whether inputs are raw counts.
    public var inputIsCounts: Bool { inputScale == .counts }
    /// Selected genes, in the training matrix's gene order (as scanpy's subset).
    public let selectedGenes: [String]
    public let scaler: ExpressionScaler
    public let pca: ExpressionPCA

    public var explainedVarianceRatio: [Float] { pca.explainedVarianceRatio }

    public static func fit(
        _ train: ExpressionMatrix,
        configuration: ExpressionBaselineConfiguration = ExpressionBaselineConfiguration()
    ) throws -> ExpressionBaseline {
        guard train.cellCount >= 2 else { throw LexicellError("baseline: need at least 2 training cells, got \(train.cellCount)") }
        guard configuration.nTopGenes >= 1 else { throw LexicellError("baseline: nTopGenes must be at least 1") }
        let scale: InputScale, reason: String
        if let given = configuration.inputScale {
            // Still refuse NaN, infinities and negative (scaled) values.
            let detected = try InputScale.detect(train.values)
            if given == .counts && detected.scale != .counts {
                throw LexicellError(
                    "baseline: the input scale was given as counts, but the training matrix has non-integer values (\(detected.reason)); give --input-scale linear or log, or auto"
                )
            }
            (scale, reason) = (given, "given (detection would say: \(detected.scale.rawValue))")
        } else {
            let detected = try InputScale.detect(train.values)
            (scale, reason) = (detected.scale, detected.reason)
        }
        let isCounts = scale == .counts
        var flavor = configuration.flavor
        if flavor == .auto { flavor = isCounts ? .seuratV3 : .dispersion }
        if flavor == .seuratV3 && !isCounts {
            throw LexicellError(
                "baseline: seurat_v3 genes need raw integer counts, but the training matrix is \(scale.rawValue)-scale; use the dispersion flavour")
        }
        let logNormalized = try Self.logNormalize(train.values, scale: scale, targetSum: configuration.targetSum)
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
        // As scanpy: no more components than min(cells, genes) − 1 allows (small datasets, CV folds).
        let components = max(1, min(configuration.components, train.cellCount - 1, columns.count - 1))
        let scaler: ExpressionScaler, pca: ExpressionPCA
        if Self.usesRandomizedPCA(cells: train.cellCount, solver: configuration.pcaSolver) {
            // Large inputs: scaling and PCA on the sparse matrix, never a dense cells × genes copy.
            let selected = logNormalized.selectingColumns(columns)
            scaler = ExpressionScaler.fit(sparse: selected, maxValue: configuration.maxValue)
            pca = try ExpressionPCA.fitRandomized(ScaledSparseExpression(values: selected, scaler: scaler), components: components)
        } else {
            let dense = ExpressionPreprocessing.denseColumns(logNormalized, columns: columns)
            scaler = ExpressionScaler.fit(dense, maxValue: configuration.maxValue)
            pca = try ExpressionPCA.fit(scaler.apply(dense), components: components)
        }
        return ExpressionBaseline(
            configuration: configuration, flavorUsed: flavor, inputScale: scale, inputScaleReason: reason,
            selectedGenes: columns.map { train.genes[$0] }, scaler: scaler, pca: pca)
    }

    init(
        configuration: ExpressionBaselineConfiguration, flavorUsed: ExpressionHVGFlavor, inputScale: InputScale,
        inputScaleReason: String, selectedGenes: [String], scaler: ExpressionScaler, pca: ExpressionPCA
    ) {
        self.configuration = configuration
        self.flavorUsed = flavorUsed
        self.inputScale = inputScale
        self.inputScaleReason = inputScaleReason
        self.selectedGenes = selectedGenes
        self.scaler = scaler
        self.pca = pca
    }

    private enum CodingKeys: String, CodingKey {
        case configuration, flavorUsed, inputIsCounts, inputScale, inputScaleReason, selectedGenes, scaler, pca
    }

    /// Models saved before input scales existed have only `inputIsCounts` (false meant log).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(ExpressionBaselineConfiguration.self, forKey: .configuration)
        flavorUsed = try c.decode(ExpressionHVGFlavor.self, forKey: .flavorUsed)
        if let scale = try c.decodeIfPresent(InputScale.self, forKey: .inputScale) {
            inputScale = scale
        } else {
            inputScale = try c.decode(Bool.self, forKey: .inputIsCounts) ? .counts : .log
        }
        inputScaleReason = try c.decodeIfPresent(String.self, forKey: .inputScaleReason) ?? "saved by an earlier version"
        selectedGenes = try c.decode([String].self, forKey: .selectedGenes)
        scaler = try c.decode(ExpressionScaler.self, forKey: .scaler)
        pca = try c.decode(ExpressionPCA.self, forKey: .pca)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(flavorUsed, forKey: .flavorUsed)
        try c.encode(inputIsCounts, forKey: .inputIsCounts)
        try c.encode(inputScale, forKey: .inputScale)
        try c.encode(inputScaleReason, forKey: .inputScaleReason)
        try c.encode(selectedGenes, forKey: .selectedGenes)
        try c.encode(scaler, forKey: .scaler)
        try c.encode(pca, forKey: .pca)
    }

    /// Fits on the `trainingCells` rows of `cells` only and returns the model with the scores of all cells
    /// (same row order). Rows outside `trainingCells` are only transformed, never fitted on.
    public static func fitTransform(
        _ cells: ExpressionMatrix, trainingCells: [Int],
        configuration: ExpressionBaselineConfiguration = ExpressionBaselineConfiguration()
    )
        throws -> (baseline: ExpressionBaseline, scores: DenseMatrix)
    {
        guard trainingCells.allSatisfy({ $0 >= 0 && $0 < cells.cellCount }) else {
            throw LexicellError("baseline: training cell index out of range 0..<\(cells.cellCount)")
        }
        let baseline = try fit(cells.selectingCells(trainingCells), configuration: configuration)
        return (baseline, try baseline.transform(cells))
    }

    static func usesRandomizedPCA(cells: Int, solver: ExpressionPCASolver?) -> Bool {
        switch solver ?? .auto {
        case .exact: return false
        case .randomized: return true
        case .auto: return cells > ExpressionPCA.randomizedAboveCells
        }
    }

    /// PCA scores (cells × components) of any cells, with the training genes, scaling and loadings.
    /// Genes are matched by name; a selected gene the cells lack counts as unexpressed. Many cells are scaled
    /// and projected a block of rows at a time.
    public func transform(_ cells: ExpressionMatrix) throws -> DenseMatrix {
        guard cells.cellCount > ExpressionPCA.randomizedAboveCells, let sparse = try scaledSparse(cells) else {
            return pca.transform(try scaledFeatures(cells))
        }
        let k = pca.components.rows
        var scores = DenseMatrix(rows: cells.cellCount, cols: k)
        sparse.forEachBlock { start, block in
            let b = pca.transform(block)
            scores.values.replaceSubrange((start * k)..<((start + block.rows) * k), with: b.values)
        }
        return scores
    }

    /// The selected genes' log-normalised values kept sparse with the scaler, when the cells have every selected
    /// gene (else nil: `scaledFeatures` re-spreads them).
    func scaledSparse(_ cells: ExpressionMatrix) throws -> ScaledSparseExpression? {
        var position = [String: Int](minimumCapacity: cells.geneCount)
        for (i, g) in cells.genes.enumerated() where position[g] == nil { position[g] = i }
        let found = selectedGenes.compactMap { position[$0] }
        guard found.count == selectedGenes.count else { return nil }
        try checkScale(cells)
        let logNormalized = try Self.logNormalize(cells.values, scale: inputScale, targetSum: configuration.targetSum)
        return ScaledSparseExpression(values: logNormalized.selectingColumns(found), scaler: scaler)
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
        try checkScale(cells)
        let logNormalized = try Self.logNormalize(cells.values, scale: inputScale, targetSum: configuration.targetSum)
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

    /// Refuses cells that look to be on another kind of scale than the training cells (unless it was given).
    func checkScale(_ cells: ExpressionMatrix) throws {
        if configuration.inputScale == nil && !cells.values.values.isEmpty {
            // New cells on another kind of scale would be prepared wrongly in silence (counts taken as log,
            // or log values normalised again): refuse them.
            let detected = try InputScale.detect(cells.values)
            if detected.scale.needsNormalising != inputScale.needsNormalising {
                throw LexicellError(
                    "baseline: the model was fitted on \(inputScale.rawValue)-scale data, but these cells look \(detected.scale.rawValue)-scale (\(detected.reason)); give cells on the training scale or set the input scale explicitly"
                )
            }
        }
    }

    /// Values on `scale` normalised to `targetSum` per cell and log1p-transformed (counts and linear values);
    /// log-scale input as is.
    public static func logNormalize(_ m: SparseMatrix, scale: InputScale, targetSum: Float) throws -> SparseMatrix {
        if scale.needsNormalising {
            guard m.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw LexicellError("baseline: \(scale.rawValue) values must be finite and non-negative")
            }
            return LogNormalization.log1pPerTarget(m, target: Double(targetSum))
        }
        guard m.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw LexicellError("baseline: expression values must be finite and non-negative")
        }
        return m
    }
}
