import Foundation
import LexicellCore
import LexicellClassify

/// Chooses a representation × head × setting by stratified cross-validation on the training cells of each
/// split (mean of accuracy and macro F1 of the out-of-fold predictions; ties go to the earlier candidate, then
/// the smaller setting), refits the choice on all training cells and classifies the test cells. Test cells are
/// used for nothing but the final scores. Probabilities are calibrated on out-of-fold scores of the training
/// cells.
///
/// With one candidate this is "representation + head with its setting chosen by CV"; with several it is
/// `--method auto`.
public struct SelectedMethod: EvaluationMethod {
    public var name: String
    public var candidates: [MethodCandidate]
    public var grids = HeadGrids()
    public var folds = 5
    public var calibration = CalibrationKind.auto
    public var minConfidence = 0.0
    /// CellTypist-style majority voting over an over-clustering of the test cells (reported beside the raw result).
    public var overClusterVoting = false
    public var overClusterResolution = 5.0
    /// Class weights of the linear heads.
    public var classWeight = ClassWeighting.none
    /// Genes per class in the feature reading of linear heads.
    public var topGeneCount = 10
    /// Whether the mean of the best 2–3 candidates' temperature-scaled probabilities may be chosen (when its
    /// out-of-fold score is strictly higher than the best single candidate's).
    public var ensembles = true
    /// A candidate to keep unless another (or an ensemble) beats its cross-validated score by more than
    /// `preferenceMargin`: differences between near-equal candidates in a 5-fold CV are mostly noise, and a
    /// strong default chosen in advance (auto: scaled genes + LR) beats chasing them (README, Results).
    public var preferred: Int?
    public var preferenceMargin = 0.02
    /// The training cells the cross-validation runs on (capped per class and in all); the choice is then refitted
    /// on every training cell.
    public var selectionSample = SelectionSample()
    /// How many times the cross-validation is repeated with fresh folds (scores averaged) when it runs on at most
    /// `repeatedCVMaxCells` cells; larger selections run it once.
    public var cvRepeats = defaultCVRepeats
    public static let defaultCVRepeats = 1
    public static let repeatedCVMaxCells = 2000
    /// Progress lines through the selection and the refit (silent unless standard error is a terminal).
    public var showsProgress = true
    /// Training cells above which a linear head's C grid is fitted as a warm-started path (see `fitScore`).
    public static let warmStartAboveCells = 2000
    /// Dual tolerance of the SVM's selection fits above `warmStartAboveCells`: liblinear's own default for its dual
    /// solvers. scikit-learn's 1e-4 (kept for refits and small fits) needs up to 1,000 passes at the grid's largest
    /// C on 4,000 cells and changes no choice (README › Performance); ranking candidates needs no more.
    public static let selectionSVMTolerance = 0.1

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

    /// Fits `head` with each setting on (x, y) and scores `query`; one result per setting. `selecting`: the fits
    /// only rank candidates (a cross-validation fold), so large SVM fits stop at `selectionSVMTolerance`.
    func fitScore(
        _ head: HeadKind, settings: [Double], x: DenseMatrix, y: [Int], query: DenseMatrix, classCount: Int, selecting: Bool = false
    ) throws -> [Scored] {
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
            // Large fits run the C path upwards, each warm-started from the previous C's solution (LR: weights;
            // SVM: dual variables); small ones (every bundled dataset) fit each C from zero, as before.
            let path = x.rows > Self.warmStartAboveCells
            var models = [LinearHead?](repeating: nil, count: settings.count)
            if path && head == .svm {
                var options = svmOptions(c: 1)
                if selecting { options.tolerance = Self.selectionSVMTolerance }
                models = try LinearSVM.fitPath(xs, labels: y, classCount: classCount, cs: settings, options: options).map { $0 }
            } else {
                var previous: LogisticRegression?
                for i in path ? settings.indices.sorted(by: { settings[$0] < settings[$1] }) : Array(settings.indices) {
                    let model = try fitLinear(head, c: settings[i], standardized: xs, y: y, classCount: classCount, start: path ? previous : nil)
                    previous = model as? LogisticRegression
                    models[i] = model
                }
            }
            return models.map { m in
                let model = m!
                let z = model.decision(qs)
                let p = HeadKind.probabilities(z, head: head)
                // Weights on the unstandardised features: w_j / scale_j.
                var w = model.weights
                for r in 0..<w.rows { for j in 0..<w.cols { w[r, j] /= standardizer.scale[j] } }
                return Scored(predicted: model.predict(qs), scores: z, probabilities: p, weights: w)
            }
        }
    }

    /// A linear head with C = `c` on standardised features (the solver settings every fit of a head uses).
    func fitLinear(
        _ head: HeadKind, c: Double, standardized xs: DenseMatrix, y: [Int], classCount: Int, start: LogisticRegression? = nil
    ) throws -> LinearHead {
        precondition(head != .knn, "fitLinear: KNN is not a linear head")
        if head == .logistic {
            return try LogisticRegression.fit(
                xs, labels: y, classCount: classCount,
                options: .init(c: c, classWeight: classWeight, maxIterations: 300, tolerance: 1e-4), start: start)
        }
        return try LinearSVM.fit(xs, labels: y, classCount: classCount, options: svmOptions(c: c))
    }

    /// The SVM solver settings every fit of the SVM head uses.
    func svmOptions(c: Double) -> LinearSVM.Options { .init(c: c, classWeight: classWeight) }

    /// Out-of-fold predictions and scores (training cells × classes, each cell scored by a model fitted without
    /// its fold) of every candidate and setting on the training cells (dataset indices).
    func crossValidate(
        train: [Int], trainLabels: [Int], classCount: Int, seed: UInt64,
        folds: Int
    ) throws -> (predicted: [[[Int]]], scores: [[DenseMatrix]]) {
        var predicted = candidates.map { c in grids.values(c.head).map { _ in [Int](repeating: 0, count: trainLabels.count) } }
        var oof = candidates.map { c in grids.values(c.head).map { _ in DenseMatrix(rows: trainLabels.count, cols: classCount) } }
        // The fold number seeds each fold's representation fit, as before the shared helper.
        let fold = StratifiedSplit.kFold(labels: trainLabels, folds: folds, seed: seed &+ 0xA070)
        let progress = ProgressLine(
            "\(name): selection on \(Self.grouped(train.count)) cells (\(folds) folds × \(candidates.count) candidates)",
            total: folds * candidates.count, unit: "fits", enabled: showsProgress ? nil : false)
        defer { progress.finish() }
        try CrossValidation.forEachFold(labels: trainLabels, folds: folds, seed: seed &+ 0xA070) { tr, va in
            let f = fold[va[0]]
            let trCells = tr.map { train[$0] }, vaCells = va.map { train[$0] }, yTr = tr.map { trainLabels[$0] }
            for (i, c) in candidates.enumerated() {
                defer { progress.advance() }
                let results = try candidateScores(
                    c, settings: grids.values(c.head), train: trCells, trainLabels: yTr, test: vaCells,
                    seed: seed &+ UInt64(f), classCount: classCount, selecting: true
                ).results
                for (j, r) in results.enumerated() {
                    for (row, cell) in va.enumerated() {
                        predicted[i][j][cell] = r.predicted[row]
                        for k in 0..<classCount { oof[i][j][cell, k] = r.scores[row, k] }
                    }
                }
            }
        }
        return (predicted, oof)
    }

    /// What `choose` picked: one candidate with its setting, or an ensemble (mean of the members'
    /// temperature-scaled probabilities), with calibrators fitted on each member's out-of-fold scores.
    public struct Choice {
        public var members: [(candidate: Int, setting: Double)]
        public var scores: [SplitDetails.CandidateScore]
        public var label: String
        var calibrators: [ScoreCalibrator?]
        /// Softmax temperature of each member's decision values in the ensemble (1 for KNN vote fractions).
        var temperatures: [Double]
        public var isEnsemble: Bool { members.count > 1 }
        /// How many training cells the cross-validation ran on, of how many, and the per-class cap (nil: all).
        public var selectionCells = 0
        public var trainCells = 0
        public var perClassCap: Int?
        /// "selected on 4,983 of 100,000 training cells (≤ 151 per class)", or nil when selection saw them all.
        public var sampleNote: String? { SelectedMethod.sampleNote(selectionCells, of: trainCells, cap: perClassCap) }
    }

    /// How a subsampled selection is reported; nil when it ran on every training cell.
    public static func sampleNote(_ used: Int, of all: Int, cap: Int?) -> String? {
        guard let cap, used < all else { return nil }
        return "selected on \(grouped(used)) of \(grouped(all)) training cells (≤ \(grouped(cap)) per class)"
    }

    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }

    /// Accuracy and macro F1 of predictions; the selection criterion is their mean, so that rare subtypes count.
    static func score(_ predicted: [Int], _ truth: [Int], classCount: Int, candidate: String) -> SplitDetails.CandidateScore {
        let m = ClassificationMetrics(truth: truth, predicted: predicted, classNames: (0..<classCount).map(String.init))
        return SplitDetails.CandidateScore(candidate: candidate, accuracy: m.accuracy, macroF1: m.macroF1)
    }

    /// The candidate and setting of best cross-validated score — the mean of accuracy and macro F1 of the
    /// out-of-fold predictions on the given (training) cells; ties: earlier candidate, smaller setting index;
    /// the `preferred` candidate unless beaten by more than the margin — or, when `ensembles` is on and its
    /// score is higher still, the mean of the temperature-scaled probabilities of the best 2 or 3 candidates.
    /// Calibrators are fitted on the out-of-fold scores (models that never saw the cell they score).
    ///
    /// Few cells: with two or more training cells per class no fold lacks a class (`CrossValidation`); with a
    /// class of a single training cell there is no cross-validation, and the preferred (else the first) candidate
    /// is kept with its middle setting, uncalibrated — the label says so.
    ///
    /// Large training sets: the cross-validation runs on `selectionSample` of the training cells (the choice says
    /// how many); calibrators are fitted on their out-of-fold scores.
    public func choose(train allTrain: [Int], trainLabels allLabels: [Int], classCount: Int, seed: UInt64) throws -> Choice {
        let sample = selectionSample.draw(labels: allLabels, seed: seed &+ 0x5E1E)
        let train = sample.cap == nil ? allTrain : sample.positions.map { allTrain[$0] }
        let trainLabels = sample.cap == nil ? allLabels : sample.positions.map { allLabels[$0] }
        var choice = try chooseOn(train: train, trainLabels: trainLabels, classCount: classCount, seed: seed)
        choice.selectionCells = train.count
        choice.trainCells = allTrain.count
        choice.perClassCap = sample.cap
        return choice
    }

    func chooseOn(train: [Int], trainLabels: [Int], classCount: Int, seed: UInt64) throws -> Choice {
        guard CrossValidation.smallestClass(trainLabels) >= 2 else {
            let i = preferred ?? 0, values = grids.values(candidates[i].head)
            let v = values[values.count / 2]
            return Choice(
                members: [(i, v)], scores: [],
                label: "\(candidates[i].label) (\(Self.settingText(candidates[i].head, v)); no cross-validation: a class has a single training cell)",
                calibrators: [nil], temperatures: [1])
        }
        let repeats = Self.cvRepetitions(cells: train.count, requested: cvRepeats)
        // Repetition r draws its folds (and fold-level fits) from seed + r·0x9E37: repetition 0 is the single CV.
        let cvs = try (0..<repeats).map { r in
            try crossValidate(
                train: train, trainLabels: trainLabels, classCount: classCount, seed: seed &+ UInt64(r) &* 0x9E37, folds: folds)
        }
        /// Mean over the repetitions of the scores of out-of-fold predictions.
        func meanScore(_ predicted: (Int) -> [Int], candidate: String) -> SplitDetails.CandidateScore {
            var mean = SplitDetails.CandidateScore(candidate: candidate, accuracy: 0, macroF1: 0)
            for r in 0..<repeats {
                let s = Self.score(predicted(r), trainLabels, classCount: classCount, candidate: candidate)
                mean.accuracy += s.accuracy / Double(repeats); mean.macroF1 += s.macroF1 / Double(repeats)
            }
            return mean
        }
        // Calibrators and temperatures are fitted on every repetition's out-of-fold scores, stacked.
        let stackedLabels = Array((0..<repeats).map { _ in trainLabels }.joined())
        var scores = [SplitDetails.CandidateScore]()
        var best = [(setting: Int, score: SplitDetails.CandidateScore)]()
        for (i, c) in candidates.enumerated() {
            var b: (setting: Int, score: SplitDetails.CandidateScore)?
            for (j, v) in grids.values(c.head).enumerated() {
                let s = meanScore({ cvs[$0].predicted[i][j] }, candidate: "\(c.label) (\(Self.settingText(c.head, v)))")
                scores.append(s)
                if b == nil || s.criterion > b!.score.criterion { b = (j, s) }
            }
            best.append(b!)
        }
        let ranked = candidates.indices.sorted { a, b in
            let x = best[a].score.criterion, y = best[b].score.criterion
            return x != y ? x > y : a < b
        }
        func setting(_ i: Int) -> Double { grids.values(candidates[i].head)[best[i].setting] }
        func oof(_ i: Int, repetition r: Int) -> DenseMatrix { cvs[r].scores[i][best[i].setting] }
        func oof(_ i: Int) -> DenseMatrix {
            repeats == 1 ? oof(i, repetition: 0) : DenseMatrix.stackingRows((0..<repeats).map { oof(i, repetition: $0) })
        }
        func calibrator(_ i: Int) throws -> ScoreCalibrator? {
            var kind = calibration
            if kind == .auto { kind = candidates[i].head == .knn ? .platt : .temperature }
            switch kind {
            case .none, .auto: return nil
            case .temperature: return .temperature(TemperatureScaling.fit(scores: oof(i), labels: stackedLabels))
            case .platt: return .platt(try PlattCalibrator.fit(scores: oof(i), labels: stackedLabels))
            case .isotonic: return .isotonic(try IsotonicCalibrator.fit(scores: oof(i), labels: stackedLabels))
            }
        }
        var top = ranked[0]
        if let p = preferred, best[top].score.criterion - best[p].score.criterion <= preferenceMargin { top = p }
        var choice = Choice(
            members: [(top, setting(top))], scores: scores, label: best[top].score.candidate,
            calibrators: [try calibrator(top)], temperatures: [1])
        guard ensembles, ranked.count >= 2 else { return choice }
        var bestCriterion = best[top].score.criterion + (top == preferred ? preferenceMargin : 0)
        var temperature = [Int: Double]()
        for m in 2...min(3, ranked.count) {
            let members = Array(ranked.prefix(m))
            for i in members where temperature[i] == nil {
                temperature[i] = candidates[i].head == .knn ? 1 : TemperatureScaling.fit(scores: oof(i), labels: stackedLabels)
            }
            let name = "ensemble: " + members.map { best[$0].score.candidate }.joined(separator: " + ")
            let s = meanScore(
                { r in
                    var mean = DenseMatrix(rows: trainLabels.count, cols: classCount)
                    for i in members {
                        let p = HeadKind.probabilities(oof(i, repetition: r), head: candidates[i].head, temperature: temperature[i]!)
                        for v in mean.values.indices { mean.values[v] += p.values[v] / Float(m) }
                    }
                    return HeadsRows.argmax(mean)
                }, candidate: name)
            choice.scores.append(s)
            if s.criterion > bestCriterion {
                bestCriterion = s.criterion
                choice.members = members.map { ($0, setting($0)) }
                choice.label = name
                choice.calibrators = try members.map(calibrator)
                choice.temperatures = members.map { temperature[$0]! }
            }
        }
        return choice
    }

    /// The repetitions a cross-validation on `cells` cells runs: as requested up to `repeatedCVMaxCells`, where
    /// fold-to-fold noise is largest and fits are cheap; once above.
    static func cvRepetitions(cells: Int, requested: Int) -> Int {
        cells <= repeatedCVMaxCells ? max(requested, 1) : 1
    }

    static func settingText(_ head: HeadKind, _ v: Double) -> String {
        head == .knn ? "k = \(Int(v))" : "C = \(String(format: "%g", v))"
    }

    public func evaluate(labels: [Int], classNames: [String], seed: UInt64, protocol p: EvaluationProtocol) throws
        -> (result: SplitResult, vectors: DenseMatrix)
    {
        let t0 = Date()
        let classCount = classNames.count
        let (train, test) = p.split(labels: labels, seed: seed)
        let trainLabels = train.map { labels[$0] }, truth = test.map { labels[$0] }
        guard !candidates.isEmpty else { throw LexicellError("\(name): no candidate methods to choose from") }

        // 1. Choice on the training cells only.
        let choice = try choose(train: train, trainLabels: trainLabels, classCount: classCount, seed: seed)

        // 2. Refit each chosen member on all training cells; classify the test cells.
        var own = DenseMatrix(rows: test.count, cols: classCount), calibrated = own
        var first: (xTrain: DenseMatrix, xTest: DenseMatrix, out: Scored)?
        var combined = DenseMatrix(rows: test.count, cols: classCount)
        for (m, member) in choice.members.enumerated() {
            let calibrator = choice.calibrators[m]
            let c = candidates[member.candidate]
            let (xTrain, xTest, outs) = try candidateScores(
                c, settings: [member.setting], train: train, trainLabels: trainLabels,
                test: test, seed: seed, classCount: classCount)
            let out = outs[0]
            if first == nil { first = (xTrain, xTest, out) }
            // 3. Calibration fitted on the member's out-of-fold scores from step 1.
            let p = calibrator?.apply(out.scores) ?? out.probabilities
            let w = 1 / Float(choice.members.count)
            let t = HeadKind.probabilities(out.scores, head: c.head, temperature: choice.temperatures[m])
            for v in own.values.indices {
                own.values[v] += w * out.probabilities.values[v]; calibrated.values[v] += w * p.values[v]; combined.values[v] += w * t.values[v]
            }
        }
        let (xTrain, xTest, out) = first!
        let chosen = candidates[choice.members[0].candidate], setting = choice.members[0].setting
        // A single head predicts by its own scores; an ensemble by the mean of temperature-scaled probabilities.
        let predicted = choice.isEnsemble ? HeadsRows.argmax(combined) : out.predicted
        let raw = Calibration.expectedCalibrationError(probabilities: own, labels: truth)
        let cal = Calibration.expectedCalibrationError(probabilities: calibrated, labels: truth)
        let probability = predicted.enumerated().map { Double(calibrated[$0.offset, $0.element]) }
        let assigned = probability.indices.filter { probability[$0] >= minConfidence }
        let assignedCorrect = assigned.filter { predicted[$0] == truth[$0] }.count

        var details = SplitDetails(
            chosen: choice.label, candidateScores: choice.scores,
            calibration: choice.calibrators.map { $0?.name ?? "none" }.joined(separator: ", "), eceRaw: raw.ece, eceCalibrated: cal.ece, reliability: cal.table,
            probability: probability, minConfidence: minConfidence,
            assignedFraction: Double(assigned.count) / Double(max(test.count, 1)),
            assignedAccuracy: assigned.isEmpty ? .nan : Double(assignedCorrect) / Double(assigned.count))
        if let note = choice.sampleNote {
            details.selectionCells = choice.selectionCells
            details.selectionPerClass = choice.perClassCap
            details.selectionNote = note
        }
        if overClusterVoting {
            let graph = try SNNGraph.build(xTest, k: min(15, max(xTest.rows - 1, 1)))
            let clusters = try Leiden.cluster(graph, resolution: overClusterResolution, seed: seed)
            let smoothed = try OverClusterVoting.smooth(predictions: predicted, clusters: clusters)
            details.smoothedPredicted = smoothed.smoothed
            details.smoothedMetrics = ClassificationMetrics(truth: truth, predicted: smoothed.smoothed, classNames: classNames)
        }
        if let w = out.weights, let readable = chosen.representation as? GeneWeightReadable {
            details.topGenes = try (0..<w.rows).map { k in
                let (genes, gw) = try readable.geneWeights(Array(w.row(k)), train: train, test: test)
                return gw.indices.sorted { gw[$0] > gw[$1] }.prefix(topGeneCount).map { genes[$0] }
            }
        }

        let all = EvaluationProtocol.datasetOrder(cells: labels.count, train: train, xTrain, test: test, xTest)
        let topRaw = predicted.enumerated().map { Double(own[$0.offset, $0.element]) }
        var result = SplitResult(
            seed: seed, metrics: ClassificationMetrics(truth: truth, predicted: predicted, classNames: classNames),
            trainCount: train.count, test: test, truth: truth, predicted: predicted, confidence: topRaw,
            seconds: Date().timeIntervalSince(t0))
        if chosen.head == .knn && !choice.isEnsemble { result.kSelection = KSelection(chosenK: Int(setting)) }
        result.details = details
        return (result, all)
    }
}
