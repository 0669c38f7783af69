import LexicellCore

/// Sizes and training settings of a supervised contrastive refiner.
public struct SupConConfiguration: Codable, Equatable, Sendable {
    /// Dimension of the cell embeddings the refiner takes.
    public var inputDim: Int
    /// Width of the encoder's hidden layer.
    public var hiddenDim: Int
    /// Dimension of the refined embedding (the encoder's output, used downstream).
    public var embeddingDim: Int
    /// Width of the projection head's hidden layer.
    public var projectionHiddenDim: Int
    /// Dimension of the ℓ2-normalised projection the loss sees.
    public var projectionDim: Int
    /// Softmax temperature τ of the loss.
    public var temperature: Float
    public var learningRate: Float
    /// L2 weight decay as torch.optim.Adam's `weight_decay` (added to the gradient).
    public var weightDecay: Float
    /// Cells per mini-batch; each contributes two views, so the loss sees 2 × batchSize rows.
    public var batchSize: Int
    /// Cells drawn from each sampled class in a mini-batch.
    public var samplesPerClass: Int
    public var maxEpochs: Int
    /// Epochs without a better validation score before training stops.
    public var patience: Int
    /// Validation is scored every this many epochs (and after the last).
    public var evaluateEvery: Int
    public var seed: UInt64

    public init(
        inputDim: Int, hiddenDim: Int = 512, embeddingDim: Int = 128, projectionHiddenDim: Int = 128,
        projectionDim: Int = 128, temperature: Float = 0.07, learningRate: Float = 1e-3,
        weightDecay: Float = 1e-4, batchSize: Int = 256, samplesPerClass: Int = 4, maxEpochs: Int = 200,
        patience: Int = 20, evaluateEvery: Int = 1, seed: UInt64 = 0
    ) {
        self.inputDim = inputDim
        self.hiddenDim = hiddenDim
        self.embeddingDim = embeddingDim
        self.projectionHiddenDim = projectionHiddenDim
        self.projectionDim = projectionDim
        self.temperature = temperature
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.batchSize = batchSize
        self.samplesPerClass = samplesPerClass
        self.maxEpochs = maxEpochs
        self.patience = patience
        self.evaluateEvery = evaluateEvery
        self.seed = seed
    }

    /// Throws a LexicellError naming the first setting out of range.
    public func validate() throws {
        func require(_ ok: Bool, _ field: String, _ expected: String, _ value: Any) throws {
            if !ok { throw LexicellError("SupCon setting \(field) = \(value): expected \(expected)") }
        }
        try require(inputDim >= 1, "inputDim", "≥ 1", inputDim)
        try require(hiddenDim >= 1, "hiddenDim", "≥ 1", hiddenDim)
        try require(embeddingDim >= 1, "embeddingDim", "≥ 1", embeddingDim)
        try require(projectionHiddenDim >= 1, "projectionHiddenDim", "≥ 1", projectionHiddenDim)
        try require(projectionDim >= 1, "projectionDim", "≥ 1", projectionDim)
        try require(temperature.isFinite && temperature > 0, "temperature", "a positive number", temperature)
        try require(learningRate.isFinite && learningRate > 0, "learningRate", "a positive number", learningRate)
        try require(weightDecay.isFinite && weightDecay >= 0, "weightDecay", "≥ 0", weightDecay)
        try require(batchSize >= 2, "batchSize", "≥ 2 (BatchNorm needs several rows)", batchSize)
        try require(samplesPerClass >= 1, "samplesPerClass", "≥ 1", samplesPerClass)
        try require(maxEpochs >= 1, "maxEpochs", "≥ 1", maxEpochs)
        try require(patience >= 1, "patience", "≥ 1", patience)
        try require(evaluateEvery >= 1, "evaluateEvery", "≥ 1", evaluateEvery)
    }
}
