import Foundation
import LexicellCore
import LexicellMap

/// A classifier on top of a representation.
public enum HeadKind: String, Codable, Sendable, CaseIterable {
    /// Cosine KNN vote (the paper's head); the setting is k.
    case knn
    /// Multinomial logistic regression with L2 on standardised features; the setting is C.
    case logistic = "lr"
    /// One-vs-rest linear SVM (squared hinge, L2) on standardised features; the setting is C.
    case svm

    public var label: String { self == .knn ? "KNN" : self == .logistic ? "LR" : "SVM" }
}

/// The settings each head is tried with (chosen by cross-validation on training cells).
public struct HeadGrids: Codable, Sendable {
    public var knnK: [Int] = [4, 6, 8, 10, 12, 14]
    public var logisticC: [Double] = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3]
    public var svmC: [Double] = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03]
    public init() {}

    func values(_ head: HeadKind) -> [Double] {
        switch head {
        case .knn: return knnK.map(Double.init)
        case .logistic: return logisticC
        case .svm: return svmC
        }
    }
}

/// One representation × head pair a selecting method may choose.
public struct MethodCandidate {
    public var representation: CellRepresentation
    public var head: HeadKind
    public init(_ representation: CellRepresentation, _ head: HeadKind) {
        self.representation = representation
        self.head = head
    }
    public var label: String { representation.name + " + " + head.label }
}

/// How scores become probabilities.
public enum CalibrationKind: String, Codable, Sendable, CaseIterable {
    case platt, isotonic, none
}

/// Chooses a representation × head × setting by stratified cross-validation on the training cells of each
/// split (pooled accuracy over folds; ties go to the earlier candidate, then the smaller setting), refits the
/// choice on all training cells and classifies the test cells. Test cells are used for nothing but the final
/// scores. Probabilities are calibrated on out-of-fold scores of the training cells.
///
/// With one candidate this is "representation + head with its setting chosen by CV"; with several it is
/// `--method auto`.
public struct SelectedMethod: EvaluationMethod {
    public var name: String
    public var candidates: [MethodCandidate]
    public var grids = HeadGrids()
    public var folds = 5
    public var calibration = CalibrationKind.platt
    public var minConfidence = 0.0
    /// CellTypist-style majority voting over an over-clustering of the test cells (reported beside the raw result).
    public var overClusterVoting = false
    public var overClusterResolution = 5.0
    /// Class weights of the linear heads.
    public var classWeight = ClassWeighting.none
    /// Genes per class in the feature reading of linear heads.
    public var topGeneCount = 10

    public init(name: String, candidates: [MethodCandidate]) {
        self.name = name
        self.candidates = candidates
    }

    /// A fitted head's outputs on query cells.
    struct Scored {
        var predicted: [Int]
        /// cells × classes: vote fractions (KNN) or decision values (linear heads).
        var scores: DenseMatrix
        /// The head's own probabilities: vote fractions or a softmax of the decision values.
        var probabilities: DenseMatrix
        var weights: DenseMatrix?
    }

    /// Fits `head` with each setting on (x, y) and scores `query`; one result per setting.
    func fitScore(_ head: HeadKind, settings: [Double], x: DenseMatrix, y: [Int], query: DenseMatrix, classCount: Int) throws -> [Scored] {
        switch head {
        case .knn:
            let knn = KNNClassifier(reference: x, labels: y, classCount: classCount)
            let list = knn.neighbors(of: query, k: Int(settings.max() ?? 1))
            return settings.map { k in
                let p = knn.vote(list, k: Int(k))
                let f = knn.voteFractions(list, k: Int(k))
                return Scored(predicted: p.labels, scores: f, probabilities: f, weights: nil)
            }
        case .logistic, .svm:
            let standardizer = FeatureStandardizer(fitting: x)
            let xs = standardizer.apply(x), qs = standardizer.apply(query)
            return try settings.map { c in
                let model: LinearHead
                if head == .logistic {
                    model = try LogisticRegression.fit(xs, labels: y, classCount: classCount,
                                                       options: .init(c: c, classWeight: classWeight, maxIterations: 300, tolerance: 1e-4))
                } else {
                    model = try LinearSVM.fit(xs, labels: y, classCount: classCount, options: .init(c: c, classWeight: classWeight))
                }
                let z = model.decision(qs)
                var p = z
                HeadsSoftmax.rowsInPlace(&p)
                // Weights on the unstandardised features: w_j / scale_j.
                var w = model.weights
                for r in 0..<w.rows { for j in 0..<w.cols { w[r, j] /= standardizer.scale[j] } }
                return Scored(predicted: model.predict(qs), scores: z, probabilities: p, weights: w)
            }
        }
    }

    /// Cross-validated accuracy of every candidate and setting on the training cells (dataset indices).
    func crossValidate(train: [Int], trainLabels: [Int], classCount: Int, seed: UInt64) throws -> [[Double]] {
        let fold = StratifiedSplit.kFold(labels: trainLabels, folds: folds, seed: seed &+ 0xA070)
        var correct = candidates.map { [Int](repeating: 0, count: grids.values($0.head).count) }
        for f in 0..<folds {
            let tr = trainLabels.indices.filter { fold[$0] != f }, va = trainLabels.indices.filter { fold[$0] == f }
            guard !tr.isEmpty, !va.isEmpty else { continue }
            let trCells = tr.map { train[$0] }, vaCells = va.map { train[$0] }, yTr = tr.map { trainLabels[$0] }
            for (i, c) in candidates.enumerated() {
                let (x, q) = try c.representation.vectors(train: trCells, trainLabels: yTr, test: vaCells, seed: seed &+ UInt64(f))
                let results = try fitScore(c.head, settings: grids.values(c.head), x: x, y: yTr, query: q, classCount: classCount)
                for (j, r) in results.enumerated() {
                    correct[i][j] += zip(r.predicted, va).filter { $0 == trainLabels[$1] }.count
                }
            }
        }
        return correct.map { $0.map { Double($0) / Double(max(trainLabels.count, 1)) } }
    }

    /// The candidate and setting of best cross-validated accuracy on the given (training) cells, with every score.
    public func choose(train: [Int], trainLabels: [Int], classCount: Int, seed: UInt64) throws
        -> (candidate: Int, setting: Double, scores: [SplitDetails.CandidateScore]) {
        let single = candidates.count == 1 && grids.values(candidates[0].head).count == 1
        let cv = single ? [[1.0]] : try crossValidate(train: train, trainLabels: trainLabels, classCount: classCount, seed: seed)
        var best = (0, 0)
        for i in cv.indices { for j in cv[i].indices where cv[i][j] > cv[best.0][best.1] { best = (i, j) } }
        var scores = [SplitDetails.CandidateScore]()
        for (i, c) in candidates.enumerated() {
            for (j, v) in grids.values(c.head).enumerated() {
                scores.append(.init(candidate: "\(c.label) (\(Self.settingText(c.head, v)))", accuracy: cv[i][j]))
            }
        }
        return (best.0, grids.values(candidates[best.0].head)[best.1], scores)
    }

    /// Platt or isotonic calibration fitted on out-of-fold scores of the training cells (nil for `.none`).
    func calibrator(head: HeadKind, setting: Double, x: DenseMatrix, y: [Int], classCount: Int, seed: UInt64) throws -> ScoreCalibrator? {
        guard calibration != .none else { return nil }
        let oof = try HeadSelection.outOfFoldScores(x, labels: y, classCount: classCount, folds: folds, seed: seed &+ 0xCA1) { a, b, q in
            try fitScore(head, settings: [setting], x: a, y: b, query: q, classCount: classCount)[0].scores
        }
        return calibration == .platt ? .platt(try PlattCalibrator.fit(scores: oof, labels: y))
            : .isotonic(try IsotonicCalibrator.fit(scores: oof, labels: y))
    }

    static func settingText(_ head: HeadKind, _ v: Double) -> String {
        head == .knn ? "k = \(Int(v))" : "C = \(String(format: "%g", v))"
    }

    public func evaluate(labels: [Int], classNames: [String], seed: UInt64, protocol p: KNNEvaluation) throws
        -> (result: KNNEvaluation.SplitResult, vectors: DenseMatrix) {
        let t0 = Date()
        let classCount = classNames.count
        let (train, test) = StratifiedSplit.trainTest(labels: labels, testFraction: p.testFraction, seed: seed)
        let trainLabels = train.map { labels[$0] }, truth = test.map { labels[$0] }
        guard !candidates.isEmpty else { throw LexicellError("\(name): no candidate methods to choose from") }

        // 1. Choice on the training cells only.
        let choice = try choose(train: train, trainLabels: trainLabels, classCount: classCount, seed: seed)
        let chosen = candidates[choice.candidate], setting = choice.setting, scores = choice.scores

        // 2. Refit the choice on all training cells; classify the test cells.
        let (xTrain, xTest) = try chosen.representation.vectors(train: train, trainLabels: trainLabels, test: test, seed: seed)
        let out = try fitScore(chosen.head, settings: [setting], x: xTrain, y: trainLabels, query: xTest, classCount: classCount)[0]

        // 3. Calibration on out-of-fold scores of the training cells (in the training cells' fitted space).
        let calibrator = try self.calibrator(head: chosen.head, setting: setting, x: xTrain, y: trainLabels, classCount: classCount, seed: seed)
        let calibrated = calibrator?.apply(out.scores) ?? out.probabilities
        let raw = Calibration.expectedCalibrationError(probabilities: out.probabilities, labels: truth)
        let cal = Calibration.expectedCalibrationError(probabilities: calibrated, labels: truth)
        // Predictions stay the head's own; calibration changes the probabilities (and the Unassigned calls).
        let probability = out.predicted.enumerated().map { Double(calibrated[$0.offset, $0.element]) }
        let assigned = probability.indices.filter { probability[$0] >= minConfidence }
        let assignedCorrect = assigned.filter { out.predicted[$0] == truth[$0] }.count

        var details = SplitDetails(
            chosen: "\(chosen.label) (\(Self.settingText(chosen.head, setting)))", candidateScores: scores,
            calibration: calibration.rawValue, eceRaw: raw.ece, eceCalibrated: cal.ece, reliability: cal.table,
            probability: probability, minConfidence: minConfidence,
            assignedFraction: Double(assigned.count) / Double(max(test.count, 1)),
            assignedAccuracy: assigned.isEmpty ? .nan : Double(assignedCorrect) / Double(assigned.count))
        if overClusterVoting {
            let graph = try SNNGraph.build(xTest, k: min(15, max(xTest.rows - 1, 1)))
            let clusters = try Leiden.cluster(graph, resolution: overClusterResolution, seed: seed)
            let smoothed = try OverClusterVoting.smooth(predictions: out.predicted, clusters: clusters)
            details.smoothedPredicted = smoothed.smoothed
            details.smoothedMetrics = ClassificationMetrics(truth: truth, predicted: smoothed.smoothed, classNames: classNames)
        }
        if let w = out.weights, let readable = chosen.representation as? GeneWeightReadable {
            details.topGenes = try (0..<w.rows).map { k in
                let (genes, gw) = try readable.geneWeights(Array(w.row(k)), train: train, test: test)
                return gw.indices.sorted { gw[$0] > gw[$1] }.prefix(topGeneCount).map { genes[$0] }
            }
        }

        var all = DenseMatrix(rows: labels.count, cols: xTrain.cols)
        for (rows, x) in [(train, xTrain), (test, xTest)] {
            for (i, r) in rows.enumerated() { all.values.replaceSubrange((r * x.cols)..<((r + 1) * x.cols), with: x.row(i)) }
        }
        let topRaw = out.predicted.enumerated().map { Double(out.probabilities[$0.offset, $0.element]) }
        var result = KNNEvaluation.SplitResult(
            seed: seed, chosenK: chosen.head == .knn ? Int(setting) : 0, crossValidationAccuracy: [], testAccuracyByK: [],
            metrics: ClassificationMetrics(truth: truth, predicted: out.predicted, classNames: classNames),
            trainCount: train.count, testCount: test.count, test: test, truth: truth, predicted: out.predicted,
            voteFraction: topRaw, meanSimilarity: [Double](repeating: .nan, count: test.count),
            seconds: Date().timeIntervalSince(t0))
        result.details = details
        return (result, all)
    }
}

/// A fitted calibration of head scores into probabilities.
public enum ScoreCalibrator: Codable, Sendable {
    case platt(PlattCalibrator)
    case isotonic(IsotonicCalibrator)

    public func apply(_ scores: DenseMatrix) -> DenseMatrix {
        switch self {
        case .platt(let c): return c.apply(scores)
        case .isotonic(let c): return c.apply(scores)
        }
    }
}
