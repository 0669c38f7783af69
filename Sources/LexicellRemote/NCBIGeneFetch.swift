import Foundation
import LexicellCore
import LexicellGenes

/// What `lexicell genes fetch` runs: mixed symbols and ids in, one account of what happened out.
extension NCBIGeneClient {
    /// Genes named by symbol or by Entrez id (a query of digits only is an id), each returned once, in the
    /// order first asked for. Unknown queries are reported in `unknown`, not thrown.
    public func fetch(queries: [String], species: NCBISpecies, orthologs: OrthologMap? = nil) throws -> NCBIGeneTexts {
        let asked = queries.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !asked.isEmpty else { throw LexicellError("no gene symbols or Entrez ids to fetch") }
        let isID: (String) -> Bool = { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        let ids = asked.filter(isID), symbols = asked.filter { !isID($0) }
        var parts = [NCBIGeneTexts]()
        if !symbols.isEmpty { parts.append(try fetch(symbols: symbols, species: species, orthologs: orthologs)) }
        if !ids.isEmpty { parts.append(try fetch(entrezIDs: ids, species: species, orthologs: orthologs)) }

        // First query position of each key (symbols case-insensitively), to put genes back in asked order.
        var position = [String: Int]()
        for (i, q) in asked.enumerated() where position[isID(q) ? q : q.lowercased()] == nil {
            position[isID(q) ? q : q.lowercased()] = i
        }
        func rank(_ g: NCBIGeneText) -> Int {
            min(position[g.entrezID] ?? .max, position[g.symbol.lowercased()] ?? .max)
        }
        var seen = Set<String>()
        let genes = parts.flatMap(\.genes).filter { seen.insert($0.entrezID).inserted }
            .enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        let unknown = Set(parts.flatMap(\.unknown))
        return NCBIGeneTexts(
            species: species, genes: genes, unknown: asked.filter { unknown.contains($0) },
            withoutSummary: genes.filter { $0.summary.isEmpty }.map(\.symbol),
            orthologFallbacks: genes.filter { $0.summarySource.hasPrefix("human_ortholog:") }.count,
            requests: parts.map(\.requests).reduce(0, +), fromCache: parts.map(\.fromCache).reduce(0, +),
            cachedIDs: parts.reduce(into: Set<String>()) { $0.formUnion($1.cachedIDs) })
    }

    /// Gene symbols or ids listed in a file (gzipped or not): the first field (tab, comma or space separated) of
    /// each line. Blank lines, `#` comments and a header (first field `symbol`, `gene`, `entrez_id`, …) are skipped.
    public static func queries(fromFile path: String) throws -> [String] {
        let bytes = try FileData.read(path)
        let headerNames: Set<String> = ["symbol", "gene", "genes", "gene_symbol", "entrez_id", "entrez", "gene_id", "id"]
        var out = [String]()
        for line in LineSplitter(bytes) {
            let text = String(decoding: bytes[line.range], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            let first = String(text.split(whereSeparator: { $0 == "\t" || $0 == "," || $0 == " " }).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            if out.isEmpty && headerNames.contains(first.lowercased()) { continue }
            if !first.isEmpty { out.append(first) }
        }
        guard !out.isEmpty else { throw LexicellError("no gene symbols or Entrez ids (expected one per line)", file: path) }
        return out
    }
}

extension NCBIGeneTexts {
    /// What a fetch did, one line per outcome (the first dozen names of each), for the command line.
    public var account: [String] {
        func names(_ xs: [String]) -> String {
            xs.isEmpty ? "" : " (" + xs.prefix(12).joined(separator: ", ") + (xs.count > 12 ? ", … \(xs.count - 12) more" : "") + ")"
        }
        let fetched = genes.filter { !cachedIDs.contains($0.entrezID) }.map(\.symbol)
        let cached = genes.filter { cachedIDs.contains($0.entrezID) }.map(\.symbol)
        let filled = genes.filter { $0.summarySource.hasPrefix("human_ortholog:") }
            .map { "\($0.symbol) ← \($0.summarySource.split(separator: ":").dropFirst().first ?? "")" }
        return [
            "fetched from NCBI: \(fetched.count)\(names(fetched))",
            "from the cache: \(cached.count)\(names(cached))",
            "filled from the human ortholog: \(filled.count)\(names(filled))",
            "no summary, left out of the file: \(withoutSummary.count)\(names(withoutSummary))",
            "unknown to NCBI Gene (\(species.rawValue)): \(unknown.count)\(names(unknown))",
        ]
    }
}
