import Foundation
import LexicellCore
import LexicellCells
import LexicellClassify

/// The expression baseline fitted on a set of training cells, with the features of those cells and of one
/// set of other cells. Shared by every expression-derived representation so that one split (or one
/// cross-validation fold) fits normalisation, genes, scaling and PCA once.
public final class ExpressionFeatures: @unchecked Sendable {
    public let expression: ExpressionMatrix
    public let configuration: ExpressionBaselineConfiguration

    public struct Fitted {
        public var baseline: ExpressionBaseline
        /// Scaled log-normalised expression of the selected genes, training and other cells.
        public var scaledTrain: DenseMatrix
        public var scaledTest: DenseMatrix
        /// PCA scores of the same cells.
        public var pcsTrain: DenseMatrix
        public var pcsTest: DenseMatrix
    }

    private let lock = NSLock()
    private var memo: [(key: [Int], value: Fitted)] = []
    /// Enough for one split and its cross-validation folds.
    private let capacity = 8

    public init(expression: ExpressionMatrix, configuration: ExpressionBaselineConfiguration = ExpressionBaselineConfiguration()) {
        self.expression = expression
        self.configuration = configuration
    }

    /// Fits on `train` only (test cells are only transformed) and remembers the result.
    public func fitted(train: [Int], test: [Int]) throws -> Fitted {
        let key = train + [-1] + test
        lock.lock()
        if let hit = memo.first(where: { $0.key == key }) { lock.unlock(); return hit.value }
        lock.unlock()
        let trainCells = expression.selectingCells(train), testCells = expression.selectingCells(test)
        let baseline = try ExpressionBaseline.fit(trainCells, configuration: configuration)
        let st = try baseline.scaledFeatures(trainCells), ss = try baseline.scaledFeatures(testCells)
        let value = Fitted(
            baseline: baseline, scaledTrain: st, scaledTest: ss,
            pcsTrain: baseline.pca.transform(st), pcsTest: baseline.pca.transform(ss))
        lock.lock()
        memo.append((key, value))
        if memo.count > capacity { memo.removeFirst() }
        lock.unlock()
        return value
    }
}

/// Which expression features a representation uses.
public enum ExpressionFeatureKind: String, Codable, Sendable {
    /// The baseline's PCs (scanpy/Seurat recipe, 30 components).
    case pcs
    /// The scaled log-normalised expression of the highly variable genes (the PCA's input).
    case scaledGenes
}

/// Expression PCs or scaled highly variable genes, fitted on the training cells of each split.
public struct ExpressionRepresentation: CellRepresentation, GeneWeightReadable {
    public var name: String
    public var kind: ExpressionFeatureKind
    public var features: ExpressionFeatures

    public init(name: String, kind: ExpressionFeatureKind, features: ExpressionFeatures) {
        self.name = name
        self.kind = kind
        self.features = features
    }

    public func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) throws -> (train: DenseMatrix, test: DenseMatrix) {
        let f = try features.fitted(train: train, test: test)
        return kind == .pcs ? (f.pcsTrain, f.pcsTest) : (f.scaledTrain, f.scaledTest)
    }

    /// Gene weights of a linear function of this representation's features (PCs are mapped back through the
    /// loadings into the scaled-gene space).
    public func geneWeights(_ featureWeights: [Float], train: [Int], test: [Int]) throws -> (genes: [String], weights: [Float]) {
        let b = try features.fitted(train: train, test: test).baseline
        switch kind {
        case .scaledGenes: return (b.selectedGenes, featureWeights)
        case .pcs:
            let comps = b.pca.components  // components × genes
            var w = [Float](repeating: 0, count: comps.cols)
            for (k, a) in featureWeights.enumerated() where k < comps.rows {
                for g in 0..<comps.cols { w[g] += a * comps[k, g] }
            }
            return (b.selectedGenes, w)
        }
    }
}

/// A representation whose linear read-outs can be mapped to genes (for the feature reading of linear heads).
public protocol GeneWeightReadable {
    func geneWeights(_ featureWeights: [Float], train: [Int], test: [Int]) throws -> (genes: [String], weights: [Float])
}

/// Expression PCs and a gene-knowledge embedding side by side: each block L2-normalised per cell, the
/// knowledge block multiplied by `weight` (so for cosine neighbours, weight² is the share of the knowledge
/// block's similarity relative to the expression block's).
public struct HybridRepresentation: CellRepresentation {
    public var name: String
    public var features: ExpressionFeatures
    public var knowledge: DenseMatrix
    public var weight: Float

    public init(name: String, features: ExpressionFeatures, knowledge: DenseMatrix, weight: Float) {
        self.name = name
        self.features = features
        self.knowledge = knowledge
        self.weight = weight
    }

    public func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) throws -> (train: DenseMatrix, test: DenseMatrix) {
        let f = try features.fitted(train: train, test: test)
        return (
            Self.join(f.pcsTrain, knowledge.selectingRows(train), weight: weight),
            Self.join(f.pcsTest, knowledge.selectingRows(test), weight: weight)
        )
    }

    static func join(_ a: DenseMatrix, _ b: DenseMatrix, weight: Float) -> DenseMatrix {
        var bn = b.rowNormalized()
        for i in bn.values.indices { bn.values[i] *= weight }
        return a.rowNormalized().hconcat(bn)
    }
}
