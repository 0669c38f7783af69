import LexicellCore

/// Stratified k-fold cross-validation on training cells: the one fold loop behind k choice, head selection and
/// calibration (every out-of-fold score comes from a model that never saw the cell).
public enum CrossValidation {
    /// Calls `body(train, validation)` for each fold of `StratifiedSplit.kFold(labels:folds:seed:)`, with
    /// positions into `labels` (ascending). Folds with an empty training or validation part are skipped.
    public static func forEachFold(labels: [Int], folds: Int, seed: UInt64,
                                   _ body: (_ train: [Int], _ validation: [Int]) throws -> Void) rethrows {
        let fold = StratifiedSplit.kFold(labels: labels, folds: folds, seed: seed)
        for f in 0..<folds {
            let tr = labels.indices.filter { fold[$0] != f }, va = labels.indices.filter { fold[$0] == f }
            guard !tr.isEmpty, !va.isEmpty else { continue }
            try body(tr, va)
        }
    }

    /// The size of the smallest class. Folds deal each class's cells round-robin, so with at least 2 cells per
    /// class no fold's training part lacks a class; with a single-cell class cross-validation cannot score it.
    public static func smallestClass(_ labels: [Int]) -> Int {
        var counts = [Int: Int]()
        for l in labels { counts[l, default: 0] += 1 }
        return counts.values.min() ?? 0
    }
}
