import Foundation
import LexicellCore

/// A validation score (higher is better) from refined training and validation embeddings and their labels.
public typealias SupConScore = (
    _ refinedTrain: DenseMatrix, _ trainLabels: [Int],
    _ refinedValidation: DenseMatrix, _ validationLabels: [Int]
) -> Double

/// What happened during training, epoch by epoch.
public struct TrainingHistory: Codable, Equatable, Sendable {
    public struct Epoch: Codable, Equatable, Sendable {
        /// 1-based epoch number.
        public var epoch: Int
        /// Mean SupCon loss over the epoch's mini-batches.
        public var loss: Double
        /// Validation score, when this epoch was scored.
        public var score: Double?
        /// Wall-clock seconds of the epoch's training steps (scoring excluded).
        public var seconds: Double
    }

    public var epochs: [Epoch] = []
    /// Epoch whose weights the refiner holds (the best scored one, or the last without validation).
    public var bestEpoch = 0
    public var bestScore: Double?
    public var stoppedEarly = false
    /// Wall-clock seconds of the whole run, scoring included.
    public var totalSeconds = 0.0
}

/// Trains a SupCon refiner on the two views of each training cell.
///
/// Leakage: the trainer sees only the matrices it is given. Callers pass training-split cells only (the
/// validation pair, if any, is carved out of the training split too); test cells must never reach it.
public struct SupConTrainer: Sendable {
    public let configuration: SupConConfiguration

    public init(configuration: SupConConfiguration) { self.configuration = configuration }

    /// - Parameters:
    ///   - view1: n × inputDim, the top-N gene embedding of each cell (also what scoring embeds).
    ///   - view2: n × inputDim, the same cells after housekeeping-gene filtering; row i pairs with view1's row i.
    ///   - labels: one class label per cell.
    ///   - validation: view-1 embeddings and labels of held-out training-split cells for early stopping; without
    ///     it training runs `maxEpochs` and keeps the last weights.
    ///   - modelIdentity: the gene-embedding model the views come from, stored in the refiner.
    ///   - score: validation score, higher is better (default: nearest-centroid cosine accuracy).
    ///   - augment: when given, called at the start of every epoch (0-based) with the run's augmentation
    ///     generator; returns fresh n × inputDim views for that epoch (e.g. gene dropout). Off by default.
    public func train(
        view1: DenseMatrix, view2: DenseMatrix, labels: [Int], validation: (DenseMatrix, [Int])? = nil,
        modelIdentity: String, score: SupConScore = SupConTrainer.nearestCentroidAccuracy,
        augment: ((Int, inout SeededGenerator) -> (DenseMatrix, DenseMatrix))? = nil,
        progress: ProgressLine? = nil
    ) throws -> (Refiner, TrainingHistory) {
        let c = configuration
        try c.validate()
        let n = view1.rows
        try checkView(view1, name: "view 1", rows: n)
        try checkView(view2, name: "view 2", rows: n)
        guard labels.count == n else {
            throw LexicellError("SupCon training: \(labels.count) labels for \(n) cells")
        }
        guard n >= 2 else { throw LexicellError("SupCon training needs at least 2 cells, got \(n)") }
        if let (v, vl) = validation {
            try checkView(v, name: "validation", rows: v.rows)
            guard vl.count == v.rows else {
                throw LexicellError("SupCon validation: \(vl.count) labels for \(v.rows) cells")
            }
        }

        let start = Date()
        var generator = SeededGenerator(seed: c.seed)
        var initGenerator = generator.split()
        var samplerGenerator = generator.split()
        var augmentGenerator = generator.split()
        let network = SupConNetwork<Float>(configuration: c, generator: &initGenerator)
        let parameters = network.parameters
        var adam = Adam<Float>(parameters: parameters, learningRate: c.learningRate, weightDecay: c.weightDecay)
        let cellsPerBatch = min(c.batchSize, n)
        let batchesPerEpoch = (n + cellsPerBatch - 1) / cellsPerBatch
        let workspace = SupConNetwork<Float>.Workspace(rows: 2 * cellsPerBatch, configuration: c)
        let loss = SupConKernel<Float>(rows: 2 * cellsPerBatch)
        var sampler = ClassBalancedSampler(labels: labels, samplesPerClass: c.samplesPerClass)
        var batch = [Int](repeating: 0, count: cellsPerBatch)
        var batchLabels = [Int](repeating: 0, count: 2 * cellsPerBatch)

        var history = TrainingHistory()
        var best: Refiner?
        for epoch in 0..<c.maxEpochs {
            let epochStart = Date()
            var views = (view1, view2)
            if let augment {
                views = augment(epoch, &augmentGenerator)
                try checkView(views.0, name: "augmented view 1", rows: n)
                try checkView(views.1, name: "augmented view 2", rows: n)
            }
            var lossSum = 0.0
            for _ in 0..<batchesPerEpoch {
                sampler.nextBatch(into: &batch, generator: &samplerGenerator)
                fillInput(workspace.input, views: views, batch: batch)
                for (i, cell) in batch.enumerated() {
                    batchLabels[i] = labels[cell]
                    batchLabels[i + cellsPerBatch] = labels[cell]
                }
                network.forwardTraining(workspace)
                let value = loss.evaluate(
                    features: workspace.features, labels: batchLabels,
                    temperature: c.temperature, gradient: workspace.featuresGrad)
                guard value.isFinite else {
                    throw LexicellError(
                        "SupCon training diverged (loss \(value) at epoch \(epoch + 1)); "
                            + "lower the learning rate")
                }
                lossSum += Double(value)
                network.backward(workspace)
                adam.update(parameters)
            }
            var record = TrainingHistory.Epoch(
                epoch: epoch + 1, loss: lossSum / Double(batchesPerEpoch), score: nil,
                seconds: Date().timeIntervalSince(epochStart))
            let last = epoch == c.maxEpochs - 1
            var stop = false
            if let (validationView, validationLabels) = validation, (epoch + 1) % c.evaluateEvery == 0 || last {
                let snapshot = Refiner(network: network, configuration: c, modelIdentity: modelIdentity)
                let value = score(
                    try snapshot.embed(view1), labels, try snapshot.embed(validationView),
                    validationLabels)
                record.score = value
                if value.isFinite, history.bestScore.map({ value > $0 }) ?? true {
                    history.bestScore = value
                    history.bestEpoch = epoch + 1
                    best = snapshot
                }
                stop = epoch + 1 - history.bestEpoch >= c.patience
            }
            history.epochs.append(record)
            progress?.advance()
            if stop && !last {
                history.stoppedEarly = true
                break
            }
        }
        progress?.finish()
        if best == nil {
            best = Refiner(network: network, configuration: c, modelIdentity: modelIdentity)
            history.bestEpoch = history.epochs.count
        }
        history.totalSeconds = Date().timeIntervalSince(start)
        return (best!, history)
    }

    private func checkView(_ m: DenseMatrix, name: String, rows: Int) throws {
        guard m.rows == rows, m.cols == configuration.inputDim else {
            throw LexicellError(
                "SupCon \(name): expected \(rows) × \(configuration.inputDim) (cells × inputDim), "
                    + "got \(m.rows) × \(m.cols)")
        }
        if let bad = m.values.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError("SupCon \(name): non-finite value at row \(bad / m.cols), column \(bad % m.cols)")
        }
    }

    /// Rows 0..<B are the batch's view-1 embeddings, rows B..<2B its view-2 embeddings (as SupContrast stacks
    /// the views), so BatchNorm statistics cover both views.
    private func fillInput(_ input: Tensor<Float>, views: (DenseMatrix, DenseMatrix), batch: [Int]) {
        let d = input.cols, b = batch.count
        views.0.values.withUnsafeBufferPointer { v1 in
            views.1.values.withUnsafeBufferPointer { v2 in
                for (i, cell) in batch.enumerated() {
                    (input.pointer + i * d).update(from: v1.baseAddress! + cell * d, count: d)
                    (input.pointer + (i + b) * d).update(from: v2.baseAddress! + cell * d, count: d)
                }
            }
        }
    }

    /// Fraction of validation cells whose nearest class centroid (cosine, centroids of the ℓ2-normalised
    /// training embeddings) has their label.
    public static func nearestCentroidAccuracy(
        refinedTrain: DenseMatrix, trainLabels: [Int],
        refinedValidation: DenseMatrix, validationLabels: [Int]
    ) -> Double {
        guard refinedValidation.rows > 0 else { return .nan }
        let classes = Array(Set(trainLabels)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let d = refinedTrain.cols
        var centroids = DenseMatrix(rows: classes.count, cols: d)
        let train = refinedTrain.rowNormalized()
        for (r, label) in trainLabels.enumerated() {
            let k = index[label]!
            for j in 0..<d { centroids.values[k * d + j] += train.values[r * d + j] }
        }
        centroids.normalizeRows()
        let similarity = LinearAlgebra.matmul(refinedValidation.rowNormalized(), centroids, transposeB: true)
        var correct = 0
        for r in 0..<similarity.rows {
            var bestClass = 0
            for k in 1..<max(classes.count, 1) where similarity[r, k] > similarity[r, bestClass] { bestClass = k }
            if classes.indices.contains(bestClass) && classes[bestClass] == validationLabels[r] { correct += 1 }
        }
        return Double(correct) / Double(similarity.rows)
    }
}

/// Class-balanced mini-batches: classes in a fresh random order, `samplesPerClass` cells from each (fewer
/// if the class is smaller), cycling through the classes again until the batch is full. Within a class,
/// cells come from a shuffled queue so every cell is seen before any repeats; no cell appears twice in a batch.
struct ClassBalancedSampler {
    private let members: [[Int]]
    private var queues: [[Int]]
    private let samplesPerClass: Int
    private var stamp: [Int]
    private var batchNumber = 0
    private var order: [Int]

    init(labels: [Int], samplesPerClass: Int) {
        var byLabel = [Int: [Int]]()
        for (cell, label) in labels.enumerated() { byLabel[label, default: []].append(cell) }
        members = byLabel.keys.sorted().map { byLabel[$0]! }
        queues = Array(repeating: [], count: members.count)
        self.samplesPerClass = samplesPerClass
        stamp = Array(repeating: -1, count: labels.count)
        order = Array(members.indices)
    }

    /// Fills `batch` (its count is the batch size, at most the number of cells).
    mutating func nextBatch(into batch: inout [Int], generator: inout SeededGenerator) {
        batchNumber += 1
        var filled = 0
        var taken = [Int](repeating: 0, count: members.count)
        while filled < batch.count {
            shuffle(&order, &generator)
            for k in order where filled < batch.count {
                let want = min(samplesPerClass, members[k].count - taken[k], batch.count - filled)
                for _ in 0..<max(want, 0) {
                    if queues[k].isEmpty {
                        queues[k] = members[k].filter { stamp[$0] != batchNumber }
                        shuffle(&queues[k], &generator)
                    }
                    let cell = queues[k].removeLast()
                    stamp[cell] = batchNumber
                    batch[filled] = cell
                    filled += 1
                }
                taken[k] += max(want, 0)
            }
        }
    }

    /// Fisher–Yates with our own generator calls, so batches do not depend on the standard library's shuffle.
    private func shuffle(_ a: inout [Int], _ g: inout SeededGenerator) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(g.nextUniform() * Double(i + 1))
            a.swapAt(i, j)
        }
    }
}
