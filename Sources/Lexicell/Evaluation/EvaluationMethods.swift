import Foundation
import LexicellCore
import LexicellCells
import LexicellClassify

/// One evaluated method: a representation with the KNN protocol, or another classifier on the same splits.
public protocol EvaluationMethod {
    var name: String { get }
    /// One split's result and every cell's vector in that split's space.
    func evaluate(labels: [Int], classNames: [String], seed: UInt64, protocol: EvaluationProtocol) throws
        -> (result: SplitResult, vectors: DenseMatrix)
}

/// A representation classified by the paper's KNN protocol.
public struct KNNMethod: EvaluationMethod {
    public var representation: CellRepresentation
    public init(_ representation: CellRepresentation) { self.representation = representation }
    public var name: String { representation.name }
    public func evaluate(labels: [Int], classNames: [String], seed: UInt64, protocol p: EvaluationProtocol) throws
        -> (result: SplitResult, vectors: DenseMatrix) {
        try p.runKeepingVectors(representation, labels: labels, classNames: classNames, seed: seed)
    }
}

/// The graph baseline: a shared-nearest-neighbour graph on the representation (e.g. expression PCs fitted on
/// training cells), Leiden clusters over all cells of the split, each cluster labelled by the majority of its
/// training cells. Transductive (test cells shape the clusters) but no test label is read.
public struct GraphClusterMethod: EvaluationMethod {
    public var representation: CellRepresentation
    public var neighbours = 20
    public var resolution = 1.0
    public init(_ representation: CellRepresentation, neighbours: Int = 20, resolution: Double = 1) {
        self.representation = representation
        self.neighbours = neighbours
        self.resolution = resolution
    }
    public var name: String { representation.name + " + SNN/Leiden clusters" }

    public func evaluate(labels: [Int], classNames: [String], seed: UInt64, protocol p: EvaluationProtocol) throws
        -> (result: SplitResult, vectors: DenseMatrix) {
        let t0 = Date()
        let (train, test) = p.split(labels: labels, seed: seed)
        let trainLabels = train.map { labels[$0] }
        let (xTrain, xTest) = try representation.vectors(train: train, trainLabels: trainLabels, test: test, seed: seed)
        // Points: training rows first, then test rows.
        var points = xTrain
        points.values += xTest.values
        points.rows += xTest.rows
        let (predicted, _) = try ClusterClassifier.fitPredict(
            points: points, trainIndices: Array(0..<train.count), trainLabels: trainLabels,
            testIndices: Array(train.count..<(train.count + test.count)), neighbours: neighbours, resolution: resolution, seed: seed)
        let truth = test.map { labels[$0] }
        let all = EvaluationProtocol.datasetOrder(cells: labels.count, train: train, xTrain, test: test, xTest)
        let result = SplitResult(seed: seed, metrics: ClassificationMetrics(truth: truth, predicted: predicted, classNames: classNames),
                                 trainCount: train.count, test: test, truth: truth, predicted: predicted,
                                 confidence: [Double](repeating: .nan, count: test.count), seconds: Date().timeIntervalSince(t0))
        return (result, all)
    }
}
