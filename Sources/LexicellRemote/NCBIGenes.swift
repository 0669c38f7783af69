import Foundation
import LexicellCore
import LexicellGenes

/// Species whose gene summaries can be fetched from NCBI Gene.
public enum NCBISpecies: String, Sendable, CaseIterable {
    case human, mouse
    public var taxID: Int { self == .human ? 9606 : 10090 }
}

/// One gene's text as written to the TSV: NCBI's Summary, or for a mouse gene without one its human
/// ortholog's (then `summarySource` is `human_ortholog:SYMBOL:ENTREZ`).
public struct NCBIGeneText: Sendable, Equatable {
    public var entrezID: String
    public var symbol: String
    public var geneName: String
    public var summary: String
    public var summarySource: String
    /// Day the text was fetched from NCBI (yyyy-MM-dd, UTC).
    public var fetched: String
}

/// Result of a fetch: texts in query order, plus what could not be resolved or has no text.
public struct NCBIGeneTexts: Sendable {
    public var species: NCBISpecies
    public var genes: [NCBIGeneText]
    /// Queries (symbols or ids) that NCBI Gene does not know for this species.
    public var unknown: [String]
    /// Genes found but without a summary (nor, for mouse, an ortholog's).
    public var withoutSummary: [String]
    /// Mouse genes whose text is their human ortholog's.
    public var orthologFallbacks: Int
    /// HTTP requests sent (retries included) and genes answered from the cache.
    public var requests: Int
    public var fromCache: Int
    /// Entrez ids of the genes (among `genes`) answered from the cache rather than fetched.
    public var cachedIDs: Set<String> = []

    /// Header of the written TSV: the bundled RefSeq summary files' six columns, then provenance.
    public static let header = [
        "entrez_id", "symbol", "gene_name", "review_status", "n_refseq_records", "summary",
        "summary_source", "fetched",
    ]

    /// Writes genes with a summary in the bundled files' layout (review_status and n_refseq_records are
    /// RefSeq fields that E-utilities' gene summaries do not carry: left empty). Gzipped when `path` ends in .gz.
    public func writeTSV(path: String) throws {
        var out = Self.header.joined(separator: "\t") + "\n"
        for g in genes where !g.summary.isEmpty {
            out +=
                [g.entrezID, g.symbol, g.geneName, "", "", g.summary, g.summarySource, g.fetched]
                .map(NCBIGeneClient.tsvField).joined(separator: "\t") + "\n"
        }
        let bytes = Array(out.utf8)
        try AtomicFile.write(Data(path.hasSuffix(".gz") ? FileData.gzip(bytes) : bytes), to: path)
    }

    /// The texts as `GeneTexts` (symbol → summary), for the embedding step.
    public var geneTexts: GeneTexts {
        let with = genes.filter { !$0.summary.isEmpty }
        return GeneTexts(symbols: with.map(\.symbol), texts: with.map(\.summary), source: "NCBI Gene (\(species.rawValue))")
    }

    /// A one-paragraph account for the CLI and reports.
    public var report: String {
        "NCBI Gene (\(species.rawValue)): \(genes.count) genes found, \(genes.filter { !$0.summary.isEmpty }.count) with a text"
            + (orthologFallbacks > 0 ? " (\(orthologFallbacks) from the human ortholog)" : "")
            + ", \(withoutSummary.count) without; \(unknown.count) unknown"
            + (unknown.isEmpty ? "" : " (\(unknown.prefix(10).joined(separator: ", "))\(unknown.count > 10 ? ", …" : ""))")
            + "; \(requests) requests, \(fromCache) from cache"
    }
}

/// Options of the E-utilities client.
public struct NCBIGeneOptions: Sendable {
    public var baseURL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
    /// Variable holding an NCBI API key (allows 10 instead of 3 requests per second; never shown).
    public var apiKeyVariable = "NCBI_API_KEY"
    /// Symbols OR-ed into one esearch term.
    public var symbolsPerSearch = 100
    /// Ids per esummary request.
    public var idsPerSummary = 200
    public var retry: RetryPolicy = {
        var r = RetryPolicy()
        r.requestTimeout = 60
        return r
    }()
    /// E-utilities asks callers to name their tool.
    public var tool = "lexicell"
    public var email: String?
    /// Cached entries older than this are fetched again (nil: never).
    public var maxCacheAge: TimeInterval?
    /// Overrides NCBI's limit (3/s without a key, 10/s with one); for tests only.
    public var requestsPerSecond: Double?

    public init() {}
}

/// Gene summaries from NCBI Gene through E-utilities: symbols → ids by esearch (`"SYM"[sym] AND txidN[orgn]
/// AND alive[prop]`, many symbols OR-ed per request), ids → name and Summary by esummary (batched, JSON).
/// Requests are serial and spaced to NCBI's limit; answers are kept in a TSV cache with their fetch date.
///
/// The synchronous methods block the calling thread (see `RemoteEmbedder` about not calling them from
/// Swift concurrency).
public final class NCBIGeneClient: @unchecked Sendable {
    public let options: NCBIGeneOptions
    public let cachePath: String?
    let http: RetryingHTTP
    private let key: APIKey?
    private let limiter: RateLimiter
    private var cache: [CacheKey: CacheEntry] = [:]
    private let today: String
    private let now: Date

    /// Opens (or starts) the cache at `cachePath`; nil keeps nothing between runs.
    public init(
        options: NCBIGeneOptions = NCBIGeneOptions(), cachePath: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        log: @escaping @Sendable (String) -> Void = logToStandardError
    ) throws {
        self.options = options
        self.cachePath = cachePath
        key = APIKey.fromEnvironment(options.apiKeyVariable, environment: environment)
        let rate = options.requestsPerSecond ?? (key == nil ? 3 : 10)
        // NCBI counts arrivals, which jitter around send times: keep a 10 % margin under its limit.
        let limiter = RateLimiter(interval: 1.1 / rate)
        self.limiter = limiter
        let host = URL(string: options.baseURL).flatMap { u in u.host.map { h in u.port.map { "\(h):\($0)" } ?? h } }
        guard let host else { throw LexicellError("NCBI base URL '\(options.baseURL)' is not a URL") }
        http = RetryingHTTP(
            policy: options.retry, key: key, serverName: host, log: log,
            beforeAttempt: { await limiter.wait() })
        now = Date()
        today = Self.day(now)
        if let cachePath { try loadCache(cachePath) }
    }

    /// HTTP requests sent so far, retries included.
    public var requestsSent: Int { http.attempts }

    /// Summaries for gene symbols of `species`. For mouse with `orthologs`, genes without a summary get their
    /// human ortholog's (fetched the same way), as in the bundled mouse file. Unknown symbols are reported,
    /// not fatal.
    public func fetch(symbols: [String], species: NCBISpecies, orthologs: OrthologMap? = nil) throws -> NCBIGeneTexts {
        try runBlocking { [self] in try await self.fetchAsync(symbols: symbols, species: species, orthologs: orthologs) }
    }

    /// Summaries for Entrez Gene ids (digits) of `species`.
    public func fetch(entrezIDs: [String], species: NCBISpecies, orthologs: OrthologMap? = nil) throws -> NCBIGeneTexts {
        try runBlocking { [self] in try await self.fetchAsync(entrezIDs: entrezIDs, species: species, orthologs: orthologs) }
    }

    public func fetchAsync(symbols: [String], species: NCBISpecies, orthologs: OrthologMap? = nil) async throws -> NCBIGeneTexts {
        let before = requestsSent
        var result = try await resolve(queries: dedupe(symbols), bySymbol: true, species: species)
        if species == .mouse, let orthologs { try await addOrthologTexts(&result, orthologs: orthologs) }
        result.requests = requestsSent - before
        return result
    }

    public func fetchAsync(entrezIDs: [String], species: NCBISpecies, orthologs: OrthologMap? = nil) async throws -> NCBIGeneTexts {
        let ids = dedupe(entrezIDs.map { $0.trimmingCharacters(in: .whitespaces) })
        if let bad = ids.first(where: { $0.isEmpty || !$0.allSatisfy(\.isASCII) || !$0.allSatisfy(\.isNumber) }) {
            throw LexicellError("'\(bad)' is not an Entrez Gene id (expected digits only)")
        }
        let before = requestsSent
        var result = try await resolve(queries: ids, bySymbol: false, species: species)
        if species == .mouse, let orthologs { try await addOrthologTexts(&result, orthologs: orthologs) }
        result.requests = requestsSent - before
        return result
    }

    // MARK: resolution

    private func dedupe(_ xs: [String]) -> [String] {
        var seen = Set<String>()
        return xs.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    private func resolve(queries: [String], bySymbol: Bool, species: NCBISpecies) async throws -> NCBIGeneTexts {
        let tax = species.taxID
        var fromCache = 0
        var cachedIDs = Set<String>()
        var found = [String: CacheEntry]()  // query → gene entry
        var unknown = Set<String>()
        var toSearch = [String]()
        for q in queries {
            let k = bySymbol ? CacheKey(tax: tax, symbol: q.lowercased()) : CacheKey(tax: tax, id: q)
            if let e = cache[k], fresh(e) {
                fromCache += 1
                if e.entrezID.isEmpty { unknown.insert(q) } else { found[q] = e; cachedIDs.insert(e.entrezID) }
            } else {
                toSearch.append(q)
            }
        }
        // Symbols → ids (esearch); ids are looked up directly.
        var ids = [String]()
        if bySymbol {
            for start in stride(from: 0, to: toSearch.count, by: max(1, options.symbolsPerSearch)) {
                let chunk = Array(toSearch[start..<min(start + options.symbolsPerSearch, toSearch.count)])
                ids += try await search(symbols: chunk, taxID: tax)
            }
        } else {
            ids = toSearch
        }
        var records = [GeneRecord]()
        var seenIDs = Set<String>()
        let uniqueIDs = ids.filter { seenIDs.insert($0).inserted }
        for start in stride(from: 0, to: uniqueIDs.count, by: max(1, options.idsPerSummary)) {
            let chunk = Array(uniqueIDs[start..<min(start + options.idsPerSummary, uniqueIDs.count)])
            let got = try await summaries(ids: chunk)
            records += got
            // Commit each batch to the cache file at once: an interrupted run keeps it.
            try remember(got.filter { $0.taxID == nil || $0.taxID == tax }.map { CacheEntry(tax: tax, record: $0, fetched: today) })
        }
        // Match answers to queries: by exact symbol first, then case-insensitively; ids by uid.
        let live = records.filter { $0.taxID == nil || $0.taxID == tax }
        var newlyUnknown = [CacheEntry]()
        for q in toSearch {
            let match: GeneRecord?
            if bySymbol {
                match =
                    live.filter { $0.symbol == q }.min(by: Self.byNumericID)
                    ?? live.filter { $0.symbol.lowercased() == q.lowercased() }.min(by: Self.byNumericID)
            } else {
                match = live.first { $0.uid == q }
            }
            if let match {
                found[q] = CacheEntry(tax: tax, record: match, fetched: today)
            } else {
                unknown.insert(q)
                newlyUnknown.append(
                    CacheEntry(
                        tax: tax, entrezID: "", symbol: bySymbol ? q : "", queryID: bySymbol ? "" : q,
                        geneName: "", summary: "", fetched: today))
            }
        }
        try remember(newlyUnknown)
        var genes = [NCBIGeneText]()
        var seenGene = Set<String>()
        for q in queries {
            guard let e = found[q], seenGene.insert(e.entrezID).inserted else { continue }
            genes.append(
                NCBIGeneText(
                    entrezID: e.entrezID, symbol: e.symbol, geneName: e.geneName, summary: e.summary,
                    summarySource: e.summary.isEmpty ? "" : "ncbi_gene", fetched: e.fetched))
        }
        return NCBIGeneTexts(
            species: species, genes: genes, unknown: queries.filter { unknown.contains($0) },
            withoutSummary: genes.filter { $0.summary.isEmpty }.map(\.symbol), orthologFallbacks: 0,
            requests: 0, fromCache: fromCache, cachedIDs: cachedIDs)
    }

    private static func byNumericID(_ a: GeneRecord, _ b: GeneRecord) -> Bool {
        (Int(a.uid) ?? .max, a.uid) < (Int(b.uid) ?? .max, b.uid)
    }

    private func addOrthologTexts(_ result: inout NCBIGeneTexts, orthologs: OrthologMap) async throws {
        let needing = result.genes.indices.filter { result.genes[$0].summary.isEmpty }
        let humans = needing.compactMap { orthologs.mouseToHuman[result.genes[$0].symbol] }
        guard !humans.isEmpty else { return }
        let human = try await resolve(queries: dedupe(humans), bySymbol: true, species: .human)
        result.fromCache += human.fromCache
        let bySymbol = Dictionary(human.genes.map { ($0.symbol, $0) }, uniquingKeysWith: { a, _ in a })
        for i in needing {
            guard let h = orthologs.mouseToHuman[result.genes[i].symbol], let g = bySymbol[h], !g.summary.isEmpty else { continue }
            result.genes[i].summary = g.summary
            result.genes[i].summarySource = "human_ortholog:\(g.symbol):\(g.entrezID)"
            result.orthologFallbacks += 1
        }
        result.withoutSummary = result.genes.filter { $0.summary.isEmpty }.map(\.symbol)
    }

    // MARK: E-utilities calls

    private func post(_ endpoint: String, _ params: [(String, String)]) async throws -> [String: Any] {
        var all = params + [("retmode", "json"), ("tool", options.tool)]
        if let email = options.email { all.append(("email", email)) }
        if let key { all.append(("api_key", key.value)) }
        // POST keeps long terms within limits and the key out of URLs.
        let form = all.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        var base = options.baseURL
        if !base.hasSuffix("/") { base += "/" }
        let url = base + endpoint
        let reply = try await http.send(what: "NCBI \(endpoint)") {
            HTTPRequest(url: url, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
        }
        let said = RetryingHTTP.errorSnippet(reply.body).map { ": \(http.scrub($0))" } ?? ""
        switch reply.status {
        case 200: break
        case 400 where key != nil && said.lowercased().contains("api key"):
            throw LexicellError("NCBI rejected the API key in \(options.apiKeyVariable) (HTTP 400\(said)); fix or unset \(options.apiKeyVariable)")
        case 401, 403:
            throw LexicellError("NCBI \(endpoint) refused access (HTTP \(reply.status)\(said)); check \(options.apiKeyVariable)")
        case 404:
            throw LexicellError("NCBI \(endpoint) not found at \(options.baseURL) (HTTP 404); check the E-utilities base URL")
        default:
            throw LexicellError("NCBI \(endpoint) answered HTTP \(reply.status)\(said)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any] else {
            let head = http.scrub(String(decoding: reply.body.prefix(120), as: UTF8.self))
            throw LexicellError("NCBI \(endpoint) sent a response that is not JSON (\(reply.body.count) bytes, starting \"\(head)\")")
        }
        if let e = obj["error"] as? String {
            throw LexicellError("NCBI \(endpoint) reported an error: \(http.scrub(e))")
        }
        return obj
    }

    private func search(symbols: [String], taxID: Int) async throws -> [String] {
        let terms = symbols.map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"[sym]" }.joined(separator: " OR ")
        let term = "(\(terms)) AND txid\(taxID)[orgn] AND alive[prop]"
        let obj = try await post("esearch.fcgi", [("db", "gene"), ("term", term), ("retmax", String(symbols.count * 5 + 20))])
        guard let result = obj["esearchresult"] as? [String: Any] else {
            throw LexicellError("NCBI esearch response has no \"esearchresult\" object")
        }
        if let err = result["ERROR"] as? String { throw LexicellError("NCBI esearch reported an error: \(http.scrub(err))") }
        guard let ids = result["idlist"] as? [String] else {
            throw LexicellError("NCBI esearch response has no \"idlist\" array")
        }
        return ids
    }

    private func summaries(ids: [String]) async throws -> [GeneRecord] {
        let obj = try await post("esummary.fcgi", [("db", "gene"), ("id", ids.joined(separator: ","))])
        guard let result = obj["result"] as? [String: Any] else {
            // E-utilities answers ids it cannot find with no "result" but an "esummaryresult" message.
            if obj["esummaryresult"] != nil { return [] }
            throw LexicellError("NCBI esummary response has no \"result\" object")
        }
        let uids = (result["uids"] as? [String]) ?? ids
        var out = [GeneRecord]()
        for uid in uids {
            guard let doc = result[uid] as? [String: Any], doc["error"] == nil else { continue }
            let status = (doc["status"] as? String) ?? ""
            let current = (doc["currentid"] as? String) ?? ""
            // Live records have empty status and currentid; replaced or withdrawn ones are skipped.
            guard status.isEmpty || status == "0", current.isEmpty || current == "0" || current == uid else { continue }
            let organism = doc["organism"] as? [String: Any]
            out.append(
                GeneRecord(
                    uid: uid, symbol: (doc["name"] as? String) ?? "",
                    name: (doc["description"] as? String) ?? "",
                    summary: ((doc["summary"] as? String) ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
                    taxID: organism?["taxid"] as? Int))
        }
        return out
    }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func tsvField(_ s: String) -> String {
        s.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\r\n", with: " ")
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    static func day(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: d)
    }

    // MARK: cache

    struct GeneRecord {
        var uid: String, symbol: String, name: String, summary: String, taxID: Int?
    }

    struct CacheKey: Hashable {
        var tax: Int, kind: UInt8, value: String
        init(tax: Int, symbol: String) { self.tax = tax; kind = 0; value = symbol }
        init(tax: Int, id: String) { self.tax = tax; kind = 1; value = id }
    }

    /// One cache row; `entrezID` empty marks a symbol (or `queryID`) that NCBI did not know on `fetched`.
    struct CacheEntry {
        var tax: Int, entrezID: String, symbol: String, queryID: String, geneName: String, summary: String, fetched: String
        init(tax: Int, entrezID: String, symbol: String, queryID: String, geneName: String, summary: String, fetched: String) {
            self.tax = tax; self.entrezID = entrezID; self.symbol = symbol; self.queryID = queryID
            self.geneName = geneName; self.summary = summary; self.fetched = fetched
        }
        init(tax: Int, record r: GeneRecord, fetched: String) {
            self.init(tax: tax, entrezID: r.uid, symbol: r.symbol, queryID: "", geneName: r.name, summary: r.summary, fetched: fetched)
        }
    }

    static let cacheMagic = "# lexicell NCBI gene cache v1"
    static let cacheHeader = "taxid\tentrez_id\tsymbol\tquery_id\tgene_name\tsummary\tfetched"

    private func fresh(_ e: CacheEntry) -> Bool {
        guard let maxAge = options.maxCacheAge else { return true }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        guard let d = f.date(from: e.fetched) else { return false }
        return now.timeIntervalSince(d) <= maxAge
    }

    private func index(_ e: CacheEntry) {
        if !e.entrezID.isEmpty {
            cache[CacheKey(tax: e.tax, id: e.entrezID)] = e
            if !e.symbol.isEmpty { cache[CacheKey(tax: e.tax, symbol: e.symbol.lowercased())] = e }
        } else if !e.queryID.isEmpty {
            cache[CacheKey(tax: e.tax, id: e.queryID)] = e
        } else if !e.symbol.isEmpty {
            cache[CacheKey(tax: e.tax, symbol: e.symbol.lowercased())] = e
        }
    }

    private func loadCache(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw LexicellError("cannot read the NCBI gene cache (\(error.localizedDescription))", file: path)
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        guard lines.next().map(String.init) == Self.cacheMagic, lines.next().map(String.init) == Self.cacheHeader else {
            throw LexicellError("not a Lexicell NCBI gene cache (expected first line '\(Self.cacheMagic)'); delete it or choose another path", file: path)
        }
        var number = 2
        while let line = lines.next() {
            number += 1
            if line.isEmpty { continue }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            // A line cut short by an interrupted write is dropped (it is fetched again).
            guard f.count == 7, let tax = Int(f[0]) else { continue }
            index(CacheEntry(tax: tax, entrezID: f[1], symbol: f[2], queryID: f[3], geneName: f[4], summary: f[5], fetched: f[6]))
        }
    }

    private func remember(_ entries: [CacheEntry]) throws {
        guard !entries.isEmpty else { return }
        for e in entries { index(e) }
        guard let cachePath else { return }
        var text = ""
        let fm = FileManager.default
        if !fm.fileExists(atPath: cachePath) {
            try? fm.createDirectory(at: URL(fileURLWithPath: cachePath).deletingLastPathComponent(), withIntermediateDirectories: true)
            text = Self.cacheMagic + "\n" + Self.cacheHeader + "\n"
            guard fm.createFile(atPath: cachePath, contents: nil) else {
                throw LexicellError("cannot create the NCBI gene cache", file: cachePath)
            }
        }
        for e in entries {
            text +=
                [String(e.tax), e.entrezID, e.symbol, e.queryID, e.geneName, e.summary, e.fetched].map(Self.tsvField)
                .joined(separator: "\t") + "\n"
        }
        guard let handle = FileHandle(forWritingAtPath: cachePath) else {
            throw LexicellError("cannot write the NCBI gene cache", file: cachePath)
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw LexicellError("cannot write the NCBI gene cache (\(error.localizedDescription))", file: cachePath)
        }
    }
}

/// Spaces calls at least `interval` seconds apart (NCBI's per-second limits).
actor RateLimiter {
    let interval: Double
    private var next = ContinuousClock.now

    init(interval: Double) { self.interval = interval }

    func wait() async {
        let now = ContinuousClock.now
        let slot = max(now, next)
        next = slot + .nanoseconds(Int64(interval * 1e9))
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}
