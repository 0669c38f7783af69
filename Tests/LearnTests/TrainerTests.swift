import Foundation
import LexicellCore
@testable import LexicellLearn
import XCTest

final class TrainerTests: XCTestCase {
    func smallConfiguration(inputDim: Int, seed: UInt64 = 42) -> SupConConfiguration {
        SupConConfiguration(
            inputDim: inputDim, hiddenDim: 32, embeddingDim: 16, projectionHiddenDim: 16,
            projectionDim: 16, temperature: 0.1, learningRate: 3e-3, weightDecay: 1e-4,
            batchSize: 48, samplesPerClass: 4, maxEpochs: 60, patience: 15, evaluateEvery: 1,
            seed: seed)
    }

    func split(_ data: SyntheticViews, validationEvery k: Int) -> (train: [Int], validation: [Int]) {
        let all = Array(0..<data.labels.count)
        return (all.filter { $0 % k != 0 }, all.filter { $0 % k == 0 })
    }

    /// A real check that learning happens: class signal in 4 of 24 dimensions under large nuisance noise.
    /// Raw cosine nearest-centroid accuracy is poor; after SupCon refinement it is far higher.
    func testTrainingImprovesNearestCentroidAccuracy() throws {
        let data = SyntheticViews(classes: 6, cellsPerClass: 50, dim: 24, signalDims: 4, seed: 9)
        let (train, validation) = split(data, validationEvery: 4)
        let v1 = data.view1.selectingRows(train), v2 = data.view2.selectingRows(train)
        let labels = train.map { data.labels[$0] }
        let val = data.view1.selectingRows(validation), valLabels = validation.map { data.labels[$0] }
        let raw = SupConTrainer.nearestCentroidAccuracy(
            refinedTrain: v1, trainLabels: labels,
            refinedValidation: val, validationLabels: valLabels)
        let (refiner, history) = try SupConTrainer(configuration: smallConfiguration(inputDim: 24))
            .train(view1: v1, view2: v2, labels: labels, validation: (val, valLabels), modelIdentity: "synthetic")
        let refined = SupConTrainer.nearestCentroidAccuracy(
            refinedTrain: try refiner.embed(v1), trainLabels: labels,
            refinedValidation: try refiner.embed(val),
            validationLabels: valLabels)
        XCTAssertEqual(refined, history.bestScore!, accuracy: 1e-12, "refiner holds the best epoch's weights")
        XCTAssertLessThan(raw, 0.6)
        XCTAssertGreaterThan(refined, raw + 0.25, "raw \(raw), refined \(refined)")
        XCTAssertLessThan(history.epochs.last!.loss, history.epochs.first!.loss)
    }

    func testSameSeedGivesBitIdenticalWeights() throws {
        let data = SyntheticViews(classes: 4, cellsPerClass: 20, dim: 12, signalDims: 3, seed: 1)
        var config = smallConfiguration(inputDim: 12)
        config.maxEpochs = 4
        config.batchSize = 24
        func run(_ seed: UInt64) throws -> Refiner {
            config.seed = seed
            return try SupConTrainer(configuration: config).train(
                view1: data.view1, view2: data.view2,
                labels: data.labels, modelIdentity: "m"
            ).0
        }
        let a = try run(7), b = try run(7), c = try run(8)
        XCTAssertEqual(a.tensors.map { $0.map(\.bitPattern) }, b.tensors.map { $0.map(\.bitPattern) })
        XCTAssertNotEqual(a.tensors, c.tensors)
    }

    /// Early stopping with a scripted score: best at epoch 2, patience 3 → stops after epoch 5 and returns the
    /// epoch-2 weights (its embedding of view 1 is what the score saw at epoch 2).
    func testEarlyStoppingKeepsBestWeights() throws {
        let data = SyntheticViews(classes: 3, cellsPerClass: 12, dim: 8, signalDims: 2, seed: 2)
        var config = smallConfiguration(inputDim: 8)
        config.patience = 3
        config.maxEpochs = 50
        config.batchSize = 12
        var seen = [DenseMatrix]()
        let scripted = [0.5, 0.9, 0.8, 0.9, 0.7, 0.99, 1.0]
        let (refiner, history) = try SupConTrainer(configuration: config).train(
            view1: data.view1, view2: data.view2, labels: data.labels, validation: (data.view1, data.labels),
            modelIdentity: "m",
            score: { train, _, _, _ in
                seen.append(train); return scripted[seen.count - 1]
            })
        XCTAssertTrue(history.stoppedEarly)
        XCTAssertEqual(history.epochs.count, 5)
        XCTAssertEqual(history.bestEpoch, 2)
        XCTAssertEqual(history.bestScore, 0.9)
        XCTAssertEqual(try refiner.embed(data.view1), seen[1])
        XCTAssertNotEqual(seen[1], seen[4])
    }

    func testAugmentationHookIsCalledEachEpochAndReproducible() throws {
        let data = SyntheticViews(classes: 3, cellsPerClass: 10, dim: 8, signalDims: 2, seed: 3)
        var config = smallConfiguration(inputDim: 8)
        config.maxEpochs = 3
        config.batchSize = 12
        func run() throws -> (Refiner, [Int]) {
            var epochs = [Int]()
            // Gene-dropout-like augmentation: zero each coordinate of view 2 with probability 0.2.
            let refiner = try SupConTrainer(configuration: config).train(
                view1: data.view1, view2: data.view2, labels: data.labels, modelIdentity: "m",
                augment: { epoch, g in
                    epochs.append(epoch)
                    var v2 = data.view2
                    for i in 0..<v2.values.count where g.nextUniform() < 0.2 { v2.values[i] = 0 }
                    return (data.view1, v2)
                }
            ).0
            return (refiner, epochs)
        }
        let (a, epochs) = try run()
        let (b, _) = try run()
        XCTAssertEqual(epochs, [0, 1, 2])
        XCTAssertEqual(a, b)
        let plain = try SupConTrainer(configuration: config).train(
            view1: data.view1, view2: data.view2,
            labels: data.labels, modelIdentity: "m"
        ).0
        XCTAssertNotEqual(a, plain)
    }

    /// Running statistics as PyTorch: after one training batch from the initial (0, 1), running mean =
    /// 0.1·batch mean and running var = 0.9 + 0.1·unbiased batch variance; normalisation uses the biased one.
    func testBatchNormRunningStatistics() {
        var g = SeededGenerator(seed: 12)
        let norm = BatchNorm<Double>(features: 3)
        let x = randomTensor(rows: 5, cols: 3, generator: &g, scale: 2)
        let y = Tensor<Double>(rows: 5, cols: 3)
        norm.forwardTraining(x, into: y)
        for j in 0..<3 {
            let column = (0..<5).map { x[$0, j] }
            let mean = column.reduce(0, +) / 5
            let ss = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
            XCTAssertEqual(norm.runningMean.pointer[j], 0.1 * mean, accuracy: 1e-12)
            XCTAssertEqual(norm.runningVar.pointer[j], 0.9 + 0.1 * ss / 4, accuracy: 1e-12)
            XCTAssertEqual(y[0, j], (column[0] - mean) / (ss / 5 + 1e-5).squareRoot(), accuracy: 1e-12)
        }
        // Inference uses the running statistics.
        norm.forwardInference(x, into: y)
        XCTAssertEqual(
            y[1, 2], (x[1, 2] - norm.runningMean.pointer[2]) / (norm.runningVar.pointer[2] + 1e-5).squareRoot(),
            accuracy: 1e-12)
    }

    func testLinearInitialisationBounds() {
        var g = SeededGenerator(seed: 1)
        let layer = Linear<Float>(inputs: 100, outputs: 50, generator: &g)
        let w = layer.weight.values, b = layer.bias.values
        XCTAssertTrue(w.allSatisfy { abs($0) <= 0.1 } && b.allSatisfy { abs($0) <= 0.1 })
        // U(−0.1, 0.1) has variance 0.01/3.
        let variance = w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)
        XCTAssertEqual(variance, 0.01 / 3, accuracy: 0.0003)
    }

    func testSamplerIsClassBalancedWithoutDuplicates() {
        let labels = (0..<10).map { _ in 0 } + (0..<3).map { _ in 1 } + (0..<40).map { _ in 2 } + [3]
        var sampler = ClassBalancedSampler(labels: labels, samplesPerClass: 4)
        var g = SeededGenerator(seed: 5)
        var batch = [Int](repeating: 0, count: 16)
        var seen = Set<Int>()
        for _ in 0..<20 {
            sampler.nextBatch(into: &batch, generator: &g)
            XCTAssertEqual(Set(batch).count, batch.count, "no cell twice in a batch")
            var perClass = [Int: Int]()
            for cell in batch { perClass[labels[cell], default: 0] += 1 }
            // 4 classes, 4 per class, but class 1 has 3 cells and class 3 one: the rest is filled by cycling.
            XCTAssertEqual(perClass.count, 4)
            XCTAssertLessThanOrEqual(perClass[1]!, 3)
            XCTAssertEqual(perClass[3], 1)
            seen.formUnion(batch)
        }
        XCTAssertEqual(seen.count, labels.count, "every cell is drawn")
    }

    func testBadInputsGiveErrors() {
        let trainer = SupConTrainer(configuration: smallConfiguration(inputDim: 4))
        let v = DenseMatrix(rows: 6, cols: 4, repeating: 1)
        XCTAssertThrowsError(
            try trainer.train(
                view1: v, view2: DenseMatrix(rows: 6, cols: 3), labels: [0, 0, 0, 1, 1, 1],
                modelIdentity: "m")
        ) {
            XCTAssertTrue("\($0)".contains("view 2: expected 6 × 4"), "\($0)")
        }
        XCTAssertThrowsError(try trainer.train(view1: v, view2: v, labels: [0, 1], modelIdentity: "m")) {
            XCTAssertTrue("\($0)".contains("2 labels for 6 cells"), "\($0)")
        }
        var nan = v
        nan[2, 1] = .nan
        XCTAssertThrowsError(try trainer.train(view1: nan, view2: v, labels: [0, 0, 0, 1, 1, 1], modelIdentity: "m")) {
            XCTAssertTrue("\($0)".contains("non-finite value at row 2, column 1"), "\($0)")
        }
        var bad = smallConfiguration(inputDim: 4)
        bad.temperature = 0
        XCTAssertThrowsError(
            try SupConTrainer(configuration: bad).train(
                view1: v, view2: v, labels: [0, 0, 0, 1, 1, 1],
                modelIdentity: "m")
        ) {
            XCTAssertTrue("\($0)".contains("temperature"), "\($0)")
        }
    }
}
