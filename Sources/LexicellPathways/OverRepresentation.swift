import Foundation

/// Over-representation of one gene set among selected genes (e.g. a group's significant markers).
public struct OverRepresentationResult: Equatable, Sendable {
    public var id: String
    public var name: String
    /// Size in the GMT file.
    public var size: Int
    /// Set genes inside the universe (the hypergeometric "successes").
    public var sizeInUniverse: Int
    /// Set genes among the selected genes.
    public var overlap: Int
    /// Overlap expected by chance: sizeInUniverse · selected / universe.
    public var expected: Double
    /// P(overlap ≥ observed) under the hypergeometric distribution.
    public var pValue: Double
    /// Benjamini–Hochberg over the tested sets of this report.
    public var fdr: Double
    /// The overlapping gene indices, in increasing order.
    public var overlapGenes: [Int32]
}

/// ORA for one selection against one collection.
public struct OverRepresentationReport: Sendable {
    /// One per tested set, in the order of the input sets.
    public var results: [OverRepresentationResult]
    /// Sets with fewer than `minSetSize` genes inside the universe: reported here, not tested.
    public var skipped: [DroppedGeneSet]
    public var universeSize: Int
    public var selectedCount: Int
    /// Selected genes that were outside the universe and so ignored.
    public var selectedOutsideUniverse: Int
}

/// Hypergeometric over-representation analysis (one-sided Fisher's exact test).
public enum OverRepresentation {
    /// Tests each set's overlap with `selected` against `universe` (typically the genes expressed in the data).
    ///
    /// For a set with n genes in a universe of M genes, K selected genes and k of them in the set, the p-value
    /// is P(X ≥ k) for X ~ Hypergeometric(M, n, K) (scipy `hypergeom.sf(k - 1, M, n, K)`). Sets with fewer than
    /// `minSetSize` genes (at least 1) in the universe are listed in `skipped` rather than given p = 1.
    /// Benjamini–Hochberg runs over the tested sets.
    public static func test(selected: [Int32], universe: [Int32], sets: [MatchedGeneSet],
                            minSetSize: Int = 1) -> OverRepresentationReport {
        let top = Int(max(universe.max() ?? 0, selected.max() ?? 0, sets.map { $0.genes.last ?? 0 }.max() ?? 0)) + 1
        var inUniverse = [Bool](repeating: false, count: top)
        for u in universe { inUniverse[Int(u)] = true }
        var isSelected = [Bool](repeating: false, count: top)
        var outside = 0
        for s in selected {
            if inUniverse[Int(s)] { isSelected[Int(s)] = true } else { outside += 1 }
        }
        let M = inUniverse.lazy.filter { $0 }.count
        let K = isSelected.lazy.filter { $0 }.count
        var results = [OverRepresentationResult](), skipped = [DroppedGeneSet]()
        for set in sets {
            var n = 0
            var hits = [Int32]()
            for g in set.genes where inUniverse[Int(g)] {
                n += 1
                if isSelected[Int(g)] { hits.append(g) }
            }
            if n < max(minSetSize, 1) {
                skipped.append(DroppedGeneSet(id: set.id, name: set.name, size: set.size, matched: n,
                                              reason: n == 0 ? "no gene in the universe" : "fewer than \(minSetSize) genes in the universe"))
                continue
            }
            let p = upperTail(overlap: hits.count, population: M, successes: n, draws: K)
            results.append(OverRepresentationResult(id: set.id, name: set.name, size: set.size, sizeInUniverse: n,
                                                    overlap: hits.count, expected: Double(n) * Double(K) / Double(M),
                                                    pValue: p, fdr: 1, overlapGenes: hits))
        }
        let fdr = MultipleTesting.benjaminiHochberg(results.map(\.pValue))
        for i in results.indices { results[i].fdr = fdr[i] }
        return OverRepresentationReport(results: results, skipped: skipped, universeSize: M, selectedCount: K,
                                        selectedOutsideUniverse: outside)
    }

    /// P(X ≥ k) for X ~ Hypergeometric(population M, successes n, draws N).
    ///
    /// Exact up to rounding: the first term P(X = k) comes from log-gamma, the following terms from the exact
    /// ratio P(X = i+1)/P(X = i) = (n−i)(N−i) / ((i+1)(M−n−N+i+1)), summed relative to the first term (all terms
    /// positive, so no cancellation). Returns 1 for k at or below the support's minimum and 0 above its maximum.
    public static func upperTail(overlap k: Int, population M: Int, successes n: Int, draws N: Int) -> Double {
        precondition(M >= 0 && n >= 0 && N >= 0 && n <= M && N <= M, "hypergeometric: need 0 ≤ n, N ≤ M")
        let lo = max(0, N - (M - n)), hi = min(n, N)
        if k <= lo { return 1 }
        if k > hi { return 0 }
        let logFirst = logChoose(n, k) + logChoose(M - n, N - k) - logChoose(M, N)
        var sum = 1.0, term = 1.0
        var i = k
        while i < hi {
            term *= Double(n - i) * Double(N - i) / (Double(i + 1) * Double(M - n - N + i + 1))
            sum += term
            if term < sum * 1e-17 { break }
            i += 1
        }
        return min(1, exp(logFirst) * sum)
    }

    @inline(__always) static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    }
}
