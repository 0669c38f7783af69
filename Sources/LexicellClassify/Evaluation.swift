import Foundation
import LexicellCore

/// A way to turn cells into vectors, fitted on training cells only (e.g. gene-text embeddings, refined
/// embeddings, expression PCs). The protocol never shows it test labels.
public protocol CellRepresentation {
    var name: String { get }
    /// Vectors for the training and test cells (indices into the dataset), fitted on `train` only.
    func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) throws -> (train: DenseMatrix, test: DenseMatrix)
}

/// A representation that is a fixed matrix, one row per cell (nothing to fit).
public struct FixedRepresentation: CellRepresentation {
    public var name: String
    public var matrix: DenseMatrix
    public init(name: String, matrix: DenseMatrix) { self.name = name; self.matrix = matrix }
    public func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) -> (train: DenseMatrix, test: DenseMatrix) {
        (matrix.selectingRows(train), matrix.selectingRows(test))
    }
}

/// The paper's KNN evaluation: stratified seeded 80/20 splits; k chosen from a grid by stratified
/// cross-validation on the training cells only; metrics on the test cells.
public struct KNNEvaluation: Sendable {
    public var kGrid: [Int] = [4, 6, 8, 10, 12, 14]
    public var folds = 5
    public var testFraction = 0.2
    public init() {}

    /// Results for one split.
    public struct SplitResult: Codable, Sendable {
        public var seed: UInt64
        public var chosenK: Int
        /// Mean cross-validated accuracy on the training cells, per k of the grid.
        public var crossValidationAccuracy: [Double]
        /// Test accuracy per k of the grid (reported for the k sweep; never used for choosing k).
        public var testAccuracyByK: [Double]
        public var metrics: ClassificationMetrics
        public var trainCount: Int
        public var testCount: Int
        /// Test cell indices, their true and predicted class indices.
        public var test: [Int]
        public var truth: [Int]
        public var predicted: [Int]
        public var voteFraction: [Double]
        public var meanSimilarity: [Double]
        public var seconds: Double
        /// What a selecting method chose, calibrated probabilities and smoothing (nil for the plain KNN protocol).
        public var details: SplitDetails?

        public init(seed: UInt64, chosenK: Int, crossValidationAccuracy: [Double], testAccuracyByK: [Double],
                    metrics: ClassificationMetrics, trainCount: Int, testCount: Int, test: [Int], truth: [Int], predicted: [Int],
                    voteFraction: [Double], meanSimilarity: [Double], seconds: Double) {
            self.seed = seed
            self.chosenK = chosenK
            self.crossValidationAccuracy = crossValidationAccuracy
            self.testAccuracyByK = testAccuracyByK
            self.metrics = metrics
            self.trainCount = trainCount
            self.testCount = testCount
            self.test = test
            self.truth = truth
            self.predicted = predicted
            self.voteFraction = voteFraction
            self.meanSimilarity = meanSimilarity
            self.seconds = seconds
        }
    }

    /// A split's training and test rows put back in dataset order (cells × dimensions), for plotting.
    public static func datasetOrder(cells: Int, train: [Int], _ xTrain: DenseMatrix, test: [Int], _ xTest: DenseMatrix) -> DenseMatrix {
        var all = DenseMatrix(rows: cells, cols: xTrain.cols)
        for (rows, x) in [(train, xTrain), (test, xTest)] {
            for (i, r) in rows.enumerated() { all.values.replaceSubrange((r * x.cols)..<((r + 1) * x.cols), with: x.row(i)) }
        }
        return all
    }

    /// Chooses k by cross-validation on `x` (training cells only). Returns mean accuracy per k.
    public func crossValidate(_ x: DenseMatrix, labels: [Int], classCount: Int, seed: UInt64) -> [Double] {
        let fold = StratifiedSplit.kFold(labels: labels, folds: folds, seed: seed &+ 0x9E37)
        let maxK = kGrid.max() ?? 1
        var correct = [Int](repeating: 0, count: kGrid.count)
        for f in 0..<folds {
            let tr = (0..<labels.count).filter { fold[$0] != f }, va = (0..<labels.count).filter { fold[$0] == f }
            guard !tr.isEmpty, !va.isEmpty else { continue }
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
        let (train, test) = StratifiedSplit.trainTest(labels: labels, testFraction: testFraction, seed: seed)
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
        let result = SplitResult(seed: seed, chosenK: kGrid[best], crossValidationAccuracy: cv, testAccuracyByK: sweep,
                           metrics: ClassificationMetrics(truth: truth, predicted: p.labels, classNames: classNames),
                           trainCount: train.count, testCount: test.count, test: test, truth: truth, predicted: p.labels,
                           voteFraction: p.voteFraction, meanSimilarity: p.meanSimilarity,
                           seconds: Date().timeIntervalSince(t0))
        return (result, all)
    }
}

/// What a method that selects a representation, head and setting on the training cells did in one split.
public struct SplitDetails: Codable, Sendable {
    /// Label of the chosen candidate with its setting, e.g. "scaled genes + LR (C = 0.1)".
    public var chosen: String
    /// Cross-validated accuracy and macro F1 on the training cells of every candidate and setting tried.
    public var candidateScores: [CandidateScore]
    /// "platt", "isotonic" or "none".
    public var calibration: String
    /// Expected calibration error on the test cells of the head's own scores and of the calibrated ones.
    public var eceRaw: Double
    public var eceCalibrated: Double
    /// Reliability table of the calibrated probabilities on the test cells.
    public var reliability: [ReliabilityBin]
    /// Calibrated probability of the predicted class, per test cell.
    public var probability: [Double]
    /// Below this probability a cell is called Unassigned; the share assigned and their accuracy.
    public var minConfidence: Double
    public var assignedFraction: Double
    public var assignedAccuracy: Double
    /// Predictions after majority voting over over-clusters of the test cells, and their metrics.
    public var smoothedPredicted: [Int]?
    public var smoothedMetrics: ClassificationMetrics?
    /// For linear heads on expression: per class, the genes of largest weight.
    public var topGenes: [[String]]?

    public struct CandidateScore: Codable, Sendable {
        public var candidate: String
        public var accuracy: Double
        public var macroF1: Double
        /// What selection maximises: the mean of accuracy and macro F1.
        public var criterion: Double { (accuracy + macroF1) / 2 }
        public init(candidate: String, accuracy: Double, macroF1: Double) {
            self.candidate = candidate; self.accuracy = accuracy; self.macroF1 = macroF1
        }
    }

    public init(chosen: String, candidateScores: [CandidateScore], calibration: String, eceRaw: Double, eceCalibrated: Double,
                reliability: [ReliabilityBin], probability: [Double], minConfidence: Double, assignedFraction: Double,
                assignedAccuracy: Double) {
        self.chosen = chosen
        self.candidateScores = candidateScores
        self.calibration = calibration
        self.eceRaw = eceRaw
        self.eceCalibrated = eceCalibrated
        self.reliability = reliability
        self.probability = probability
        self.minConfidence = minConfidence
        self.assignedFraction = assignedFraction
        self.assignedAccuracy = assignedAccuracy
    }
}

/// Summary over seeds of one method.
public struct MethodSummary: Codable, Sendable {
    public var method: String
    public var accuracy: MeanSD
    public var weightedF1: MeanSD
    public var macroF1: MeanSD
    public var kappa: MeanSD
    public var balancedAccuracy: MeanSD
    public var chosenK: [Int]
    /// The chosen k per split as text ("—" for methods without k, such as cluster labelling).
    public var chosenKText: String { chosenK.allSatisfy { $0 == 0 } ? "—" : chosenK.map(String.init).joined(separator: ",") }
    public var testAccuracyByK: [MeanSD]
    public var crossValidationAccuracyByK: [MeanSD]

    public init(method: String, splits: [KNNEvaluation.SplitResult]) {
        self.method = method
        accuracy = MeanSD(splits.map { $0.metrics.accuracy })
        weightedF1 = MeanSD(splits.map { $0.metrics.weightedF1 })
        macroF1 = MeanSD(splits.map { $0.metrics.macroF1 })
        kappa = MeanSD(splits.map { $0.metrics.kappa })
        balancedAccuracy = MeanSD(splits.map { $0.metrics.balancedAccuracy })
        chosenK = splits.map { $0.chosenK }
        let nk = splits.first?.testAccuracyByK.count ?? 0
        testAccuracyByK = (0..<nk).map { i in MeanSD(splits.map { $0.testAccuracyByK[i] }) }
        crossValidationAccuracyByK = (0..<nk).map { i in MeanSD(splits.map { $0.crossValidationAccuracy[i] }) }
    }
}
