import LexicellClassify

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
    /// When the cross-validation ran on a subsample of the training cells: how many, and the per-class cap.
    public var selectionCells: Int?
    public var selectionPerClass: Int?
    /// "selected on 4,983 of 100,000 training cells (≤ 151 per class)", or nil when selection saw every cell.
    public var selectionNote: String?

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

    public init(
        chosen: String, candidateScores: [CandidateScore], calibration: String, eceRaw: Double, eceCalibrated: Double,
        reliability: [ReliabilityBin], probability: [Double], minConfidence: Double, assignedFraction: Double,
        assignedAccuracy: Double
    ) {
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
