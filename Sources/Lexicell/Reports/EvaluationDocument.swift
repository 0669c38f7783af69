import Foundation
import LexicellCore
import LexicellCells
import LexicellClassify

/// The settings a run records (result.json, benchmark.json, the report), typed.
public struct RunParameters: Codable, Sendable {
    public var methods: [String]
    public var seeds: [UInt64]
    /// Gene-text cell embedding (N, weighting).
    public var cellEmbedding: CellEmbeddingSettings
    public var species: Species?
    public var geneTexts: String?
    public var geneTextsVersion: String?
    public var housekeeping: String?
    /// Each gene-vector source's model identity (name, weights digest, pooling).
    public var modelIdentities: [String: String] = [:]
    public var testFraction: Double
    public var folds: Int
    /// Repetitions of the selection's cross-validation (on at most `SelectedMethod.repeatedCVMaxCells` cells).
    public var cvRepeats: Int
    /// The C values the LR head was chosen from.
    public var logisticC: [Double]
    public var calibration: CalibrationKind
    public var minConfidence: Double
    /// SupCon settings, when a method refines.
    public var refinement: RefinementSettings?

    public init(
        methods: [String], seeds: [UInt64], cellEmbedding: CellEmbeddingSettings, evaluation: EvaluationProtocol,
        selection: SelectionSettings, knowledge: GeneKnowledge?
    ) {
        self.methods = methods
        self.seeds = seeds
        self.cellEmbedding = cellEmbedding
        testFraction = evaluation.testFraction
        folds = evaluation.folds
        cvRepeats = selection.cvRepeats
        logisticC = selection.grids.logisticC
        calibration = selection.calibration
        minConfidence = selection.minConfidence
        species = knowledge?.species
        geneTexts = knowledge?.texts.source
        geneTextsVersion = knowledge?.texts.version
        housekeeping = knowledge.map { $0.housekeeping?.name ?? "none" }
    }

    /// "5-fold CV", or "5-fold CV repeated 3× (≤ 2,000 cells)".
    public var crossValidationText: String {
        "\(folds)-fold CV" + (cvRepeats > 1 ? " repeated \(cvRepeats)× (≤ \(SelectedMethod.grouped(SelectedMethod.repeatedCVMaxCells)) cells)" : "")
    }

    /// Name–value pairs for the report's table.
    public var rows: [(String, String)] {
        var r: [(String, String)] = [
            ("methods", methods.joined(separator: ", ")), ("seeds", seeds.map(String.init).joined(separator: ",")),
            ("top genes per cell", "\(cellEmbedding.topN)"), ("weighting", cellEmbedding.weighting.rawValue),
            ("test fraction", "\(testFraction)"), ("folds", "\(folds)"), ("CV repeats", "\(cvRepeats)"),
            ("LR C grid", logisticC.map { String(format: "%g", $0) }.joined(separator: ", ")), ("calibration", calibration.rawValue),
            ("min confidence", "\(minConfidence)"),
        ]
        if let species { r.append(("species", species.rawValue)) }
        if let geneTexts { r.append(("gene texts", geneTexts + (geneTextsVersion.map { " (\($0))" } ?? ""))) }
        if let housekeeping { r.append(("housekeeping", housekeeping)) }
        for (k, v) in modelIdentities.sorted(by: { $0.key < $1.key }) { r.append(("model \(k)", v)) }
        if let s = refinement { r += s.recorded.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
        return r
    }
}

/// What `lexicell evaluate` writes: the JSON result, the Markdown summary and per-cell predictions.
public struct EvaluationDocument: Codable, Sendable {
    public var tool = "lexicell"
    public var version = LexicellVersion.string
    public var dataset: DatasetSummary
    public var parameters: RunParameters
    public var coverage: GeneCoverage?
    public var kGrid: [Int]
    public var methods: [EvaluationRunner.MethodResult]

    public struct DatasetSummary: Codable, Sendable {
        public var source: String
        public var cells: Int
        public var genes: Int
        public var classes: [String]
        public var classSizes: [Int]
    }

    public init(
        dataset: LabelledDataset, source: String, parameters: RunParameters, coverage: GeneCoverage?,
        kGrid: [Int], methods: [EvaluationRunner.MethodResult]
    ) {
        self.dataset = DatasetSummary(
            source: source, cells: dataset.expression.cellCount, genes: dataset.expression.geneCount,
            classes: dataset.classNames, classSizes: dataset.classSizes)
        self.parameters = parameters
        self.coverage = coverage
        self.kGrid = kGrid
        self.methods = methods
    }

    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try enc.encode(self)
    }

    public func markdown() -> String {
        var s = "## Lexicell evaluation: \(dataset.source)\n\n"
        // The answer first (as in report.html), then the tables.
        s += EvaluationHeadline(self).lines().dropFirst().map { "- " + $0 + "\n" }.joined() + "\n"
        s += "\(dataset.cells) cells, \(dataset.genes) genes, \(dataset.classes.count) classes "
        s += "(sizes \(dataset.classSizes.min() ?? 0)–\(dataset.classSizes.max() ?? 0)); "
        s +=
            "\(methods.first?.splits.count ?? 0) stratified 80/20 splits; k from {\(kGrid.map(String.init).joined(separator: ", "))} by \(parameters.folds)-fold CV on training cells.\n"
        if let c = coverage {
            s += String(
                format: "Gene-text coverage of each cell's top genes: %.1f %% (housekeeping genes among them: %.1f %%).\n", 100 * c.meanFraction,
                100 * c.meanExcludedFraction)
        }
        s += "\n| method | accuracy | weighted F1 | macro F1 | kappa | balanced accuracy | k chosen |\n|---|---|---|---|---|---|---|\n"
        for m in methods {
            let x = m.summary
            s += "| \(x.method) | \(x.accuracy) | \(x.weightedF1) | \(x.macroF1) | \(x.kappa) | \(x.balancedAccuracy) | \(x.chosenKText) |\n"
        }
        let choices = SelectionSummary.choices(methods)
        if !choices.rows.isEmpty {
            s += "\nWhat the selecting methods chose (by \(parameters.crossValidationText) on each split's training cells only):\n\n" + choices.markdown()
            s += "\nProbabilities (calibrated on out-of-fold scores of the training cells; ECE on test cells, 15 bins):\n\n"
            s += SelectionSummary.calibration(methods).markdown()
        }
        guard methods.contains(where: { !$0.summary.testAccuracyByK.isEmpty }) else { return s }
        s +=
            "\nk sweep (test accuracy, mean over splits; for reading only, k is chosen by CV):\n\n| method | "
            + kGrid.map { "k=\($0)" }.joined(separator: " | ") + " |\n|---|" + kGrid.map { _ in "---|" }.joined() + "\n"
        for m in methods where !m.summary.testAccuracyByK.isEmpty {
            s += "| \(m.summary.method) | " + m.summary.testAccuracyByK.map { String(format: "%.3f", $0.mean) }.joined(separator: " | ") + " |\n"
        }
        return s
    }

    /// One row per test cell, per method and split.
    public func predictionsCSV(cellNames: [String]) -> String {
        var s = "method,seed,cell,true_label,predicted_label,correct,vote_fraction,mean_similarity,probability,call,reason\n"
        for m in methods {
            for split in m.splits {
                for (i, cell) in split.test.enumerated() {
                    let t = dataset.classes[split.truth[i]]
                    let p = dataset.classes[split.predicted[i]]
                    s += "\(csv(m.summary.method)),\(split.seed),\(csv(cellNames[cell])),\(csv(t)),\(csv(p)),\(t == p),"
                    s += String(format: "%.4f,%.4f,", split.confidence[i], split.meanSimilarity?[i] ?? Double.nan)
                    // Calibrated probability and the call after abstention (selecting methods only); cells
                    // without signal are never called.
                    let noSignal = split.noSignal?[i]
                    if let d = split.details {
                        let call = noSignal == nil && d.probability[i] >= d.minConfidence ? csv(p) : "Unassigned"
                        s += String(format: "%.4f,", noSignal == nil ? d.probability[i] : 0) + call
                        s += "," + (noSignal ?? (call == "Unassigned" ? "low confidence" : "")) + "\n"
                    } else {
                        s += "," + (noSignal == nil ? csv(p) : "Unassigned") + "," + (noSignal ?? "") + "\n"
                    }
                }
            }
        }
        return s
    }

    private func csv(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
