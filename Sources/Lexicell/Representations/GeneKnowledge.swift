import Foundation
import LexicellCore
import LexicellGenes

/// Which housekeeping list defines the filtered view.
public enum HousekeepingSource: String, CaseIterable, Codable, Sendable {
    case eisenberg, hrt, none
}

/// The gene-level inputs of a run: texts, symbol resolution and the housekeeping set, for one species.
public struct GeneKnowledge: Sendable {
    public var species: Species
    public var texts: GeneTexts
    public var resolver: GeneSymbolResolver
    public var housekeeping: HousekeepingSet?

    /// Bundled defaults: mouse texts with human-ortholog fallback and the mouse alias table, or human RefSeq
    /// summaries; `textsPath` overrides the text file.
    public static func load(species: Species, textsPath: String? = nil, textColumn: String = "summary",
                            housekeeping: HousekeepingSource = .hrt, housekeepingPath: String? = nil) throws -> GeneKnowledge {
        let defaultTexts = species == .mouse ? "genes/mouse_gene_summaries_with_human_ortholog_fallback.tsv.gz"
            : "genes/refseq_summaries_human.tsv.gz"
        let texts = try GeneTexts.load(path: textsPath ?? BundledData.path(defaultTexts), textColumn: textColumn)
        let resolver = try resolver(species: species)
        var hk: HousekeepingSet?
        if let housekeepingPath {
            hk = try HousekeepingSet.list(path: housekeepingPath)
        } else {
            switch housekeeping {
            case .eisenberg:
                hk = try HousekeepingSet.eisenbergLevanon(path: BundledData.path("genes/hk_eisenberg_levanon_2013_human_3804.tsv"), species: species)
            case .hrt:
                hk = try HousekeepingSet.hrtAtlas(path: BundledData.path("genes/hk_hrtatlas_\(species.rawValue)_genes.csv"), species: species)
            case .none:
                hk = nil
            }
        }
        return GeneKnowledge(species: species, texts: texts, resolver: resolver, housekeeping: hk)
    }

    /// Symbol matching for a species: the bundled mouse alias table (old symbols, synonyms), or exact and unique
    /// case-insensitive matches for human.
    public static func resolver(species: Species) throws -> GeneSymbolResolver {
        species == .mouse ? try GeneSymbolResolver.loadAliases(path: BundledData.path("genes/mouse_gene_symbols_aliases.tsv.gz"))
            : GeneSymbolResolver()
    }

    /// Dataset gene indices that are housekeeping genes (after symbol resolution).
    public func housekeepingIndices(genes: [String]) -> Set<Int> {
        guard let hk = housekeeping else { return [] }
        let resolved = resolver.resolve(genes, against: hk.symbols)
        return Set(resolved.indices.filter { resolved[$0] != nil })
    }

    /// The text symbols that the dataset's genes resolve to, in dataset order (nil where no text).
    public func textSymbols(for genes: [String]) -> [String?] { resolver.resolve(genes, against: Set(texts.symbols)) }
}
