import Foundation
import LexicellCore
import LexicellCells
import LexicellClassify

/// A reference classifier on expression features (what `train --method auto` stores when an expression
/// representation wins): the fitted baseline (genes, scaling, PCA), the head and its calibration. KNN heads
/// keep the reference cells' features in the bundle's `embeddings.npy`.
public struct ExpressionClassifier: Codable, Sendable {
    public var description: String
    public var baseline: ExpressionBaseline
    public var features: ExpressionFeatureKind
    public var head: HeadKind
    /// k for KNN, C for the linear heads.
    public var setting: Double
    /// Linear heads: standardisation, weights (classes × features, standardised space), intercepts.
    public var standardizer: FeatureStandardizer?
    public var weights: DenseMatrix?
    public var intercept: [Float]?
    public var calibrator: ScoreCalibrator?

    /// Throws unless every stored part fits the others (a hand-edited or damaged `classifier.json`).
    public func validate(classCount: Int, referenceFeatures: DenseMatrix, file: String) throws {
        let genes = baseline.selectedGenes.count
        func fail(_ what: String) -> LexicellError { LexicellError("classifier.json: \(what)", file: file) }
        guard baseline.scaler.means.count == genes, baseline.pca.components.cols == genes else {
            throw fail("the scaling or PCA does not match the \(genes) selected genes")
        }
        let dim = features == .pcs ? baseline.pca.components.rows : genes
        guard referenceFeatures.cols == dim else { throw fail("the reference features have \(referenceFeatures.cols) columns, expected \(dim)") }
        if head == .knn {
            guard setting >= 1, Int(setting) <= referenceFeatures.rows else {
                throw fail("k = \(setting) does not fit \(referenceFeatures.rows) reference cells")
            }
        } else {
            guard let st = standardizer, let w = weights, let b = intercept, st.mean.count == dim, st.scale.count == dim,
                w.cols == dim, w.rows == classCount, b.count == classCount
            else {
                throw fail("the linear head's standardiser, weights or intercepts do not fit \(dim) features × \(classCount) classes")
            }
        }
    }

    /// The representation of any cells (genes matched by name; missing selected genes count as unexpressed).
    public func represent(_ cells: ExpressionMatrix) throws -> DenseMatrix {
        let scaled = try baseline.scaledFeatures(cells)
        return features == .pcs ? baseline.pca.transform(scaled) : scaled
    }

    /// Best class and its (calibrated) probability for each row of `x`; `reference` and `labels` are the
    /// reference cells' features and classes (used by KNN).
    public func classify(_ x: DenseMatrix, reference: DenseMatrix, labels: [Int], classCount: Int)
        -> (best: [Int], probability: [Double], meanSimilarity: [Double])
    {
        let scores: DenseMatrix, best: [Int]
        var similarity = [Double](repeating: .nan, count: x.rows)
        if head == .knn {
            let knn = KNNClassifier(reference: reference, labels: labels, classCount: classCount)
            let list = knn.neighbors(of: x, k: Int(setting))
            let p = knn.vote(list, k: Int(setting))
            best = p.labels
            similarity = p.meanSimilarity
            scores = knn.voteFractions(list, k: Int(setting))
        } else {
            scores = StoredLinearHead(weights: weights!, intercept: intercept!).decision(standardizer!.apply(x))
            best = HeadsRows.argmax(scores)
        }
        let probabilities = calibrator?.apply(scores) ?? HeadKind.probabilities(scores, head: head)
        return (best, best.enumerated().map { Double(probabilities[$0.offset, $0.element]) }, similarity)
    }
}

extension ReferenceTrainer {
    /// `train --method auto`: chooses among `auto`'s candidates without the hybrids (a bundle stores one
    /// representation) — scaled genes + LR/SVM, expression PCs + KNN/LR and the paper's text embedding + KNN — by
    /// cross-validation on the reference cells, then fits the choice on all of them. A text
    /// choice gives the usual text bundle (with `refinement` if set); an expression choice an expression bundle.
    /// `only` restricts the choice to one expression representation and head (`train --method hvg:lr`, `pca:knn`, …);
    /// its setting is still chosen by cross-validation.
    public func trainAuto(
        _ dataset: LabelledDataset, knowledge: GeneKnowledge, source: GeneTableSource,
        selection: SelectionSettings, only: (kind: ExpressionFeatureKind, head: HeadKind)? = nil,
        log: (String) -> Void
    ) throws -> ReferenceBundle {
        let (cells, table) = try TextEmbeddingStage(knowledge: knowledge, settings: settings, cachePath: cachePath)
            .run(dataset.expression, labels: dataset.labelNames, source: source, log: log)
        let features = ExpressionFeatures(expression: dataset.expression, configuration: expressionConfiguration)
        let pca = ExpressionRepresentation(name: "expression PCA", kind: .pcs, features: features)
        let hvg = ExpressionRepresentation(name: "scaled HVG expression", kind: .scaledGenes, features: features)
        let text = FixedRepresentation(name: "\(source.label) top-\(settings.topN) \(settings.weighting.rawValue)", matrix: cells.allGenes)
        let candidates =
            only.map { [MethodCandidate($0.kind == .pcs ? pca : hvg, $0.head)] }
            ?? MethodPlan.autoCandidates(pca: pca, hvg: hvg, text: text, features: features, hybrids: false)
        var method = selection.method(name: "auto", candidates: candidates)
        method.preferred = 0
        method.grids.knnK = kGrid
        method.ensembles = false  // a bundle stores one representation × head
        let all = Array(0..<dataset.labels.count), classCount = dataset.classNames.count
        let selectionStart = Date()
        let choice = try method.choose(train: all, trainLabels: dataset.labels, classCount: classCount, seed: seed)
        let selectionSeconds = Date().timeIntervalSince(selectionStart)
        let chosen = candidates[choice.members[0].candidate], setting = choice.members[0].setting
        let label = choice.label
        let runnerUp = choice.scores.filter { !$0.candidate.hasPrefix(chosen.label) }.max { $0.criterion < $1.criterion }
        let best = choice.scores.first { $0.candidate == label }
        log(
            String(
                format: "\(only == nil ? "auto" : "train"): %@ chosen by 5-fold CV on the reference cells (accuracy %.3f, macro F1 %.3f", label,
                best?.accuracy ?? .nan, best?.macroF1 ?? .nan)
                + (runnerUp.map { String(format: "; best other: %@ %.3f, %.3f)", $0.candidate, $0.accuracy, $0.macroF1) } ?? ")"))
        if let note = choice.sampleNote { log("\(only == nil ? "auto" : "train"): \(note); refitting the choice on all \(SelectedMethod.grouped(all.count))") }
        log(String(format: "selection: %.1f s", selectionSeconds))
        // The text candidate (KNN only) gives the usual text bundle.
        guard let expression = chosen.representation as? ExpressionRepresentation else {
            var t = self
            t.kGrid = [Int(setting)]
            return try t.train(dataset, knowledge: knowledge, source: source, log: log)
        }
        // One refit of the choice on every reference cell: baseline, features, head.
        let progress = ProgressLine("refit on \(SelectedMethod.grouped(all.count)) cells", total: chosen.head == .knn ? 2 : 3, unit: "steps")
        defer { progress.finish() }
        let baseline = try ExpressionBaseline.fit(dataset.expression, configuration: features.configuration)
        progress.advance()
        var classifier = ExpressionClassifier(
            description: label, baseline: baseline, features: expression.kind,
            head: chosen.head, setting: setting)
        let x = try classifier.represent(dataset.expression)
        progress.advance()
        if chosen.head != .knn {
            let st = FeatureStandardizer(fitting: x)
            let model = try method.fitLinear(chosen.head, c: setting, standardized: st.apply(x), y: dataset.labels, classCount: classCount)
            classifier.standardizer = st
            classifier.weights = model.weights
            classifier.intercept = model.intercept
            progress.advance()
        }
        classifier.calibrator = choice.calibrators[0]
        log(String(format: "refit on %@ cells: %.1f s", SelectedMethod.grouped(all.count), Date().timeIntervalSince(selectionStart) - selectionSeconds))
        let manifest = ReferenceBundle.Manifest(
            created: ISO8601DateFormatter().string(from: Date()), geneEmbeddingModel: table.modelIdentity,
            geneEmbeddingSource: source.bundleDescription, geneTexts: (knowledge.texts.source as NSString).lastPathComponent,
            geneTextsVersion: knowledge.texts.version, species: knowledge.species, topN: settings.topN, weighting: settings.weighting,
            housekeeping: knowledge.housekeeping?.name ?? "none", k: chosen.head == .knn ? Int(setting) : 0,
            classNames: dataset.classNames, cells: dataset.labels.count, refined: false, files: [:], classifier: label)
        return ReferenceBundle(
            manifest: manifest, embeddings: x, cellNames: dataset.expression.cells, labels: dataset.labels,
            genes: dataset.expression.genes, refiner: nil, classifier: classifier)
    }
}

/// A linear head restored from a bundle.
struct StoredLinearHead: LinearHead {
    var weights: DenseMatrix
    var intercept: [Float]
}
