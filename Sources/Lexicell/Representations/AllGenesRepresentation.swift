import Foundation
import LexicellCore
import LexicellCells
import LexicellClassify

/// CellTypist-style features: the log-normalised expression of every gene expressed in at least `minCells`
/// training cells, kept sparse (CSR) from the reader to the head. Fitted on the training cells only:
/// - normalisation to `targetSum` counts + log1p is the expression baseline's own (`ExpressionBaseline.logNormalize`,
///   with the input scale the baseline would use: given, or detected on the training cells);
/// - genes: expressed (> 0) in ≥ `minCells` training cells and with non-zero variance there;
/// - scaling: each gene divided by its training s.d. (n − 1), **not centred**, so zeros stay zeros; values above
///   `maxValue` are clipped. For logistic regression with an unpenalised intercept, centring changes nothing but
///   the intercept (X·W + b = (X − μ)·W + (b + μ·W)), so this is CellTypist's StandardScaler model without the
///   dense copy; only the clipping threshold differs (10 s.d. above 0 here, above the mean in CellTypist).
/// Test cells are only transformed with the training genes and s.d.s.
public final class AllGenesFeatures: @unchecked Sendable {
    public let expression: ExpressionMatrix
    public var targetSum: Float = 1e4
    public var minCells = 1
    public var maxValue: Float = 10
    /// The input's scale (counts/linear: normalised + log1p; log: as is); nil: detected on the training cells,
    /// as the baseline does.
    public var inputScale: InputScale?

    public struct Fitted: @unchecked Sendable {
        /// Dataset columns kept, in dataset gene order.
        public var columns: [Int]
        public var genes: [String]
        /// 1 / s.d. of each kept gene (the factor applied to its log-normalised value).
        public var inverseSD: [Float]
        public var train: SparseMatrix
        public var test: SparseMatrix
    }

    private let lock = NSLock()
    private var memo: [(key: [Int], value: Fitted)] = []
    /// First-pass fits shared by the plain and the feature-selected candidate of one fold: (cells key, C) → model.
    private var fits: [(key: [Int], c: Double, model: SparseLogisticRegression)] = []
    private let capacity = 4
    private let fitCapacity = 16

    public init(expression: ExpressionMatrix) { self.expression = expression }

    /// Fits on `train` only (test cells are only transformed) and remembers the result.
    public func fitted(train: [Int], test: [Int]) throws -> Fitted {
        let key = train + [-1] + test
        lock.lock()
        if let hit = memo.first(where: { $0.key == key }) { lock.unlock(); return hit.value }
        lock.unlock()
        let trainCells = expression.selectingCells(train)
        guard trainCells.cellCount >= 2 else { throw LexicellError("all-genes features: need at least 2 training cells") }
        // The input's scale: given, or read off the training cells as the baseline does.
        let scale = try inputScale ?? InputScale.detect(trainCells.values).scale
        let logTrain = try ExpressionBaseline.logNormalize(trainCells.values, scale: scale, targetSum: targetSum)
        var expressed = [Int](repeating: 0, count: logTrain.cols)
        for (k, j) in logTrain.indices.enumerated() where logTrain.values[k] > 0 { expressed[Int(j)] += 1 }
        let (_, variance) = ExpressionPreprocessing.geneMeanVariance(logTrain)
        let columns = (0..<logTrain.cols).filter { expressed[$0] >= minCells && variance[$0] > 0 }
        guard !columns.isEmpty else { throw LexicellError("all-genes features: no gene is expressed in \(minCells)+ training cells") }
        let inverseSD = columns.map { Float(1 / variance[$0].squareRoot()) }
        func transform(_ m: SparseMatrix) -> SparseMatrix {
            var s = m.selectingColumns(columns)
            for k in s.values.indices { s.values[k] = min(maxValue, s.values[k] * inverseSD[Int(s.indices[k])]) }
            return s
        }
        let logTest = try ExpressionBaseline.logNormalize(expression.selectingCells(test).values, scale: scale, targetSum: targetSum)
        let value = Fitted(
            columns: columns, genes: columns.map { expression.genes[$0] }, inverseSD: inverseSD,
            train: transform(logTrain), test: transform(logTest))
        lock.lock()
        memo.append((key, value))
        if memo.count > capacity { memo.removeFirst() }
        lock.unlock()
        return value
    }

    /// The L2 logistic regression on all kept genes of `train` with C = `c` (remembered per training cells and C).
    func firstPass(
        train: [Int], features: Fitted, labels: [Int], classCount: Int, options: SparseLogisticRegression.Options,
        start: [Double]?
    ) throws -> SparseLogisticRegression {
        lock.lock()
        if let hit = fits.first(where: { $0.key == train && $0.c == options.c }) { lock.unlock(); return hit.model }
        lock.unlock()
        let model = try SparseLogisticRegression.fit(features.train, labels: labels, classCount: classCount, options: options, start: start)
        lock.lock()
        fits.append((train, options.c, model))
        if fits.count > fitCapacity { fits.removeFirst() }
        lock.unlock()
        return model
    }
}

/// All expressed genes (sparse) for a sparse linear head, optionally with CellTypist's two-pass feature
/// selection: fit on all genes, keep the union over classes of the `topGenesPerClass` genes of largest |coef|,
/// refit on those. `vectors` (used only for plots and over-clustering, not by the head) are the expression
/// baseline's PCs of the same split.
public struct AllGenesRepresentation: CellRepresentation, GeneWeightReadable {
    public var name: String
    public var features: AllGenesFeatures
    /// Dense stand-in vectors for plots and over-clustering.
    public var display: ExpressionFeatures
    /// CellTypist's `top_genes` (300 by default); nil: one pass on all genes.
    public var topGenesPerClass: Int?

    public init(name: String, features: AllGenesFeatures, display: ExpressionFeatures, topGenesPerClass: Int? = nil) {
        self.name = name
        self.features = features
        self.display = display
        self.topGenesPerClass = topGenesPerClass
    }

    public func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) throws -> (train: DenseMatrix, test: DenseMatrix) {
        let f = try display.fitted(train: train, test: test)
        return (f.pcsTrain, f.pcsTest)
    }

    /// Weights arrive per kept gene already on the log-normalised scale (see `SelectedMethod.sparseFitScore`).
    public func geneWeights(_ featureWeights: [Float], train: [Int], test: [Int]) throws -> (genes: [String], weights: [Float]) {
        (try features.fitted(train: train, test: test).genes, featureWeights)
    }

    /// The columns (indices into the kept genes) of the `count` largest |weight|s of each class, united, sorted.
    static func topColumns(_ weights: DenseMatrix, count: Int) -> [Int] {
        var keep = Set<Int>()
        for c in 0..<weights.rows {
            let row = Array(weights.row(c))
            let ranked = row.indices.sorted { abs(row[$0]) != abs(row[$1]) ? abs(row[$0]) > abs(row[$1]) : $0 < $1 }
            keep.formUnion(ranked.prefix(count))
        }
        return keep.sorted()
    }
}

extension SelectedMethod {
    /// A candidate's scores on `test` after fitting on `train`, one per setting, with the dense vectors of both
    /// (the representation's `vectors`). Sparse all-genes candidates go through the sparse head.
    func candidateScores(
        _ c: MethodCandidate, settings: [Double], train: [Int], trainLabels: [Int], test: [Int], seed: UInt64,
        classCount: Int, selecting: Bool = false
    ) throws -> (x: DenseMatrix, query: DenseMatrix, results: [Scored]) {
        let (x, q) = try c.representation.vectors(train: train, trainLabels: trainLabels, test: test, seed: seed)
        if let sparse = c.representation as? AllGenesRepresentation {
            return (
                x, q,
                try sparseFitScore(
                    sparse, c.head, settings: settings, train: train, trainLabels: trainLabels, test: test,
                    classCount: classCount)
            )
        }
        return (x, q, try fitScore(c.head, settings: settings, x: x, y: trainLabels, query: q, classCount: classCount, selecting: selecting))
    }

    /// The sparse multinomial LR on all kept genes (and, with `topGenesPerClass`, the refit on the selected
    /// genes) for each C; settings are fitted in increasing C, each warm-started from the previous solution.
    func sparseFitScore(
        _ rep: AllGenesRepresentation, _ head: HeadKind, settings: [Double], train: [Int], trainLabels: [Int],
        test: [Int], classCount: Int
    ) throws -> [Scored] {
        guard head == .logistic else { throw LexicellError("\(rep.name): only the :lr head is available on all genes") }
        let f = try rep.features.fitted(train: train, test: test)
        func options(_ c: Double) -> SparseLogisticRegression.Options {
            .init(c: c, classWeight: classWeight, maxIterations: 300, tolerance: 1e-4)
        }
        var out = [Scored?](repeating: nil, count: settings.count)
        var previous: [Double]?
        for i in settings.indices.sorted(by: { settings[$0] < settings[$1] }) {
            let c = settings[i]
            let full = try rep.features.firstPass(
                train: train, features: f, labels: trainLabels, classCount: classCount,
                options: options(c), start: previous)
            previous = full.solution
            var z: DenseMatrix, w: DenseMatrix
            if let top = rep.topGenesPerClass {
                let keep = AllGenesRepresentation.topColumns(full.weights, count: top)
                let model = try SparseLogisticRegression.fit(
                    f.train.selectingColumns(keep), labels: trainLabels, classCount: classCount,
                    options: options(c))
                z = model.decision(f.test.selectingColumns(keep))
                w = DenseMatrix(rows: classCount, cols: f.columns.count)
                for k in 0..<classCount { for (m, j) in keep.enumerated() { w[k, j] = model.weights[k, m] } }
            } else {
                z = full.decision(f.test)
                w = full.weights
            }
            // Weights on the log-normalised genes: w_j / s.d._j.
            for k in 0..<w.rows { for j in 0..<w.cols { w[k, j] *= f.inverseSD[j] } }
            out[i] = Scored(predicted: HeadsRows.argmax(z), scores: z, probabilities: HeadKind.probabilities(z, head: .logistic), weights: w)
        }
        return out.map { $0! }
    }
}

extension AllGenesRepresentation {
    /// CellTypist's default number of genes kept per class by its feature selection.
    public static let celltypistTopGenes = 300

    /// The one-pass and the feature-selected representation, sharing features and first-pass fits.
    public static func pair(expression: ExpressionMatrix, display: ExpressionFeatures)
        -> (plain: AllGenesRepresentation, selected: AllGenesRepresentation)
    {
        let f = AllGenesFeatures(expression: expression)
        f.inputScale = display.configuration.inputScale
        f.targetSum = display.configuration.targetSum
        f.maxValue = display.configuration.maxValue
        return (
            AllGenesRepresentation(name: "all expressed genes", features: f, display: display),
            AllGenesRepresentation(
                name: "all expressed genes, top \(celltypistTopGenes)/class refit", features: f, display: display,
                topGenesPerClass: celltypistTopGenes)
        )
    }
}
