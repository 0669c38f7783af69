import ArgumentParser
import Foundation
import Lexicell

/// Which methods run, and how the selecting ones choose, calibrate and abstain.
struct MethodOptions: ParsableArguments {
    @Option(
        name: .customLong("method"),
        help: ArgumentHelp(
            "Method to run; repeat for several. auto (default: chooses representation × head by CV on training cells), paper (the paper's text + SupCon + KNN), or base[/weighting][+supcon][:head] with base pca, hvg, graph, text, random, hybrid, hybrid-random, crossview, crossview-random and head knn, lr, svm; hybrid@W fixes the knowledge weight.",
            valueName: "spec"))
    var methods: [String] = []

    @Option(
        help:
            "Calibration of class probabilities on out-of-fold training scores: auto (temperature scaling for linear heads, Platt for KNN), temperature, platt, isotonic, none."
    )
    var calibration: CalibrationKind = .auto

    @Option(help: "Calibrated probability below which a cell is reported Unassigned (0 assigns every cell).")
    var minConfidence: Double = 0

    @Option(help: "Class weights of the linear heads: none, or balanced (n / (classes · class size), for rare subtypes).")
    var classWeight: ClassWeighting = .none

    @Option(
        help:
            "Cross-validate the choice of auto (and every setting chosen by CV) on at most this many training cells, drawn per class, then refit the choice on all of them; 0 uses every training cell."
    )
    var selectionCells: Int = SelectionSample.defaultTotal

    @Option(help: "At most this many cells of each class in that cross-validation (lowered further to fit --selection-cells); 0: no per-class cap.")
    var selectionPerClass: Int = SelectionSample.defaultPerClass

    @Option(
        help:
            "Repeat that cross-validation this many times with fresh folds and average the scores, when it runs on at most 2,000 cells (larger selections run it once)."
    )
    var cvRepeats: Int = SelectedMethod.defaultCVRepeats

    @Option(help: "Comma-separated C values the LR head chooses from by that cross-validation (one value fixes C).")
    var lrCGrid: String = HeadGrids().logisticC.map { String(format: "%g", $0) }.joined(separator: ",")

    @Flag(help: "Also report predictions smoothed by majority voting over an over-clustering of the test cells (CellTypist-style).")
    var overClusterVoting = false

    func validate() throws {
        for m in methods {
            do { _ = try MethodSpec.parse(m) } catch { throw ValidationError("--method: \(error)") }
        }
        guard (0...1).contains(minConfidence) else { throw ValidationError("--min-confidence must be between 0 and 1") }
        guard selectionCells >= 0 else { throw ValidationError("--selection-cells must be 0 (every training cell) or positive, got \(selectionCells)") }
        guard lrCs != nil else { throw ValidationError("--lr-c-grid must list positive numbers, e.g. 0.1,1,10 (got \(lrCGrid))") }
        guard (1...10).contains(cvRepeats) else { throw ValidationError("--cv-repeats must be between 1 and 10, got \(cvRepeats)") }
        guard selectionPerClass == 0 || selectionPerClass >= 2 else {
            throw ValidationError("--selection-per-class must be 0 (no cap) or at least 2, got \(selectionPerClass)")
        }
    }

    /// The LR grid, nil unless every entry is a positive finite number.
    var lrCs: [Double]? {
        let values = lrCGrid.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite && $0! > 0 }) else { return nil }
        return values.map { $0! }
    }

    var selection: SelectionSettings {
        var s = SelectionSettings()
        s.grids.logisticC = lrCs ?? s.grids.logisticC
        s.calibration = calibration
        s.classWeight = classWeight
        s.minConfidence = minConfidence
        s.overClusterVoting = overClusterVoting
        s.cvRepeats = cvRepeats
        s.selectionSample = SelectionSample(
            perClass: selectionPerClass == 0 ? nil : selectionPerClass, total: selectionCells == 0 ? nil : selectionCells)
        return s
    }
}
