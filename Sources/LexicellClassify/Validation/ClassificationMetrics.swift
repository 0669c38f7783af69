import Foundation

/// Per-class precision, recall, F1 and support, as scikit-learn's classification_report (zero division → 0).
public struct ClassScores: Codable, Equatable, Sendable {
    public var label: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

/// Test-set metrics of a classification, matching scikit-learn's definitions.
public struct ClassificationMetrics: Codable, Sendable {
    public var accuracy: Double
    public var weightedF1: Double
    public var macroF1: Double
    public var kappa: Double
    public var balancedAccuracy: Double
    public var perClass: [ClassScores]
    /// confusion[true][predicted], over `classNames`.
    public var confusion: [[Int]]
    public var classNames: [String]

    /// `truth` and `predicted` index into `classNames`. Macro and weighted averages run over the classes that
    /// occur in truth or prediction (scikit-learn's default `labels`); balanced accuracy over classes in truth.
    public init(truth: [Int], predicted: [Int], classNames: [String]) {
        precondition(truth.count == predicted.count)
        let c = classNames.count
        var cm = [[Int]](repeating: [Int](repeating: 0, count: c), count: c)
        for (t, p) in zip(truth, predicted) { cm[t][p] += 1 }
        let n = Double(truth.count)
        let rowSum = cm.map { $0.reduce(0, +) }
        let colSum = (0..<c).map { j in cm.reduce(0) { $0 + $1[j] } }
        let correct = (0..<c).reduce(0) { $0 + cm[$1][$1] }
        accuracy = n > 0 ? Double(correct) / n : 0
        var scores = [ClassScores]()
        for i in 0..<c {
            let tp = Double(cm[i][i])
            let prec = colSum[i] > 0 ? tp / Double(colSum[i]) : 0
            let rec = rowSum[i] > 0 ? tp / Double(rowSum[i]) : 0
            let f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0
            scores.append(ClassScores(label: classNames[i], precision: prec, recall: rec, f1: f1, support: rowSum[i]))
        }
        let present = (0..<c).filter { rowSum[$0] > 0 || colSum[$0] > 0 }
        macroF1 = present.isEmpty ? 0 : present.map { scores[$0].f1 }.reduce(0, +) / Double(present.count)
        weightedF1 = n > 0 ? (0..<c).map { scores[$0].f1 * Double(rowSum[$0]) }.reduce(0, +) / n : 0
        let inTruth = (0..<c).filter { rowSum[$0] > 0 }
        balancedAccuracy = inTruth.isEmpty ? 0 : inTruth.map { scores[$0].recall }.reduce(0, +) / Double(inTruth.count)
        let pe = n > 0 ? (0..<c).map { Double(rowSum[$0]) * Double(colSum[$0]) }.reduce(0, +) / (n * n) : 0
        kappa = pe < 1 ? (accuracy - pe) / (1 - pe) : 0
        perClass = scores
        confusion = cm
        self.classNames = classNames
    }
}
