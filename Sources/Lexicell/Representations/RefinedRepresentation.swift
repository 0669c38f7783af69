import Foundation
import LexicellCore
import LexicellLearn
import LexicellClassify

/// Settings for refining cell embeddings with supervised contrastive learning.
public struct RefinementSettings: Codable, Sendable {
    public var temperature: Float = 0.07
    public var hiddenDim = 512
    public var embeddingDim = 128
    public var maxEpochs = 200
    public var patience = 20
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1e-4
    public var batchSize = 256
    /// Fraction of the training cells held out (stratified) to stop early on their KNN accuracy.
    public var validationFraction = 0.15
    /// k of the validation KNN score.
    public var validationK = 10
    public init() {}

    /// The settings as result files record them.
    public var recorded: [String: String] {
        [
            "refine_temperature": "\(temperature)", "refine_max_epochs": "\(maxEpochs)", "refine_patience": "\(patience)",
            "refine_dims": "\(hiddenDim)->\(embeddingDim)", "refine_learning_rate": "\(learningRate)", "refine_batch": "\(batchSize)",
        ]
    }

    func configuration(inputDim: Int, seed: UInt64) -> SupConConfiguration {
        SupConConfiguration(
            inputDim: inputDim, hiddenDim: hiddenDim, embeddingDim: embeddingDim, temperature: temperature,
            learningRate: learningRate, weightDecay: weightDecay, batchSize: batchSize,
            maxEpochs: maxEpochs, patience: patience, seed: seed)
    }
}

/// Cell embeddings refined by a SupCon encoder trained on the training cells of each split only: view 1 (all
/// top genes) and view 2 (housekeeping genes removed) of a cell form its positive pair. Test cells are only
/// embedded by the trained encoder.
public struct RefinedRepresentation: CellRepresentation {
    public var name: String
    public var view1: DenseMatrix
    public var view2: DenseMatrix
    public var modelIdentity: String
    public var settings: RefinementSettings
    /// Training history of the most recent split (for reports).
    public let histories = HistoryLog()

    public init(name: String, view1: DenseMatrix, view2: DenseMatrix, modelIdentity: String, settings: RefinementSettings) {
        self.name = name
        self.view1 = view1
        self.view2 = view2
        self.modelIdentity = modelIdentity
        self.settings = settings
    }

    public func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) throws -> (train: DenseMatrix, test: DenseMatrix) {
        let refiner = try Self.train(
            view1: view1.selectingRows(train), view2: view2.selectingRows(train), labels: trainLabels,
            modelIdentity: modelIdentity, settings: settings, seed: seed, log: histories)
        return (try refiner.embed(view1.selectingRows(train)), try refiner.embed(view1.selectingRows(test)))
    }

    /// Trains a refiner on the given (training) cells, holding out a stratified validation part for early stopping
    /// on cosine-KNN accuracy.
    public static func train(
        view1: DenseMatrix, view2: DenseMatrix, labels: [Int], modelIdentity: String,
        settings: RefinementSettings, seed: UInt64, log: HistoryLog? = nil
    ) throws -> Refiner {
        let (fit, validation) = StratifiedSplit.trainTest(labels: labels, testFraction: settings.validationFraction, seed: seed &+ 0x5EED)
        let classCount = (labels.max() ?? 0) + 1
        let k = settings.validationK
        let score: SupConScore = { refTrain, trainLabels, refVal, valLabels in
            let p = KNNClassifier(reference: refTrain, labels: trainLabels, classCount: classCount).predict(refVal, k: k)
            return Double(zip(p.labels, valLabels).filter { $0 == $1 }.count) / Double(max(valLabels.count, 1))
        }
        let trainer = SupConTrainer(configuration: settings.configuration(inputDim: view1.cols, seed: seed))
        let (refiner, history) = try trainer.train(
            view1: view1.selectingRows(fit), view2: view2.selectingRows(fit), labels: fit.map { labels[$0] },
            validation: validation.isEmpty ? nil : (view1.selectingRows(validation), validation.map { labels[$0] }),
            modelIdentity: modelIdentity, score: score, progress: nil)
        log?.append(history)
        return refiner
    }

    /// Collects the training histories of the splits (a reference type so the representation stays a value).
    public final class HistoryLog: @unchecked Sendable {
        private let lock = NSLock()
        public private(set) var histories: [TrainingHistory] = []
        public init() {}
        func append(_ h: TrainingHistory) { lock.lock(); histories.append(h); lock.unlock() }
    }
}
