import LexicellCore

/// The training cells a selecting method cross-validates on: at most `perClass` cells of each class and at most
/// `total` in all, drawn per class with a seed (`StratifiedSplit.subsample`). The chosen candidate is then refitted
/// on every training cell, so selection costs a bounded amount however large the training set is, while the
/// model keeps all the data.
///
/// Defaults: 250 per class leaves 50 validation cells per class in each of 5 folds, enough to rank candidates whose
/// CV scores differ by more than the 0.02 preference margin, and keeps every bundled dataset below both caps (the
/// largest class, pbmc68k's 240 dendritic cells, in `train`), so their selection is unchanged; 5,000 in all bounds
/// the selection's time (≈ 25 linear-head fits per fold on 4,000 cells × 2,000 genes; 151 per class for 33 classes).
public struct SelectionSample: Sendable, Equatable, Codable {
    public static let defaultPerClass = 250
    public static let defaultTotal = 5000
    /// The per-class cap never goes below this to meet `total` (a class needs cells in every fold).
    public static let minimumPerClass = 10

    /// nil: no cap of that kind.
    public var perClass: Int?
    public var total: Int?

    public init(perClass: Int? = SelectionSample.defaultPerClass, total: Int? = SelectionSample.defaultTotal) {
        self.perClass = perClass
        self.total = total
    }

    /// Every training cell (no cap).
    public static let all = SelectionSample(perClass: nil, total: nil)

    /// The per-class cap for classes of these sizes: the largest c ≤ `perClass` with Σ min(n_k, c) ≤ `total`
    /// (small classes keep all their cells and leave their share to the others), but at least
    /// `minimumPerClass`; nil when no class needs capping.
    public func cap(classSizes: [Int]) -> Int? {
        let largest = classSizes.max() ?? 0
        var c = min(perClass ?? largest, largest)
        if let total {
            func kept(_ c: Int) -> Int { classSizes.reduce(0) { $0 + min($1, c) } }
            if kept(c) > total {
                // kept(c) grows with c: bisect for the largest c that fits.
                var lo = 0, hi = c
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if kept(mid) <= total { lo = mid } else { hi = mid - 1 }
                }
                c = max(lo, min(Self.minimumPerClass, c))
            }
        }
        return c < largest ? c : nil
    }

    /// Positions into `labels` (ascending) of the cells to select on, drawn with `seed`; all positions when no
    /// class exceeds the cap. `cap` is the per-class cap applied (nil: none).
    public func draw(labels: [Int], seed: UInt64) -> (positions: [Int], cap: Int?) {
        var sizes = [Int: Int]()
        for l in labels { sizes[l, default: 0] += 1 }
        guard let c = cap(classSizes: Array(sizes.values)) else { return (Array(labels.indices), nil) }
        return (StratifiedSplit.subsample(Array(labels.indices), labels: labels, perClass: c, seed: seed), c)
    }
}
