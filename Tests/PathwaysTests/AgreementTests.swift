import XCTest
import LexicellCore
@testable import LexicellPathways

/// Lexicell against the reference files written by scripts/pathways_reference.py (scanpy 1.11.5, scipy 1.17.1,
/// gseapy 1.3.1) on pbmc68k_reduced `raw/X`, groups `bulk_labels`.
final class AgreementTests: XCTestCase {
    private func table(_ file: String) throws -> CSVTable { try CSVTable(path: fixtures + "/" + file) }

    /// scanpy stores scores and log fold changes as float32 and the fixture keeps 7 significant digits, so
    /// 1e-4 relative (plus 1e-5 absolute near zero) is far above rounding yet catches any formula difference.
    /// p-values are float64 in scanpy; the fixture's 7 digits allow 1e-5 relative (a z-score difference of
    /// 1e-7 moves p by z·1e-7 relative). Adjusted p: 1e-6 absolute or relative. Fractions are counts / n.
    func testWilcoxonMatchesScanpyOneVsRestBothTieModesAndReference() throws {
        let t = try table("pbmc_wilcoxon_scanpy.csv.gz")
        let data = PBMC.data
        let geneIndex = Dictionary(uniqueKeysWithValues: data.expression.genes.enumerated().map { ($1, $0) })
        let c = { t.column($0) }
        var mine = [String: MarkerTable]()
        for tc in [false, true] {
            for m in try RankSumMarkers.oneVsRest(data.expression.values, labels: PBMC.labels, tieCorrect: tc) {
                mine["\(tc ? 1 : 0)|\(m.group)|rest"] = m
            }
        }
        mine["1|CD19+ B|CD14+ Monocyte"] = try RankSumMarkers.compare(data.expression.values, labels: PBMC.labels,
                                                                        group: "CD19+ B", reference: "CD14+ Monocyte", tieCorrect: true)
        XCTAssertEqual(t.rows.count, 765 * 21)
        var checked = 0
        var worst = (score: 0.0, lfc: 0.0, p: 0.0, padj: 0.0)
        for r in t.rows {
            let key = "\(r[c("tie_correct")])|\(r[c("group")])|\(r[c("reference")])"
            guard let m = mine[key], let j = geneIndex[r[c("names")]] else { return XCTFail("no result for \(key) \(r[c("names")])") }
            let score = Double(r[c("scores")])!, lfc = Double(r[c("logfoldchanges")])!
            let p = Double(r[c("pvals")])!, padj = Double(r[c("pvals_adj")])!, pts = Double(r[c("pts")])!
            worst.score = max(worst.score, abs(m.scores[j] - score) / max(abs(score), 1e-3))
            worst.lfc = max(worst.lfc, abs(m.logFoldChanges[j] - lfc) / max(abs(lfc), 1e-3))
            worst.p = max(worst.p, abs(m.pValues[j] - p) / max(p, 1e-300))
            worst.padj = max(worst.padj, abs(m.adjustedPValues[j] - padj))
            XCTAssertTrue(close(m.scores[j], score, rel: 1e-4, abs: 1e-5), "\(key) \(r[c("names")]) score \(m.scores[j]) vs \(score)")
            XCTAssertTrue(close(m.logFoldChanges[j], lfc, rel: 1e-4, abs: 1e-5), "\(key) \(r[c("names")]) lfc \(m.logFoldChanges[j]) vs \(lfc)")
            XCTAssertTrue(close(m.pValues[j], p, rel: 1e-5, abs: 1e-300), "\(key) \(r[c("names")]) p \(m.pValues[j]) vs \(p)")
            XCTAssertTrue(close(m.adjustedPValues[j], padj, rel: 1e-6, abs: 1e-6), "\(key) \(r[c("names")]) padj \(m.adjustedPValues[j]) vs \(padj)")
            XCTAssertEqual(m.fractionInGroup[j], pts, accuracy: 1e-6)
            if let rest = Double(r[c("pts_rest")]), !rest.isNaN { XCTAssertEqual(m.fractionInReference[j], rest, accuracy: 1e-6) }
            checked += 1
        }
        XCTAssertEqual(checked, 765 * 21)
        print("wilcoxon vs scanpy, largest deviation: score \(worst.score) rel, log2FC \(worst.lfc) rel, p \(worst.p) rel, padj \(worst.padj) abs")
    }

    /// The hypergeometric tail against scipy `hypergeom.sf` on a grid reaching populations of 20,000 and tails
    /// near 1e-300: 1e-10 relative (the log-gamma start term carries ~1e-12 relative error at these sizes).
    func testHypergeometricTailMatchesScipy() throws {
        let t = try table("hypergeom_grid_scipy.csv")
        XCTAssertGreaterThan(t.rows.count, 100)
        var worst = 0.0
        defer { print("hypergeometric tail vs scipy, largest relative deviation \(worst) over \(t.rows.count) cases") }
        for r in t.rows {
            let v = r.map { Double($0)! }
            let mine = OverRepresentation.upperTail(overlap: Int(v[3]), population: Int(v[0]), successes: Int(v[1]), draws: Int(v[2]))
            if v[4] > 0 { worst = max(worst, abs(mine - v[4]) / v[4]) }
            XCTAssertTrue(close(mine, v[4], rel: 1e-10), "M \(v[0]) n \(v[1]) N \(v[2]) k \(v[3]): \(mine) vs \(v[4])")
        }
        // Hand case: M 10, n 4, N 3, k 2 → (C(4,2)·C(6,1) + C(4,3)) / C(10,3) = 40/120.
        // lgamma gives the first term to a few ulps, hence 1e-13 rather than exact.
        XCTAssertEqual(OverRepresentation.upperTail(overlap: 2, population: 10, successes: 4, draws: 3), 1.0 / 3, accuracy: 1e-13)
        XCTAssertEqual(OverRepresentation.upperTail(overlap: 0, population: 10, successes: 4, draws: 3), 1)
        XCTAssertEqual(OverRepresentation.upperTail(overlap: 4, population: 10, successes: 4, draws: 3), 0)
    }

    /// ORA of Lexicell's own markers (padj ≤ 0.05, log2FC ≥ 0.25, z > 0) over the fixture GMT: the counts must
    /// equal those scipy was given from scanpy's markers, and p within 1e-10 relative.
    func testOverRepresentationOfMarkersMatchesScipy() throws {
        let t = try table("pbmc_ora_scipy.csv")
        let data = PBMC.data
        let sets = try GeneSetCollection.read(path: fixtures + "/pbmc_subset.gmt.gz").matched(to: data.expression.genes)
        let universe = expressedGenes(data.expression.values)
        XCTAssertEqual(universe.count, 765)
        for group in ["CD19+ B", "CD56+ NK"] {
            let m = try RankSumMarkers.oneVsRest(data.expression.values, labels: PBMC.labels, groups: [group])[0]
            let report = OverRepresentation.test(selected: m.upMarkers().map(Int32.init), universe: universe, sets: sets.sets)
            let ref = t.rows.filter { $0[0] == group }
            XCTAssertEqual(report.results.count, ref.count, group)
            let byId = Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, $0) })
            for r in ref {
                guard let x = byId[r[1]] else { XCTFail("\(group) \(r[1]) missing"); continue }
                XCTAssertEqual(report.universeSize, Int(r[2]))
                XCTAssertEqual(x.sizeInUniverse, Int(r[3]), r[1])
                XCTAssertEqual(report.selectedCount, Int(r[4]))
                XCTAssertEqual(x.overlap, Int(r[5]), r[1])
                XCTAssertTrue(close(x.pValue, Double(r[6])!, rel: 1e-10), "\(group) \(r[1]) \(x.pValue) vs \(r[6])")
            }
        }
    }

    /// Preranked GSEA against gseapy prerank on the same ranking (gseapy's own sorted order is in the fixture),
    /// the same sets and 1000 permutations.
    /// - ES and leading edge are deterministic: ES to 1e-6 relative (the fixture's 7 digits).
    /// - NES = ES / mean(null of the same sign): each side of the null holds ~500 draws with a coefficient of
    ///   variation ≲ 0.5, so each mean has ≲ 2.3 % relative error and the two independent runs differ by
    ///   ≲ 3.2 % (1 s.d.); tolerance 4 s.d. = 13 %.
    /// - p: a share of the n same-signed null draws (n ≈ 500, reported as `nullSameSign`); binomial s.d.
    ///   √(p(1−p)/n) per run, with p(1−p) floored at 1/n; tolerance 5·√2 s.d. + 3/n, wide enough for ~300
    ///   set × group comparisons at once (R-HSA-72203 for B cells: gseapy 0.994, Lexicell 0.971; an
    ///   independent numpy null gave 0.980).
    /// - FDR: compared only where it matters, on which side of 0.25 it falls when far from the line (±0.15).
    func testPrerankMatchesGseapy() throws {
        let data = PBMC.data
        let geneIndex = Dictionary(uniqueKeysWithValues: data.expression.genes.enumerated().map { ($1, Int32($0)) })
        let sets = try GeneSetCollection.read(path: fixtures + "/pbmc_subset.gmt.gz").matched(to: data.expression.genes)
        for tag in ["CD19_B", "CD56_NK"] {
            let ranking = try table("pbmc_prerank_ranking_\(tag).csv")
            let genes = ranking.rows.map { geneIndex[$0[0]]! }, scores = ranking.rows.map { Double($0[1])! }
            let report = PrerankedGSEA.run(genes: genes, scores: scores, sets: sets.sets,
                                           options: .init(permutations: 1000, seed: 1, minSize: 5, maxSize: 500))
            let ref = try table("pbmc_prerank_gseapy_\(tag).csv")
            XCTAssertEqual(report.results.count, ref.rows.count, tag)
            let byId = Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, $0) })
            var nesChecked = 0
            var worst = (es: 0.0, nes: 0.0, p: 0.0)
            defer { print("prerank \(tag) vs gseapy over \(nesChecked) sets: ES \(worst.es) rel, NES \(worst.nes) rel, p \(worst.p) abs (largest)") }
            for r in ref.rows {
                guard let x = byId[r[0]] else { XCTFail("\(tag) \(r[0]) missing"); continue }
                let es = Double(r[1])!, nes = Double(r[2])!, p = Double(r[3])!, fdr = Double(r[4])!
                worst.es = max(worst.es, abs(x.enrichmentScore - es) / abs(es))
                worst.nes = max(worst.nes, abs(x.normalizedEnrichmentScore - nes) / abs(nes))
                worst.p = max(worst.p, abs(x.pValue - p))
                XCTAssertTrue(close(x.enrichmentScore, es, rel: 1e-6, abs: 1e-9), "\(tag) \(r[0]) ES \(x.enrichmentScore) vs \(es)")
                let lead = r[5].split(separator: ";").map { geneIndex[String($0)]! }
                XCTAssertEqual(Set(x.leadingEdge), Set(lead), "\(tag) \(r[0]) leading edge")
                XCTAssertTrue(close(x.normalizedEnrichmentScore, nes, rel: 0.13), "\(tag) \(r[0]) NES \(x.normalizedEnrichmentScore) vs \(nes)")
                let side = Double(max(x.nullSameSign, 1)), sd = (max(p * (1 - p), 1 / side) / side).squareRoot()
                XCTAssertEqual(x.pValue, p, accuracy: 5 * 2.0.squareRoot() * sd + 3 / side, "\(tag) \(r[0]) p")
                if abs(fdr - 0.25) > 0.15 { XCTAssertEqual(x.fdr < 0.25, fdr < 0.25, "\(tag) \(r[0]) FDR \(x.fdr) vs \(fdr)") }
                nesChecked += 1
            }
            XCTAssertGreaterThan(nesChecked, 50)
        }
    }
}

/// Genes with a non-zero value in at least one cell.
func expressedGenes(_ m: SparseMatrix) -> [Int32] {
    var seen = [Bool](repeating: false, count: m.cols)
    for c in m.indices { seen[Int(c)] = true }
    return (0..<m.cols).filter { seen[$0] }.map(Int32.init)
}
