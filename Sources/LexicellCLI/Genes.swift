import ArgumentParser
import Foundation
import Lexicell
import LexicellRemote

struct Genes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Gene texts from NCBI Gene.",
        subcommands: [Fetch.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch gene summaries from NCBI Gene (E-utilities) into a TSV laid out like the bundled ones.",
            discussion: """
                Symbols and Entrez ids (digits only) may be mixed. Requests go at most 3 per second, or 10 with an API key \
                in NCBI_API_KEY (sent in the request body, never shown). Answers are cached with their fetch date, so a \
                second run sends nothing. Mouse genes without a summary take their human ortholog's (HCOP), as in the \
                bundled mouse file. The output is written atomically (gzipped when it ends in .gz); use it with \
                --gene-texts. LEXICELL_NCBI_BASE_URL or --eutils-url points at another E-utilities server.
                """)

        @Argument(help: "Gene symbols or Entrez ids.") var queries: [String] = []
        @Option(help: "File with one symbol or id per line (first field; # comments and a header line are skipped).")
        var fromFile: String?
        @Option(help: "Species of the genes: human or mouse.") var species: String
        @Option(help: "Output TSV (.tsv or .tsv.gz).") var out: String
        @Option(help: "Cache of NCBI answers (default: ncbi_gene_cache.tsv beside the models).") var cache: String?
        @Flag(help: "Keep no cache: fetch everything.") var noCache = false
        @Option(help: "Fetch cached answers older than this many days again.") var maxAgeDays: Double?
        @Flag(inversion: .prefixedNo, help: "For mouse genes without a summary, use the human ortholog's.")
        var orthologFallback = true
        @Option(help: "E-utilities base URL (default: $LEXICELL_NCBI_BASE_URL, else NCBI's).") var eutilsURL: String?
        @Option(help: "Contact e-mail sent with the requests, as NCBI asks (default: $NCBI_EMAIL).") var email: String?

        func validate() throws {
            guard NCBISpecies(rawValue: species) != nil else { throw ValidationError("--species must be human or mouse") }
            guard !queries.isEmpty || fromFile != nil else { throw ValidationError("give gene symbols or ids, or --from-file FILE") }
            if let d = maxAgeDays, !(d >= 0) { throw ValidationError("--max-age-days must be 0 or more") }
        }

        func run() throws {
            let env = ProcessInfo.processInfo.environment
            let sp = NCBISpecies(rawValue: species)!
            let listed = try fromFile.map(NCBIGeneClient.queries(fromFile:)) ?? []
            let asked = queries + listed
            var options = NCBIGeneOptions()
            if let url = eutilsURL ?? env["LEXICELL_NCBI_BASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) { options.baseURL = url }
            options.email = email ?? env["NCBI_EMAIL"].flatMap { $0.isEmpty ? nil : $0 }
            options.maxCacheAge = maxAgeDays.map { $0 * 86_400 }
            let cachePath = noCache ? nil : cache ?? ModelStore().directory.appendingPathComponent("ncbi_gene_cache.tsv").path
            let client = try NCBIGeneClient(options: options, cachePath: cachePath, log: logLine)
            let orthologs =
                sp == .mouse && orthologFallback
                ? try OrthologMap.loadHCOP(path: BundledData.path("genes/hcop_human_mouse_orthologs_15col.txt.gz")) : nil
            let got = try client.fetch(queries: asked, species: sp, orthologs: orthologs)
            try got.writeTSV(path: out)
            let written = got.genes.filter { !$0.summary.isEmpty }.count
            print(
                "NCBI Gene (\(sp.rawValue)): \(asked.count) asked, \(got.genes.count) genes found, \(got.requests) requests"
                    + (cachePath.map { ", cache \($0)" } ?? ", no cache"))
            for line in got.account { print("  " + line) }
            print("wrote \(written) genes with a text to \(out)")
            if written == 0 { logLine("warning: no gene had a text; \(out) holds only the header") }
        }
    }
}
