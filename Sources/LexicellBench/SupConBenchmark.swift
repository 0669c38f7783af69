import Foundation
import Lexicell

/// Speed of SupCon training on synthetic data of a realistic size (default: Romanov-like 845 cells, 384-d
/// embeddings, 33 classes). scripts/learn_bench_torch.py runs the same architecture, sampler, optimiser and
/// early stopping in PyTorch on data drawn from the same recipe (with `--same-data`, the identical numbers).
public enum SupConBenchmark {
    public struct Result: Codable, Sendable, CustomStringConvertible {
        public var cells: Int
        public var inputDim: Int
        public var classes: Int
        public var batchSize: Int
        public var threads: Int
        /// Mean wall-clock seconds of one epoch's training steps, over `timedEpochs` epochs without scoring.
        public var secondsPerEpoch: Double
        public var timedEpochs: Int
        /// Early-stopped run (score every epoch): epoch of the best validation score, epochs run, wall time.
        public var bestEpoch: Int
        public var epochsRun: Int
        public var secondsToConvergence: Double
        /// Nearest-centroid cosine accuracy on the validation cells: raw embeddings and after refinement.
        public var rawValidationAccuracy: Double
        public var refinedValidationAccuracy: Double

        public var description: String {
            String(
                format: "SupCon %d cells × %d-d, %d classes, batch %d, %d threads: %.4f s/epoch (%d epochs); "
                    + "converged at epoch %d of %d in %.2f s; nearest-centroid val accuracy %.3f → %.3f",
                cells, inputDim, classes, batchSize, threads, secondsPerEpoch, timedEpochs, bestEpoch, epochsRun,
                secondsToConvergence, rawValidationAccuracy, refinedValidationAccuracy)
        }
    }

    /// Gaussian class clusters. Class sizes: ⌊cells/classes⌋, the first (cells mod classes) classes one more.
    /// Class centres ~ N(0, 1) in the first `signalDims` coordinates and 0 elsewhere; each cell = its centre
    /// + N(0, 1) in every coordinate; each view = the cell + N(0, 0.3²). Cells are ordered class by class.
    public static func syntheticData(
        cells: Int, inputDim: Int, classes: Int, signalDims: Int = 32,
        seed: UInt64
    ) -> (view1: DenseMatrix, view2: DenseMatrix, labels: [Int]) {
        var g = SeededGenerator(seed: seed)
        let signal = min(signalDims, inputDim)
        var centers = [Float](repeating: 0, count: classes * inputDim)
        for k in 0..<classes { for j in 0..<signal { centers[k * inputDim + j] = Float(1.0 * g.nextGaussian()) } }
        var labels = [Int]()
        for k in 0..<classes { labels += Array(repeating: k, count: cells / classes + (k < cells % classes ? 1 : 0)) }
        var view1 = DenseMatrix(rows: cells, cols: inputDim), view2 = DenseMatrix(rows: cells, cols: inputDim)
        for (cell, k) in labels.enumerated() {
            for j in 0..<inputDim {
                let latent = centers[k * inputDim + j] + Float(g.nextGaussian())
                view1.values[cell * inputDim + j] = latent + Float(0.3 * g.nextGaussian())
                view2.values[cell * inputDim + j] = latent + Float(0.3 * g.nextGaussian())
            }
        }
        return (view1, view2, labels)
    }

    public static func run(
        cells: Int = 845, inputDim: Int = 384, classes: Int = 33, batchSize: Int = 256,
        timedEpochs: Int = 20, maxEpochs: Int = 200, patience: Int = 20, threads: Int = 2,
        seed: UInt64 = 0
    ) throws -> Result {
        let savedThreads = LinearAlgebra.threads
        LinearAlgebra.threads = threads
        defer { LinearAlgebra.threads = savedThreads }
        let data = syntheticData(cells: cells, inputDim: inputDim, classes: classes, seed: seed)
        // Stratified 80/20: every fifth cell of each class is a validation cell.
        var train = [Int](), validation = [Int]()
        var seen = [Int: Int]()
        for (cell, k) in data.labels.enumerated() {
            let i = seen[k, default: 0]
            seen[k] = i + 1
            if i % 5 == 4 { validation.append(cell) } else { train.append(cell) }
        }
        let v1 = data.view1.selectingRows(train), v2 = data.view2.selectingRows(train)
        let labels = train.map { data.labels[$0] }
        let val = data.view1.selectingRows(validation), valLabels = validation.map { data.labels[$0] }
        var config = SupConConfiguration(
            inputDim: inputDim, batchSize: batchSize, maxEpochs: timedEpochs,
            patience: patience, seed: seed)
        let timed = try SupConTrainer(configuration: config).train(
            view1: v1, view2: v2, labels: labels,
            modelIdentity: "synthetic"
        ).1
        config.maxEpochs = maxEpochs
        let (refiner, history) = try SupConTrainer(configuration: config).train(
            view1: v1, view2: v2, labels: labels, validation: (val, valLabels), modelIdentity: "synthetic")
        let raw = SupConTrainer.nearestCentroidAccuracy(
            refinedTrain: v1, trainLabels: labels,
            refinedValidation: val, validationLabels: valLabels)
        let refined = SupConTrainer.nearestCentroidAccuracy(
            refinedTrain: try refiner.embed(v1), trainLabels: labels,
            refinedValidation: try refiner.embed(val),
            validationLabels: valLabels)
        return Result(
            cells: cells, inputDim: inputDim, classes: classes, batchSize: batchSize, threads: threads,
            secondsPerEpoch: timed.epochs.map(\.seconds).reduce(0, +) / Double(timed.epochs.count),
            timedEpochs: timed.epochs.count, bestEpoch: history.bestEpoch, epochsRun: history.epochs.count,
            secondsToConvergence: history.totalSeconds, rawValidationAccuracy: raw,
            refinedValidationAccuracy: refined)
    }
}
