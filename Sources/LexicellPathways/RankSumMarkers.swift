import Foundation
import LexicellCore

/// Differential expression of one group against a reference (the other cells, or one other group), per gene.
///
/// All arrays are indexed like the input matrix's columns (genes). Values follow scanpy
/// `rank_genes_groups(method="wilcoxon")`: `scores` are the rank-sum z-scores, `logFoldChanges` are
/// log2((expm1(mean in group) + 1e-9) / (expm1(mean in reference) + 1e-9)) of the log1p data means.
public struct MarkerTable: Sendable {
    public var group: String
    /// `"rest"` for one-vs-rest, otherwise the reference group's name.
    public var reference: String
    public var groupSize: Int
    public var referenceSize: Int
    public var tieCorrected: Bool
    public var scores: [Double]
    public var logFoldChanges: [Double]
    /// Two-sided normal p-values of `scores`.
    public var pValues: [Double]
    /// Benjamini–Hochberg over all genes of this table.
    public var adjustedPValues: [Double]
    /// Share of cells with a non-zero value, in the group and in the reference.
    public var fractionInGroup: [Double]
    public var fractionInReference: [Double]
    /// Means of the (log) values, in the group and in the reference.
    public var meanInGroup: [Double]
    public var meanInReference: [Double]

    /// Gene indices by decreasing score (ties by gene index), as scanpy orders `names`.
    public func ranking() -> [Int] {
        (0..<scores.count).sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    }

    /// Up-regulated markers: adjusted p ≤ `maxAdjustedP`, log fold change ≥ `minLogFoldChange` and a
    /// positive score, in ranking order.
    public func upMarkers(maxAdjustedP: Double = 0.05, minLogFoldChange: Double = 0.25) -> [Int] {
        ranking().filter { adjustedPValues[$0] <= maxAdjustedP && logFoldChanges[$0] >= minLogFoldChange && scores[$0] > 0 }
    }
}

/// Wilcoxon rank-sum (Mann–Whitney U, normal approximation) markers on a sparse cells × genes matrix.
///
/// Genes are ranked over the compared cells one gene at a time from the sparse column: the non-zero values
/// are sorted, and all zeros of a gene form one tied block whose average rank is computed in closed form,
/// so the cost is O(nnz log nnz) per gene and no dense column is built. Ties get average ranks (scipy
/// `rankdata`). The z-score is (R − n(N+1)/2) / sqrt(T·n·m·(N+1)/12) with R the group's rank sum, n and m the
/// group and reference sizes, N = n + m and T = 1 − Σ(t³ − t)/(N³ − N) when tie correction is on, else 1
/// (scanpy's default is `tie_correct=False`). A z-score that is 0/0 (e.g. a gene with one value in all
/// compared cells under tie correction, or an empty reference) is reported as 0 with p = 1, as scanpy does.
/// Genes are processed in parallel on all cores.
public enum RankSumMarkers {
    /// One table per group, each group against all other labelled cells.
    ///
    /// - Parameters:
    ///   - expression: cells × genes, log1p-normalised (CSR).
    ///   - labels: one per cell; nil cells take part in no comparison (scanpy would count them in "rest").
    ///   - groups: which groups to report (default: all labels, sorted).
    /// - Throws: when a requested group has no cells or the labels do not match the rows.
    public static func oneVsRest(_ expression: SparseMatrix, labels: [String?], groups: [String]? = nil,
                                 tieCorrect: Bool = false) throws -> [MarkerTable] {
        guard labels.count == expression.rows else {
            throw LexicellError("\(labels.count) labels for \(expression.rows) cells")
        }
        let all = Array(Set(labels.compactMap { $0 })).sorted()
        let index = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, Int32($0)) })
        let wanted = groups ?? all
        for g in wanted where index[g] == nil { throw LexicellError("group '\(g)' has no cells") }
        let assignment = labels.map { $0.flatMap { index[$0] } ?? -1 }
        let sums = rankSums(expression.transposed(), assignment: assignment, groupCount: all.count)
        return wanted.map { name in
            let g = Int(index[name]!)
            return sums.table(group: g, name: name, referenceName: "rest", reference: nil, tieCorrect: tieCorrect)
        }
    }

    /// `group` against `reference` only (scanpy's `reference=` argument): genes are ranked over the cells of
    /// the two groups.
    public static func compare(_ expression: SparseMatrix, labels: [String?], group: String, reference: String,
                               tieCorrect: Bool = false) throws -> MarkerTable {
        guard labels.count == expression.rows else {
            throw LexicellError("\(labels.count) labels for \(expression.rows) cells")
        }
        guard group != reference else { throw LexicellError("group and reference are both '\(group)'") }
        let assignment: [Int32] = labels.map { $0 == group ? 0 : ($0 == reference ? 1 : -1) }
        for (g, name) in [(Int32(0), group), (1, reference)] where !assignment.contains(g) {
            throw LexicellError("group '\(name)' has no cells")
        }
        let sums = rankSums(expression.transposed(), assignment: assignment, groupCount: 2)
        return sums.table(group: 0, name: group, referenceName: reference, reference: 1, tieCorrect: tieCorrect)
    }

    /// Per gene and group: rank sum, non-zero count and value sum; per gene the tie term Σ(t³ − t).
    struct RankSums {
        var genes: Int
        var groups: Int
        var sizes: [Int]
        var total: Int
        var rankSum: [Double]   // gene-major: [gene * groups + g]
        var nonZero: [Int32]
        var valueSum: [Double]
        var tieTerm: [Double]

        func table(group g: Int, name: String, referenceName: String, reference: Int?, tieCorrect: Bool) -> MarkerTable {
            let n = sizes[g]
            let m = reference.map { sizes[$0] } ?? (total - n)
            let N = Double(n + m)
            var scores = [Double](repeating: 0, count: genes), lfc = scores, p = scores
            var fin = scores, fout = scores, min_ = scores, mout = scores
            for j in 0..<genes {
                let base = j * groups
                let nzG = Double(nonZero[base + g]), sG = valueSum[base + g]
                var nzR = 0.0, sR = 0.0
                if let r = reference {
                    nzR = Double(nonZero[base + r]); sR = valueSum[base + r]
                } else {
                    for k in 0..<groups where k != g { nzR += Double(nonZero[base + k]); sR += valueSum[base + k] }
                }
                let t = tieCorrect ? (N >= 2 ? 1 - tieTerm[j] / (N * N * N - N) : 1) : 1
                let sd = (t * Double(n) * Double(m) * (N + 1) / 12).squareRoot()
                var z = (rankSum[base + g] - Double(n) * (N + 1) / 2) / sd
                if !z.isFinite { z = 0 }
                scores[j] = z
                p[j] = MultipleTesting.twoSidedNormal(z)
                min_[j] = sG / Double(n)
                mout[j] = m > 0 ? sR / Double(m) : 0
                fin[j] = nzG / Double(n)
                fout[j] = m > 0 ? nzR / Double(m) : 0
                lfc[j] = log2((expm1(min_[j]) + 1e-9) / (expm1(mout[j]) + 1e-9))
            }
            return MarkerTable(group: name, reference: referenceName, groupSize: n, referenceSize: m,
                               tieCorrected: tieCorrect, scores: scores, logFoldChanges: lfc, pValues: p,
                               adjustedPValues: MultipleTesting.benjaminiHochberg(p), fractionInGroup: fin,
                               fractionInReference: fout, meanInGroup: min_, meanInReference: mout)
        }
    }

    /// Order-preserving map of a Float to UInt32 (negative values below positive ones).
    @inline(__always) static func sortable(_ v: Float) -> UInt64 {
        let b = v.bitPattern
        return UInt64((b & 0x8000_0000) != 0 ? ~b : b | 0x8000_0000)
    }

    /// Ranks every gene (column of `columns`, the genes × cells transpose) over the cells whose assignment
    /// is ≥ 0, accumulating per group.
    static func rankSums(_ columns: SparseMatrix, assignment: [Int32], groupCount G: Int) -> RankSums {
        let genes = columns.rows
        var sizes = [Int](repeating: 0, count: G)
        for a in assignment where a >= 0 { sizes[Int(a)] += 1 }
        let total = sizes.reduce(0, +)
        var rankSum = [Double](repeating: 0, count: genes * G)
        var nonZero = [Int32](repeating: 0, count: genes * G)
        var valueSum = [Double](repeating: 0, count: genes * G)
        var tieTerm = [Double](repeating: 0, count: genes)
        var longest = 0
        for j in 0..<genes { longest = max(longest, columns.indptr[j + 1] - columns.indptr[j]) }
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, genes))
        let zeroKey = sortable(0)
        rankSum.withUnsafeMutableBufferPointer { rs in
        nonZero.withUnsafeMutableBufferPointer { nz in
        valueSum.withUnsafeMutableBufferPointer { vs in
        tieTerm.withUnsafeMutableBufferPointer { tt in
        columns.indptr.withUnsafeBufferPointer { ptr in
        columns.indices.withUnsafeBufferPointer { idx in
        columns.values.withUnsafeBufferPointer { val in
        assignment.withUnsafeBufferPointer { asg in
        sizes.withUnsafeBufferPointer { sz in
            let out = SharedPointers(rs: rs, nz: nz, vs: vs, tt: tt)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let keys = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(longest, 1))
                defer { keys.deallocate() }
                var j = w
                while j < genes {
                    let base = j * G
                    var count = 0
                    for k in ptr[j]..<ptr[j + 1] {
                        let g = asg[Int(idx[k])]
                        let v = val[k]
                        if g < 0 || v == 0 { continue }
                        out.nz[base + Int(g)] += 1
                        out.vs[base + Int(g)] += Double(v)
                        keys[count] = sortable(v) << 32 | UInt64(UInt32(g))
                        count += 1
                    }
                    var sorted = UnsafeMutableBufferPointer(rebasing: keys[0..<count])
                    sorted.sort()
                    let zeros = total - count
                    var placed = 0.0, ties = 0.0, zeroRank = 0.0, zeroDone = false
                    func placeZeros() {
                        let z = Double(zeros)
                        zeroRank = placed + (z + 1) / 2
                        ties += z * z * z - z
                        placed += z
                        zeroDone = true
                    }
                    var i = 0
                    while i < count {
                        let key = sorted[i] >> 32
                        if !zeroDone && key > zeroKey { placeZeros() }
                        var e = i + 1
                        while e < count && sorted[e] >> 32 == key { e += 1 }
                        let t = Double(e - i)
                        let rank = placed + (t + 1) / 2
                        for q in i..<e { out.rs[base + Int(sorted[q] & 0xFFFF_FFFF)] += rank }
                        ties += t * t * t - t
                        placed += t
                        i = e
                    }
                    if !zeroDone { placeZeros() }
                    for g in 0..<G {
                        out.rs[base + g] += Double(sz[g] - Int(out.nz[base + g])) * zeroRank
                    }
                    out.tt[j] = ties
                    j += workers
                }
            }
        } } } } } } } } }
        return RankSums(genes: genes, groups: G, sizes: sizes, total: total, rankSum: rankSum, nonZero: nonZero,
                        valueSum: valueSum, tieTerm: tieTerm)
    }
}

/// Output buffers shared by the gene workers; each gene writes only its own slots.
struct SharedPointers: @unchecked Sendable {
    let rs: UnsafeMutableBufferPointer<Double>
    let nz: UnsafeMutableBufferPointer<Int32>
    let vs: UnsafeMutableBufferPointer<Double>
    let tt: UnsafeMutableBufferPointer<Double>
}
