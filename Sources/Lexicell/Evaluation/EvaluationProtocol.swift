import Foundation
import LexicellCore
import LexicellClassify

/// The evaluation protocol: stratified seeded train/test splits (80/20 by default), every fit on the training
/// cells only, metrics on the test cells. `run` is the paper's KNN protocol (k chosen from `kGrid` by stratified
/// cross-validation on the training cells); other methods (`EvaluationMethod`) use the same splits and folds.
public struct EvaluationProtocol: Sendable {
    public var kGrid: [Int] = HeadGrids.defaultKGrid
    public var folds = 5
    public var testFraction = 0.2
    /// Learning curves: at most this many training cells per class (drawn with the split's seed); the test
    /// cells of the split stay the same whatever the size. nil: every training cell.
    public var trainPerClass: Int?
    public init() {}

    /// The split of `seed`: stratified train/test, then the per-class training subsample. Every method uses it.
    public func split(labels: [Int], seed: UInt64) -> (train: [Int], test: [Int]) {
        let (train, test) = StratifiedSplit.trainTest(labels: labels, testFraction: testFraction, seed: seed)
        guard let n = trainPerClass else { return (train, test) }
        return (StratifiedSplit.subsample(train, labels: labels, perClass: n, seed: seed &+ 0x5B5A), test)
    }

    /// A split's training and test rows put back in dataset order (cells × dimensions), for plotting.
    public static func datasetOrder(cells: Int, train: [Int], _ xTrain: DenseMatrix, test: [Int], _ xTest: DenseMatrix) -> DenseMatrix {
        var all = DenseMatrix(rows: cells, cols: xTrain.cols)
        for (rows, x) in [(train, xTrain), (test, xTest)] {
            for (i, r) in rows.enumerated() { all.values.replaceSubrange((r * x.cols)..<((r + 1) * x.cols), with: x.row(i)) }
        }
        return all
    }

    /// Mean out-of-fold accuracy of each k of the grid on `x` (training cells only).
    public func crossValidate(_ x: DenseMatrix, labels: [Int], classCount: Int, seed: UInt64) -> [Double] {
        let maxK = kGrid.max() ?? 1
        var correct = [Int](repeating: 0, count: kGrid.count)
        CrossValidation.forEachFold(labels: labels, folds: folds, seed: seed &+ 0x9E37) { tr, va in
            let knn = KNNClassifier(reference: x.selectingRows(tr), labels: tr.map { labels[$0] }, classCount: classCount)
            let nb = knn.neighbors(of: x.selectingRows(va), k: maxK)
            for (i, k) in kGrid.enumerated() {
                let p = knn.vote(nb, k: k)
                correct[i] += zip(p.labels, va).filter { $0 == labels[$1] }.count
            }
        }
        return correct.map { Double($0) / Double(labels.count) }
    }

    /// Runs one split of the protocol.
    public func run(_ representation: CellRepresentation, labels: [Int], classNames: [String], seed: UInt64) throws -> SplitResult {
        try runKeepingVectors(representation, labels: labels, classNames: classNames, seed: seed).result
    }

    /// Runs one split and also returns every cell's vector in that split's space (training and test rows put
    /// back in dataset order), for plotting.
    public func runKeepingVectors(_ representation: CellRepresentation, labels: [Int], classNames: [String],
                                  seed: UInt64) throws -> (result: SplitResult, vectors: DenseMatrix) {
        let t0 = Date()
        let (train, test) = split(labels: labels, seed: seed)
        let trainLabels = train.map { labels[$0] }
        let (xTrain, xTest) = try representation.vectors(train: train, trainLabels: trainLabels, test: test, seed: seed)
        let cv = crossValidate(xTrain, labels: trainLabels, classCount: classNames.count, seed: seed)
        // Best mean CV accuracy; ties go to the smaller k.
        var best = 0
        for i in cv.indices where cv[i] > cv[best] { best = i }
        let knn = KNNClassifier(reference: xTrain, labels: trainLabels, classCount: classNames.count)
        let nb = knn.neighbors(of: xTest, k: kGrid.max() ?? 1)
        let truth = test.map { labels[$0] }
        let sweep = kGrid.map { k -> Double in
            let p = knn.vote(nb, k: k)
            return Double(zip(p.labels, truth).filter { $0 == $1 }.count) / Double(max(truth.count, 1))
        }
        let p = knn.vote(nb, k: kGrid[best])
        let all = Self.datasetOrder(cells: labels.count, train: train, xTrain, test: test, xTest)
        var result = SplitResult(seed: seed, metrics: ClassificationMetrics(truth: truth, predicted: p.labels, classNames: classNames),
                                 trainCount: train.count, test: test, truth: truth, predicted: p.labels, confidence: p.voteFraction,
                                 seconds: Date().timeIntervalSince(t0))
        result.meanSimilarity = p.meanSimilarity
        result.kSelection = KSelection(chosenK: kGrid[best], crossValidationAccuracy: cv, testAccuracy: sweep)
        return (result, all)
    }
}

/// One method's result on one split, whatever its head.
public struct SplitResult: Codable, Sendable {
    public var seed: UInt64
    public var metrics: ClassificationMetrics
    public var trainCount: Int
    public var testCount: Int { test.count }
    /// Test cell indices, their true and predicted class indices.
    public var test: [Int]
    public var truth: [Int]
    public var predicted: [Int]
    /// Per test cell, the head's own confidence in its prediction: the KNN vote fraction or a linear head's
    /// probability (uncalibrated); NaN for methods without one (cluster labelling).
    public var confidence: [Double]
    /// Per test cell, the mean cosine similarity to its k neighbours (KNN protocol only).
    public var meanSimilarity: [Double]?
    /// How k was chosen (KNN protocol; a selecting method that chose KNN records its k without a sweep).
    public var kSelection: KSelection?
    public var seconds: Double
    /// What a selecting method chose, calibrated probabilities and smoothing (nil for the plain KNN protocol).
    public var details: SplitDetails?
    /// Per test cell, why it has no signal ("no counts", "no usable gene"), or nil: such cells are reported
    /// `Unassigned` with confidence 0 in predictions.csv (metrics keep the method's own prediction).
    public var noSignal: [String?]?

    public init(seed: UInt64, metrics: ClassificationMetrics, trainCount: Int, test: [Int], truth: [Int], predicted: [Int],
                confidence: [Double], seconds: Double) {
        self.seed = seed
        self.metrics = metrics
        self.trainCount = trainCount
        self.test = test
        self.truth = truth
        self.predicted = predicted
        self.confidence = confidence
        self.seconds = seconds
    }

    /// The k used, when the head was KNN.
    public var chosenK: Int? { kSelection?.chosenK }
}

/// The KNN protocol's choice of k on one split.
public struct KSelection: Codable, Sendable {
    public var chosenK: Int
    /// Mean cross-validated accuracy on the training cells, per k of the grid (empty when k was chosen elsewhere).
    public var crossValidationAccuracy: [Double]
    /// Test accuracy per k of the grid (reported for the k sweep; never used for choosing k).
    public var testAccuracy: [Double]

    public init(chosenK: Int, crossValidationAccuracy: [Double] = [], testAccuracy: [Double] = []) {
        self.chosenK = chosenK
        self.crossValidationAccuracy = crossValidationAccuracy
        self.testAccuracy = testAccuracy
    }
}
