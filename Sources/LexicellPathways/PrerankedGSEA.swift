import Foundation
import LexicellCore

/// The enrichment of one gene set at the top or bottom of a ranking.
public struct GSEAResult: Equatable, Sendable {
    public var id: String
    public var name: String
    /// Size in the GMT file, and genes of the set present in the ranking.
    public var size: Int
    public var sizeInRanking: Int
    /// Enrichment score: the running sum's largest deviation from zero (signed).
    public var enrichmentScore: Double
    /// ES divided by the mean of the same-signed null ES of this set.
    public var normalizedEnrichmentScore: Double
    /// Nominal permutation p-value (share of same-signed null ES at least as extreme).
    public var pValue: Double
    /// FDR q-value computed from all sets' normalised nulls, as gseapy does.
    public var fdr: Double
    /// Null ES of the same sign as the ES: the p-value's denominator (its resolution is 1 / this).
    public var nullSameSign: Int
    /// Leading-edge genes (gene indices), in ranking order from the extreme end.
    public var leadingEdge: [Int32]
}

/// Preranked GSEA over one collection.
public struct GSEAReport: Sendable {
    public var results: [GSEAResult]
    /// Sets outside the size bounds once restricted to the ranking.
    public var skipped: [DroppedGeneSet]
    public var permutations: Int
    public var seed: UInt64
}

/// Preranked gene set enrichment analysis with gene-set permutations, following gseapy `prerank`.
///
/// - ES: walk down the ranking (sorted by decreasing score); at a set gene add |score|^weight / Σ over the
///   set's genes of |score|^weight, at any other gene subtract 1 / (N − k). ES is the extreme of the walk
///   (the first value of strictly largest magnitude; weight 1 is GSEA's standard).
/// - Null: `permutations` random position sets of the set's size. The null depends only on that size, so sets
///   of equal size share one null (gseapy shares one series of gene permutations between all sets; fgsea also
///   shares nulls by size). Each size's generator is seeded from `seed` and the size, so a set's NES and p do
///   not depend on which other sets are tested or on thread timing; only the FDR looks at the other sets.
/// - NES = ES / mean(null ES ≥ 0) for ES ≥ 0, else ES / |mean(null ES < 0)|; when that side of the null is
///   empty the ES itself is the divisor (gseapy's rule).
/// - p = #(null ≥ ES) / #(null ≥ 0) for ES ≥ 0, #(null ≤ ES) / #(null < 0) otherwise; 1 if the side is empty.
/// - FDR for NES ≥ 0: [#(all normalised nulls ≥ NES) / #(all normalised nulls ≥ 0)] / [#(NES of sets ≥ NES)
///   / #(NES of sets ≥ 0)], capped at 1; mirrored for NES < 0.
/// - Leading edge: for ES ≥ 0 the set genes up to the walk's maximum; for ES < 0 those from its minimum on.
/// Sets run in parallel on all cores.
public enum PrerankedGSEA {
    public struct Options: Sendable {
        public var permutations: Int
        public var seed: UInt64
        public var weight: Double
        /// Bounds on the set size within the ranking (gseapy defaults 15 and 500).
        public var minSize: Int
        public var maxSize: Int

        public init(permutations: Int = 1000, seed: UInt64 = 0, weight: Double = 1, minSize: Int = 15, maxSize: Int = 500) {
            self.permutations = permutations
            self.seed = seed
            self.weight = weight
            self.minSize = minSize
            self.maxSize = maxSize
        }
    }

    /// - Parameters:
    ///   - genes: gene indices of the ranking (each at most once); `scores[i]` belongs to `genes[i]`.
    ///     The ranking is sorted by decreasing score here; equal scores keep their input order.
    ///   - sets: matched sets (indices in the same space as `genes`).
    public static func run(genes: [Int32], scores: [Double], sets: [MatchedGeneSet], options: Options = Options()) -> GSEAReport {
        precondition(genes.count == scores.count, "PrerankedGSEA: \(genes.count) genes, \(scores.count) scores")
        let order = (0..<genes.count).sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let N = genes.count
        let weights = order.map { pow(abs(scores[$0]), options.weight) }
        let top = Int(max(genes.max() ?? 0, sets.map { $0.genes.last ?? 0 }.max() ?? 0)) + 1
        var position = [Int32](repeating: -1, count: top)
        for (p, i) in order.enumerated() { position[Int(genes[i])] = Int32(p) }
        let rankedGenes = order.map { genes[$0] }

        var tested = [(set: MatchedGeneSet, index: Int, hits: [Int32])](), skipped = [DroppedGeneSet]()
        for set in sets {
            let hits = set.genes.compactMap { position[Int($0)] >= 0 ? position[Int($0)] : nil }.sorted()
            if hits.count < max(options.minSize, 1) || hits.count > options.maxSize || hits.count >= N {
                skipped.append(DroppedGeneSet(id: set.id, name: set.name, size: set.size, matched: hits.count,
                                              reason: "\(hits.count) genes in the ranking, outside \(options.minSize)–\(options.maxSize)"))
            } else {
                tested.append((set, tested.count, hits))
            }
        }
        let P = options.permutations
        var es = [Double](repeating: 0, count: tested.count)
        var peaks = [Int](repeating: 0, count: tested.count)
        // The null ES of a set depends only on its size k (k random positions of the same ranking), so one null
        // per distinct size serves every set of that size; larger sizes first for load balance.
        let sizes = Array(Set(tested.map { $0.hits.count })).sorted(by: >)
        let sizeSlot = Dictionary(uniqueKeysWithValues: sizes.enumerated().map { ($1, $0) })
        var nulls = [Double](repeating: 0, count: sizes.count * P)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, max(sizes.count, tested.count)))
        weights.withUnsafeBufferPointer { w in
        es.withUnsafeMutableBufferPointer { esb in
        nulls.withUnsafeMutableBufferPointer { nb in
        peaks.withUnsafeMutableBufferPointer { pk in
            let out = GSEAShared(es: esb, nulls: nb, peaks: pk)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var s = worker
                while s < tested.count {
                    let (e, peak) = tested[s].hits.withUnsafeBufferPointer { walk(w, N: N, hits: $0) }
                    out.es[s] = e
                    out.peaks[s] = peak
                    s += workers
                }
                let shuffle = UnsafeMutableBufferPointer<Int32>.allocate(capacity: N)
                defer { shuffle.deallocate() }
                for i in 0..<N { shuffle[i] = Int32(i) }
                var scratch = [Int32]()
                var slot = worker
                while slot < sizes.count {
                    let k = sizes[slot]
                    // Seeded by (seed, k): a set's null does not depend on the other sets or on threads.
                    var rng = SeededGenerator(seed: options.seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(k)))
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(contentsOf: repeatElement(0, count: k))
                    for p in 0..<P {
                        for i in 0..<k {
                            let j = i + Int(rng.next(upperBound: UInt64(N - i)))
                            shuffle.swapAt(i, j)
                            scratch[i] = shuffle[i]
                        }
                        scratch.sort()
                        out.nulls[slot * P + p] = scratch.withUnsafeBufferPointer { walk(w, N: N, hits: $0).es }
                    }
                    slot += workers
                }
            }
        } } } }
        // Per size: means of each sign, and the normalised null sorted (for the FDR counts).
        var posMean = [Double](repeating: 0, count: sizes.count), negMean = posMean
        var posCount = [Int](repeating: 0, count: sizes.count), negCount = posCount
        var sortedNull = [[Double]](), normNull = [[Double]]()
        for slot in sizes.indices {
            let null = nulls[(slot * P)..<((slot + 1) * P)]
            var ps = 0.0, ns = 0.0
            for x in null { if x >= 0 { ps += x; posCount[slot] += 1 } else { ns += x; negCount[slot] += 1 } }
            posMean[slot] = posCount[slot] > 0 ? ps / Double(posCount[slot]) : .nan
            negMean[slot] = negCount[slot] > 0 ? ns / Double(negCount[slot]) : .nan
            sortedNull.append(null.sorted())
        }
        // gseapy's rule when one side of a null is empty: that side's mean is the set's own ES.
        func means(_ slot: Int, _ e: Double) -> (Double, Double) {
            (posCount[slot] > 0 ? posMean[slot] : e, negCount[slot] > 0 ? negMean[slot] : e)
        }
        var nes = [Double](repeating: 0, count: tested.count)
        var pvals = [Double](repeating: 1, count: tested.count)
        var sameSign = [Int](repeating: 0, count: tested.count)
        // Multiplicity of each size's normalised null in the pooled null (one copy per set; the empty-side rule
        // makes a set's normalisation depend on its ES only when a side is empty, which then holds no values).
        var copies = [Int](repeating: 0, count: sizes.count)
        for s in tested.indices {
            let slot = sizeSlot[tested[s].hits.count]!, e = es[s]
            copies[slot] += 1
            let (pm, nm) = means(slot, e)
            nes[s] = e >= 0 ? e / pm : e / abs(nm)
            let sorted = sortedNull[slot]
            let denominator = e >= 0 ? posCount[slot] : negCount[slot]
            let beyond = e >= 0 ? P - lowerBound(sorted) { $0 < e } : lowerBound(sorted) { $0 <= e }
            sameSign[s] = denominator
            pvals[s] = denominator > 0 ? Double(beyond) / Double(denominator) : 1
        }
        for slot in sizes.indices {
            let (pm, nm) = means(slot, 0)
            normNull.append(sortedNull[slot].map { $0 >= 0 ? $0 / pm : $0 / abs(nm) })  // still sorted
        }
        // Pooled counts over all sets' normalised nulls, size by size with multiplicities.
        func pooled(_ count: ([Double]) -> Int) -> Int {
            var total = 0
            for slot in sizes.indices where copies[slot] > 0 { total += copies[slot] * count(normNull[slot]) }
            return total
        }
        let nullNeg = pooled { lowerBound($0) { $0 < 0 } }, nullAll = pooled { $0.count }
        let sortedNES = nes.sorted()
        let nesNeg = lowerBound(sortedNES) { $0 < 0 }
        var results = [GSEAResult]()
        for (s, t) in tested.enumerated() {
            let v = nes[s]
            let phiNorm: Double, phiObs: Double
            if v < 0 {
                let allBeyond = pooled { a in lowerBound(a) { $0 <= v } }, obsBeyond = lowerBound(sortedNES) { $0 <= v }
                phiNorm = nullNeg > 0 ? Double(allBeyond) / Double(nullNeg) : 0
                phiObs = nesNeg > 0 ? Double(obsBeyond) / Double(nesNeg) : 0
            } else {
                let allBeyond = pooled { a in a.count - lowerBound(a) { $0 < v } }
                let obsBeyond = sortedNES.count - lowerBound(sortedNES) { $0 < v }
                let allPos = nullAll - nullNeg, obsPos = sortedNES.count - nesNeg
                phiNorm = allPos > 0 ? Double(allBeyond) / Double(allPos) : 0
                phiObs = obsPos > 0 ? Double(obsBeyond) / Double(obsPos) : 0
            }
            let fdr = phiObs > 0 ? min(phiNorm / phiObs, 1) : 1
            let hits = t.hits
            let leading: [Int32] = es[s] >= 0
                ? hits.prefix(peaks[s] + 1).map { rankedGenes[Int($0)] }
                : hits.suffix(from: peaks[s]).reversed().map { rankedGenes[Int($0)] }
            results.append(GSEAResult(id: t.set.id, name: t.set.name, size: t.set.size, sizeInRanking: hits.count,
                                      enrichmentScore: es[s], normalizedEnrichmentScore: nes[s], pValue: pvals[s],
                                      fdr: fdr, nullSameSign: sameSign[s], leadingEdge: leading))
        }
        return GSEAReport(results: results, skipped: skipped, permutations: P, seed: options.seed)
    }

    /// The ES of hits at sorted positions `hits` in a ranking of N genes with per-position weights `w`, and
    /// the index into `hits` of the extreme (the hit at the maximum, or the first hit after the minimum).
    @inline(__always) static func walk(_ w: UnsafeBufferPointer<Double>, N: Int, hits: UnsafeBufferPointer<Int32>) -> (es: Double, peak: Int) {
        let k = hits.count
        var total = 0.0
        for h in hits { total += w[Int(h)] }
        let uniform = total == 0
        let stepUp = uniform ? 1 / Double(k) : 1 / total
        let stepDown = 1 / Double(N - k)
        var cur = 0.0, best = 0.0, peak = 0
        var last = -1
        for (i, h) in hits.enumerated() {
            let pos = Int(h)
            cur -= stepDown * Double(pos - last - 1)
            if abs(cur) > abs(best) { best = cur; peak = i }
            cur += uniform ? stepUp : w[pos] * stepUp
            if abs(cur) > abs(best) { best = cur; peak = i }
            last = pos
        }
        return (best, peak)
    }

    /// First index whose element fails `below` (the elements satisfying it form a prefix).
    @inline(__always) static func lowerBound(_ a: [Double], _ below: (Double) -> Bool) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if below(a[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

struct GSEAShared: @unchecked Sendable {
    let es: UnsafeMutableBufferPointer<Double>
    let nulls: UnsafeMutableBufferPointer<Double>
    let peaks: UnsafeMutableBufferPointer<Int>
}
