import XCTest
import LexicellCore
@testable import LexicellGenes

/// The bundled data folder, found from this file's location.
let dataRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("data").path

final class GenesTests: XCTestCase {
    func tmp(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-genes-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func testMouseTextsWithFallbackLoad() throws {
        let t = try GeneTexts.load(path: dataRoot + "/genes/mouse_gene_summaries_with_human_ortholog_fallback.tsv.gz")
        // 16,804 rows, of which 976 have no mouse symbol (awk count of rows with symbol and summary: 15,808).
        XCTAssertEqual(t.count, 15_808)
        XCTAssertTrue(t.text(for: "Oxt")?.lowercased().contains("oxytocin") ?? false)
        XCTAssertEqual(t.version.count, 16)
    }

    func testHumanTextsLoadAndMissingColumnIsNamed() throws {
        let t = try GeneTexts.load(path: dataRoot + "/genes/refseq_summaries_human.tsv.gz")
        XCTAssertTrue(t.text(for: "BRCA1")?.contains("BRCA1") ?? false)
        XCTAssertThrowsError(try GeneTexts.load(path: dataRoot + "/genes/refseq_summaries_human.tsv.gz", textColumn: "nope")) {
            XCTAssertTrue("\($0)".contains("no text column 'nope'"), "\($0)")
            XCTAssertTrue("\($0)".contains("refseq_summaries_human.tsv.gz"), "\($0)")
        }
    }

    func testAliasesResolveOldSymbolsAndCase() throws {
        let r = try GeneSymbolResolver.loadAliases(path: dataRoot + "/genes/mouse_gene_symbols_aliases.tsv.gz")
        XCTAssertGreaterThan(r.aliasCount, 10_000)
        let known: Set<String> = ["Tafa4", "Gad1", "Snap25"]
        XCTAssertEqual(r.resolve(["Fam19a4", "Gad1", "GAD1", "NotAGene"], against: known), ["Tafa4", "Gad1", "Gad1", nil])
    }

    func testAmbiguousCaseInsensitiveMatchIsNotGuessed() {
        let r = GeneSymbolResolver()
        XCTAssertEqual(r.resolve(["abc"], against: ["ABC", "Abc"]), [nil])
        XCTAssertEqual(r.resolve(["ABC"], against: ["ABC", "Abc"]), ["ABC"])
    }

    func testHousekeepingSets() throws {
        let hrt = try HousekeepingSet.hrtAtlas(path: dataRoot + "/genes/hk_hrtatlas_mouse_genes.csv", species: .mouse)
        XCTAssertEqual(hrt.symbols.count, 3277)
        let hrtH = try HousekeepingSet.hrtAtlas(path: dataRoot + "/genes/hk_hrtatlas_human_genes.csv", species: .human)
        XCTAssertEqual(hrtH.symbols.count, 2176)
        let el = try HousekeepingSet.eisenbergLevanon(path: dataRoot + "/genes/hk_eisenberg_levanon_2013_human_3804.tsv", species: .human)
        // 3,804 rows; duplicates after symbol updates (LCOR, NAA38) leave 3,802 distinct symbols (awk count).
        XCTAssertEqual(el.symbols.count, 3802)
        XCTAssertTrue(el.symbols.contains("AAAS"))
        let elMouse = try HousekeepingSet.eisenbergLevanon(path: dataRoot + "/genes/hk_eisenberg_levanon_2013_human_3804.tsv", species: .mouse)
        XCTAssertGreaterThan(elMouse.symbols.count, 3700)
        XCTAssertTrue(elMouse.symbols.contains("Aaas"))
    }

    func testOrthologs() throws {
        let o = try OrthologMap.loadHCOP(path: dataRoot + "/genes/hcop_human_mouse_orthologs_15col.txt.gz")
        XCTAssertEqual(o.mouseToHuman["Gad1"], "GAD1")
        XCTAssertEqual(o.humanToMouse["OXT"], "Oxt")
    }

    func testEmbeddingTableDelimitedAndBinaryRoundTrip() throws {
        let path = tmp("genes.tsv")
        try "symbol\tv1\tv2\tv3\nGad1\t1\t2\t3\nOxt\t-1.5\t0\t2e-1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let t = try GeneEmbeddingTable.load(path: path)
        XCTAssertEqual(t.symbols, ["Gad1", "Oxt"])
        XCTAssertEqual(t.vectors.values, [1, 2, 3, -1.5, 0, 0.2])
        let bin = tmp("genes.lxge")
        try t.write(to: bin)
        let back = try GeneEmbeddingTable.load(path: bin)
        XCTAssertEqual(back.symbols, t.symbols)
        XCTAssertEqual(back.vectors, t.vectors)
        XCTAssertEqual(back.modelIdentity, t.modelIdentity)
        // The header's keys in sorted order, so every process writes the same bytes (a rerun is byte-identical).
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: bin)), as: UTF8.self)
        let keys = ["\"count\"", "\"dimension\"", "\"modelIdentity\"", "\"symbols\""].map { text.range(of: $0)!.lowerBound }
        XCTAssertEqual(keys, keys.sorted())
    }

    func testMixedDimensionsAreAnError() throws {
        let path = tmp("mixed.csv")
        try "Gad1,1,2,3\nOxt,1,2\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try GeneEmbeddingTable.load(path: path)) {
            let s = "\($0)"
            XCTAssertTrue(s.contains("mixed.csv") && s.contains("line 2") && s.contains("mixed dimensions"), s)
        }
    }

    func testTruncatedBinaryTableIsAnError() throws {
        let t = try GeneEmbeddingTable.random(symbols: ["A", "B"], dimension: 4, seed: 1)
        let path = tmp("t.lxge")
        try t.write(to: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.removeLast(5)
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try GeneEmbeddingTable.load(path: path)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
    }

    func testRandomControlDependsOnlyOnSeedAndSymbol() throws {
        let a = try GeneEmbeddingTable.random(symbols: ["Gad1", "Oxt"], dimension: 384, seed: 5)
        let b = try GeneEmbeddingTable.random(symbols: ["Avp", "Oxt"], dimension: 384, seed: 5)
        let c = try GeneEmbeddingTable.random(symbols: ["Oxt"], dimension: 384, seed: 6)
        XCTAssertEqual(Array(a.vectors.row(1)), Array(b.vectors.row(1)))
        XCTAssertNotEqual(Array(a.vectors.row(1)), Array(c.vectors.row(0)))
        // Standard Gaussian entries: mean ≈ 0, variance ≈ 1 over 768 draws (5 s.e. bounds).
        let v = a.vectors.values.map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)
        XCTAssertEqual(mean, 0, accuracy: 5 / Double(v.count).squareRoot())
        XCTAssertEqual(variance, 1, accuracy: 5 * (2 / Double(v.count)).squareRoot())
    }
}
