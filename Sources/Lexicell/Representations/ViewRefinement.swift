import Foundation
import LexicellCore
import LexicellCells
import LexicellLearn
import LexicellClassify

/// Two views of each training cell for SupCon (row i of `view1` and `view2` is one cell), and the inputs
/// whose refined embeddings, averaged and L2-normalised, represent training and test cells afterwards.
public struct CellViews {
    public var view1: DenseMatrix
    public var view2: DenseMatrix
    public var trainInputs: [DenseMatrix]
    public var testInputs: [DenseMatrix]
}

/// Where a refinement's two views come from.
public protocol CellViewSource {
    var name: String { get }
    /// Recorded in the refiner (what its input space is).
    var identity: String { get }
    /// Views of the `train` cells and inputs for both sets, fitted on `train` only.
    func views(train: [Int], test: [Int], seed: UInt64) throws -> CellViews
}

/// The paper's views: top genes with and without housekeeping genes (fixed per cell).
public struct TextViews: CellViewSource {
    public var name: String
    public var identity: String
    public var allGenes: DenseMatrix
    public var withoutHousekeeping: DenseMatrix
    public init(name: String, embeddings: TextCellEmbeddings) {
        self.name = name
        identity = embeddings.modelIdentity
        allGenes = embeddings.allGenes
        withoutHousekeeping = embeddings.withoutHousekeeping
    }
    public func views(train: [Int], test: [Int], seed: UInt64) throws -> CellViews {
        let t = allGenes.selectingRows(train)
        return CellViews(
            view1: t, view2: withoutHousekeeping.selectingRows(train), trainInputs: [t],
            testInputs: [allGenes.selectingRows(test)])
    }
}

/// Expression PCs, the second view from the same cell with a fraction of its detected genes dropped (seeded)
/// and projected by the same fitted baseline.
public struct ExpressionDropoutViews: CellViewSource {
    public var name: String
    public var features: ExpressionFeatures
    public var dropout: Double
    public var identity: String { "expression PCs (gene dropout \(dropout))" }

    public init(name: String, features: ExpressionFeatures, dropout: Double = 0.2) {
        self.name = name
        self.features = features
        self.dropout = dropout
    }

    public func views(train: [Int], test: [Int], seed: UInt64) throws -> CellViews {
        let f = try features.fitted(train: train, test: test)
        let dropped = Self.dropGenes(features.expression.selectingCells(train), fraction: dropout, seed: seed &+ 0xD40F)
        let v2 = f.baseline.pca.transform(try f.baseline.scaledFeatures(dropped))
        return CellViews(view1: f.pcsTrain, view2: v2, trainInputs: [f.pcsTrain], testInputs: [f.pcsTest])
    }

    /// Each stored (detected) entry set to zero with probability `fraction`.
    static func dropGenes(_ cells: ExpressionMatrix, fraction: Double, seed: UInt64) -> ExpressionMatrix {
        var out = cells
        var g = SeededGenerator(seed: seed)
        out.values.values.withUnsafeMutableBufferPointer { v in
            for i in v.indices where g.nextUniform() < fraction { v[i] = 0 }
        }
        return out
    }
}

/// Expression PCs and knowledge embeddings together (as `HybridRepresentation`), each view pairing the
/// expression dropout view with the knowledge view without housekeeping genes.
public struct HybridViews: CellViewSource {
    public var name: String
    public var expression: ExpressionDropoutViews
    public var text: TextViews
    public var weight: Float
    public var identity: String { "hybrid: \(expression.identity) + \(weight)·\(text.identity)" }

    public init(name: String, expression: ExpressionDropoutViews, text: TextViews, weight: Float) {
        self.name = name
        self.expression = expression
        self.text = text
        self.weight = weight
    }

    public func views(train: [Int], test: [Int], seed: UInt64) throws -> CellViews {
        let e = try expression.views(train: train, test: test, seed: seed)
        let t = try text.views(train: train, test: test, seed: seed)
        return CellViews(
            view1: HybridRepresentation.join(e.view1, t.view1, weight: weight),
            view2: HybridRepresentation.join(e.view2, t.view2, weight: weight),
            trainInputs: [HybridRepresentation.join(e.trainInputs[0], t.trainInputs[0], weight: weight)],
            testInputs: [HybridRepresentation.join(e.testInputs[0], t.testInputs[0], weight: weight)])
    }
}

/// Cross-view alignment: a cell's expression view [PCs, 0] and its knowledge view [0, text] are the positive
/// pair, so one encoder learns a space where both land together; a cell is then the mean of its two embeddings.
public struct CrossViews: CellViewSource {
    public var name: String
    public var features: ExpressionFeatures
    public var text: TextViews
    public var identity: String { "cross-view: expression PCs ↔ \(text.identity)" }

    public init(name: String, features: ExpressionFeatures, text: TextViews) {
        self.name = name
        self.features = features
        self.text = text
    }

    public func views(train: [Int], test: [Int], seed: UInt64) throws -> CellViews {
        let f = try features.fitted(train: train, test: test)
        func pad(_ m: DenseMatrix, left: Int, right: Int) -> DenseMatrix {
            DenseMatrix(rows: m.rows, cols: left).hconcat(m.rowNormalized()).hconcat(DenseMatrix(rows: m.rows, cols: right))
        }
        let p = f.pcsTrain.cols, d = text.allGenes.cols
        let eTrain = pad(f.pcsTrain, left: 0, right: d), kTrain = pad(text.allGenes.selectingRows(train), left: p, right: 0)
        return CellViews(
            view1: eTrain, view2: kTrain, trainInputs: [eTrain, kTrain],
            testInputs: [pad(f.pcsTest, left: 0, right: d), pad(text.allGenes.selectingRows(test), left: p, right: 0)])
    }
}

/// Any view source refined by SupCon on the training cells of each split (early stopping on a stratified
/// validation part of the training cells, as `RefinedRepresentation`).
public struct SupConRepresentation: CellRepresentation {
    public var source: CellViewSource
    public var settings: RefinementSettings
    public var name: String { source.name + " + SupCon" }

    public init(source: CellViewSource, settings: RefinementSettings) {
        self.source = source
        self.settings = settings
    }

    public func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) throws -> (train: DenseMatrix, test: DenseMatrix) {
        let v = try source.views(train: train, test: test, seed: seed)
        let refiner = try RefinedRepresentation.train(
            view1: v.view1, view2: v.view2, labels: trainLabels,
            modelIdentity: source.identity, settings: settings, seed: seed)
        func embed(_ inputs: [DenseMatrix]) throws -> DenseMatrix {
            var sum = try refiner.embed(inputs[0]).rowNormalized()
            for x in inputs.dropFirst() {
                let e = try refiner.embed(x).rowNormalized()
                for i in sum.values.indices { sum.values[i] += e.values[i] }
            }
            return sum.rowNormalized()
        }
        return (try embed(v.trainInputs), try embed(v.testInputs))
    }
}
