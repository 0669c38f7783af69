import Foundation
import LexicellCore
import LexicellGenes
import XCTest
@testable import LexicellRemote

/// The E-utilities client against recorded responses on loopback (no live calls).
final class NCBITests: XCTestCase {
    static let dataDir =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/data/genes"
    static let orthologs: OrthologMap = try! OrthologMap.loadHCOP(path: dataDir + "/hcop_human_mouse_orthologs_15col.txt.gz")

    private func options(_ server: LoopbackServer, symbolsPerSearch: Int = 100) -> NCBIGeneOptions {
        var o = NCBIGeneOptions()
        o.baseURL = server.base + "/entrez/eutils/"
        o.symbolsPerSearch = symbolsPerSearch
        o.retry.baseDelay = 0.005
        o.retry.maxDelay = 0.05
        o.retry.requestTimeout = 10
        return o
    }

    func testMouseSymbolsWithOrthologFallbackUnknownSymbolAndRateLimit() throws {
        let log = RequestLog()
        let server = try fakeEUtils(log: log)
        let client = try NCBIGeneClient(options: options(server, symbolsPerSearch: 2), cachePath: nil, environment: [:], log: { _ in })
        let got = try client.fetch(
            symbols: ["Gapdh", "Pomc", "0610009B22Rik", "Notagene1"], species: .mouse,
            orthologs: Self.orthologs)
        XCTAssertEqual(got.genes.map(\.symbol), ["Gapdh", "Pomc", "0610009B22Rik"])
        XCTAssertEqual(got.genes.map(\.entrezID), ["14433", "18976", "66050"])
        XCTAssertEqual(got.unknown, ["Notagene1"])
        XCTAssertEqual(got.genes[0].summarySource, "ncbi_gene")
        XCTAssertTrue(got.genes[0].summary.hasPrefix("This gene encodes a member of the glyceraldehyde"))
        // No mouse summary: the human ortholog's (HCOP: 0610009B22Rik → TRAPPC2), fetched from NCBI.
        XCTAssertEqual(got.genes[2].summarySource, "human_ortholog:TRAPPC2:6399")
        XCTAssertTrue(got.genes[2].summary.hasPrefix("The protein encoded by this gene is thought to be part of a large multi-subunit"))
        XCTAssertEqual(got.genes[2].geneName, "RIKEN cDNA 0610009B22 gene")
        XCTAssertEqual(got.orthologFallbacks, 1)
        XCTAssertEqual(got.withoutSummary, [])
        // 2 mouse searches of 2 symbols, 1 mouse summary, 1 human search, 1 human summary.
        XCTAssertEqual(log.all.map(\.path), ["esearch.fcgi", "esearch.fcgi", "esummary.fcgi", "esearch.fcgi", "esummary.fcgi"])
        XCTAssertEqual(got.requests, 5)
        let first = formFields(log.all[0].body)
        XCTAssertEqual(first["term"], #"("Gapdh"[sym] OR "Pomc"[sym]) AND txid10090[orgn] AND alive[prop]"#)
        XCTAssertEqual(first["tool"], "lexicell")
        XCTAssertNil(first["api_key"])
        XCTAssertEqual(formFields(log.all[2].body)["id"], "14433,18976,66050")
        XCTAssertTrue(formFields(log.all[3].body)["term"]!.contains("txid9606[orgn]"))
        // Without a key NCBI allows 3 requests per second: arrivals at least 1/3 s apart (server clock).
        let times = log.all.map(\.time)
        for i in 1..<times.count { XCTAssertGreaterThanOrEqual(times[i] - times[i - 1], 1.0 / 3 - 0.01, "gap \(i)") }
        XCTAssertTrue(got.report.contains("1 unknown (Notagene1)"), got.report)
    }

    func testWithAKeyTheRateIsTenPerSecond() throws {
        let log = RequestLog()
        let server = try fakeEUtils(log: log)
        let client = try NCBIGeneClient(
            options: options(server, symbolsPerSearch: 1), cachePath: nil,
            environment: ["NCBI_API_KEY": "0123456789abcdef0123456789abcdef0123"], log: { _ in })
        let got = try client.fetch(symbols: ["Gapdh", "Pomc", "Notagene1", "0610009B22Rik"], species: .mouse)
        XCTAssertEqual(got.genes.count, 3)
        XCTAssertEqual(got.withoutSummary, ["0610009B22Rik"])  // no ortholog map given: no fallback
        let times = log.all.map(\.time)
        XCTAssertEqual(times.count, 5)
        for i in 1..<times.count { XCTAssertGreaterThanOrEqual(times[i] - times[i - 1], 0.1 - 0.01) }
        XCTAssertLessThan(times.last! - times.first!, 4 * (1.0 / 3))  // faster than the keyless limit
        XCTAssertEqual(formFields(log.all[0].body)["api_key"], "0123456789abcdef0123456789abcdef0123")
    }

    func testEntrezIDs() throws {
        let log = RequestLog()
        let server = try fakeEUtils(log: log)
        let client = try NCBIGeneClient(options: options(server), cachePath: nil, environment: [:], log: { _ in })
        let got = try client.fetch(entrezIDs: ["6399", "2597", "999999999"], species: .human)
        XCTAssertEqual(got.genes.map(\.symbol), ["TRAPPC2", "GAPDH"])
        XCTAssertEqual(got.unknown, ["999999999"])
        XCTAssertEqual(log.all.map(\.path), ["esummary.fcgi"])
        XCTAssertThrowsError(try client.fetch(entrezIDs: ["GAPDH"], species: .human)) {
            XCTAssertTrue("\($0)".contains("not an Entrez Gene id"), "\($0)")
        }
    }

    func testCacheServesTheSecondRunAndKeepsFetchDates() throws {
        let dir = temporaryDirectory("ncbi")
        let cachePath = dir + "/ncbi_genes.tsv"
        let log = RequestLog()
        let server = try fakeEUtils(log: log)
        let symbols = ["Gapdh", "Notagene1", "0610009B22Rik", "Pomc"]
        let first = try NCBIGeneClient(options: options(server), cachePath: cachePath, environment: [:], log: { _ in })
        let a = try first.fetch(symbols: symbols, species: .mouse, orthologs: Self.orthologs)
        XCTAssertEqual(a.fromCache, 0)
        let sent = log.count
        XCTAssertEqual(sent, 4)

        let second = try NCBIGeneClient(options: options(server), cachePath: cachePath, environment: [:], log: { _ in })
        let b = try second.fetch(symbols: symbols, species: .mouse, orthologs: Self.orthologs)
        XCTAssertEqual(log.count, sent, "second run sends nothing")
        XCTAssertEqual(b.requests, 0)
        XCTAssertEqual(b.fromCache, 5)  // 4 mouse queries (the unknown one included) + TRAPPC2
        XCTAssertEqual(b.genes, a.genes)
        XCTAssertEqual(b.unknown, ["Notagene1"])

        let today = NCBIGeneClient.day(Date())
        let lines = try String(contentsOfFile: cachePath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(String(lines[0]), NCBIGeneClient.cacheMagic)
        XCTAssertTrue(lines.dropFirst(2).allSatisfy { $0.hasSuffix("\t" + today) })
        XCTAssertTrue(lines.contains { $0.hasPrefix("10090\t\tNotagene1\t") }, "unknown symbols are remembered")

        // Entries older than maxCacheAge are fetched again.
        var o = options(server)
        o.maxCacheAge = -1
        let stale = try NCBIGeneClient(options: o, cachePath: cachePath, environment: [:], log: { _ in })
        _ = try stale.fetch(symbols: ["Gapdh"], species: .mouse)
        XCTAssertEqual(log.count, sent + 2)
    }

    func testWrittenTSVMatchesTheBundledLayout() throws {
        let server = try fakeEUtils(log: RequestLog())
        let client = try NCBIGeneClient(options: options(server), cachePath: nil, environment: [:], log: { _ in })
        let got = try client.fetch(symbols: ["Pomc", "Gapdh", "0610009B22Rik"], species: .mouse, orthologs: Self.orthologs)
        let dir = temporaryDirectory("tsv")
        let path = dir + "/mouse_summaries.tsv.gz"
        try got.writeTSV(path: path)
        let bundledHeader = String(decoding: try FileData.read(Self.dataDir + "/refseq_summaries_human.tsv.gz").prefix { $0 != 0x0A }, as: UTF8.self)
            .split(separator: "\t").map(String.init)
        let written = String(decoding: try FileData.read(path), as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(written[0].split(separator: "\t", omittingEmptySubsequences: false).prefix(6).map(String.init)), bundledHeader)
        XCTAssertEqual(written.count, 4)
        XCTAssertEqual(written[1].split(separator: "\t", omittingEmptySubsequences: false).count, NCBIGeneTexts.header.count)
        let texts = try GeneTexts.load(path: path)
        XCTAssertEqual(texts.symbols, ["Pomc", "Gapdh", "0610009B22Rik"])
        XCTAssertEqual(texts.text(for: "0610009B22Rik"), got.genes[2].summary)
        XCTAssertEqual(got.geneTexts.texts, texts.texts)
    }

    func testRetriesAndClearErrors() throws {
        let log = RequestLog()
        let server = try fakeEUtils(log: log) { n in
            n == 1 ? (429, #"{"error":"API rate limit exceeded","api-key":"","count":"4","limit":"3"}"#) : nil
        }
        let lines = LogLines()
        let client = try NCBIGeneClient(options: options(server), cachePath: nil, environment: [:], log: lines.sink)
        let got = try client.fetch(symbols: ["Gapdh"], species: .mouse)
        XCTAssertEqual(got.genes.map(\.entrezID), ["14433"])
        XCTAssertEqual(log.count, 3)
        XCTAssertTrue(lines.all.first?.contains("HTTP 429 (API rate limit exceeded)") ?? false, "\(lines.all)")

        let failing = try fakeEUtils(log: RequestLog()) { _ in (500, "<html>Internal Server Error</html>") }
        var o = options(failing)
        o.retry.maxAttempts = 2
        XCTAssertThrowsError(
            try NCBIGeneClient(options: o, cachePath: nil, environment: [:], log: { _ in })
                .fetch(symbols: ["Gapdh"], species: .mouse)
        ) {
            let s = "\($0)"
            XCTAssertTrue(s.contains("NCBI esearch.fcgi") && s.contains("failed after 2 attempts") && s.contains("HTTP 500"), s)
        }
        let garbage = try fakeEUtils(log: RequestLog()) { _ in (200, "<eSearchResult><Count>1</Count>") }
        XCTAssertThrowsError(
            try NCBIGeneClient(options: options(garbage), cachePath: nil, environment: [:], log: { _ in })
                .fetch(symbols: ["Gapdh"], species: .mouse)
        ) {
            XCTAssertTrue("\($0)".contains("not JSON"), "\($0)")
        }
    }

    /// What `lexicell genes fetch` runs: mixed symbols and ids, a gene without any summary, an unknown symbol,
    /// an ortholog fill, the written TSV, then the same again from the cache.
    func testFetchQueriesAsTheCommandDoes() throws {
        let dir = temporaryDirectory("fetch")
        let log = RequestLog()
        let server = try fakeEUtils(log: log)
        let listPath = dir + "/genes.txt"
        try "symbol\n# from a marker list\nPomc\n\n215493\t(A3galt2 by id)\n0610009B22Rik,x\n".write(toFile: listPath, atomically: true, encoding: .utf8)
        let queries = try NCBIGeneClient.queries(fromFile: listPath) + ["Notagene1", "14433", "pomc"]
        XCTAssertEqual(queries, ["Pomc", "215493", "0610009B22Rik", "Notagene1", "14433", "pomc"])

        let cachePath = dir + "/ncbi.tsv"
        let client = try NCBIGeneClient(options: options(server), cachePath: cachePath, environment: [:], log: { _ in })
        let got = try client.fetch(queries: queries, species: .mouse, orthologs: Self.orthologs)
        XCTAssertEqual(got.genes.map(\.symbol), ["Pomc", "A3galt2", "0610009B22Rik", "Gapdh"])  // asked order, Pomc once
        XCTAssertEqual(got.unknown, ["Notagene1"])
        // A3galt2 has no summary and neither has its human ortholog A3GALT2: reported, not written.
        XCTAssertEqual(got.withoutSummary, ["A3galt2"])
        XCTAssertEqual(got.orthologFallbacks, 1)
        XCTAssertEqual(got.genes[2].summarySource, "human_ortholog:TRAPPC2:6399")
        XCTAssertEqual(got.fromCache, 0)
        // Symbols: mouse esearch + esummary, human esearch + esummary for TRAPPC2; ids: mouse esummary, then
        // human esearch + esummary for A3GALT2.
        XCTAssertEqual(
            log.all.map(\.path),
            [
                "esearch.fcgi", "esummary.fcgi", "esearch.fcgi", "esummary.fcgi",
                "esummary.fcgi", "esearch.fcgi", "esummary.fcgi",
            ])
        XCTAssertEqual(got.requests, 7)
        XCTAssertEqual(
            got.account,
            [
                "fetched from NCBI: 4 (Pomc, A3galt2, 0610009B22Rik, Gapdh)",
                "from the cache: 0",
                "filled from the human ortholog: 1 (0610009B22Rik ← TRAPPC2)",
                "no summary, left out of the file: 1 (A3galt2)",
                "unknown to NCBI Gene (mouse): 1 (Notagene1)",
            ])

        let out = dir + "/mouse.tsv"
        try got.writeTSV(path: out)
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.count, 5)  // header, 3 genes, the empty string after the last newline
        XCTAssertEqual(rows[0], NCBIGeneTexts.header)
        XCTAssertEqual(rows[4], [""])
        let pomc = RecordedGenes.docs.first { $0.name == "Pomc" }!, trappc2 = RecordedGenes.docs.first { $0.name == "TRAPPC2" }!
        let gapdh = RecordedGenes.docs.first { $0.uid == "14433" }!
        let today = NCBIGeneClient.day(Date())
        XCTAssertEqual(rows[1], ["18976", "Pomc", pomc.description, "", "", pomc.summary, "ncbi_gene", today])
        XCTAssertEqual(
            rows[2],
            [
                "66050", "0610009B22Rik", "RIKEN cDNA 0610009B22 gene", "", "", trappc2.summary,
                "human_ortholog:TRAPPC2:6399", today,
            ])
        XCTAssertEqual(rows[3], ["14433", "Gapdh", gapdh.description, "", "", gapdh.summary, "ncbi_gene", today])
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: dir)), ["genes.txt", "ncbi.tsv", "mouse.tsv"],
            "nothing else (no temporary file) beside the output")

        // A second run (new client, same cache) sends nothing and writes the same file.
        let sent = log.count
        let again = try NCBIGeneClient(options: options(server), cachePath: cachePath, environment: [:], log: { _ in })
            .fetch(queries: queries, species: .mouse, orthologs: Self.orthologs)
        XCTAssertEqual(log.count, sent)
        XCTAssertEqual(again.requests, 0)
        XCTAssertEqual(again.genes, got.genes)
        XCTAssertEqual(again.unknown, ["Notagene1"])
        XCTAssertEqual(again.account[0], "fetched from NCBI: 0")
        XCTAssertEqual(again.account[1], "from the cache: 4 (Pomc, A3galt2, 0610009B22Rik, Gapdh)")
        try again.writeTSV(path: dir + "/again.tsv")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/again.tsv")), try Data(contentsOf: URL(fileURLWithPath: out)))

        XCTAssertThrowsError(try client.fetch(queries: [" ", ""], species: .mouse)) {
            XCTAssertTrue("\($0)".contains("no gene symbols or Entrez ids"), "\($0)")
        }
        try "# nothing\n\n".write(toFile: dir + "/empty.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try NCBIGeneClient.queries(fromFile: dir + "/empty.txt")) {
            XCTAssertTrue("\($0)".contains("empty.txt") && "\($0)".contains("one per line"), "\($0)")
        }
    }
}
