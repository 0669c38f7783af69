import Foundation
import LexicellCore
import LexicellGenes

/// The species of a run: named, or guessed from the symbols' case.
public enum SpeciesChoice: String, CaseIterable, Sendable {
    case auto, mouse, human

    /// The species; `auto` guesses from `genes` and says so in the log.
    public func resolve(genes: [String], log: (String) -> Void) throws -> Species {
        switch self {
        case .mouse: return .mouse
        case .human: return .human
        case .auto:
            guard let s = Species.guess(fromSymbols: genes) else {
                throw LexicellError("give --species mouse or human (no dataset to guess it from)")
            }
            log("species: \(s.rawValue) (from gene symbol case; override with --species)")
            return s
        }
    }
}

/// Which housekeeping genes the second (SupCon) view leaves out.
public enum HousekeepingChoice: Sendable, Equatable {
    case bundled(HousekeepingSource)
    /// A file with one symbol per line.
    case file(String)

    /// `hrt`, `eisenberg`, `none`, or a path.
    public init(_ text: String) {
        self = HousekeepingSource(rawValue: text).map { .bundled($0) } ?? .file(text)
    }
}

/// Gene texts, species and housekeeping genes, as the user named them.
public struct KnowledgeRequest: Sendable {
    public var species = SpeciesChoice.auto
    public var geneTexts: String?
    public var textColumn = "summary"
    public var housekeeping = HousekeepingChoice.bundled(.hrt)
    public init() {}

    public func load(genes: [String], log: (String) -> Void) throws -> GeneKnowledge {
        let sp = try species.resolve(genes: genes, log: log)
        let k: GeneKnowledge
        switch housekeeping {
        case .bundled(let source):
            k = try GeneKnowledge.load(species: sp, textsPath: geneTexts, textColumn: textColumn, housekeeping: source)
        case .file(let path):
            k = try GeneKnowledge.load(species: sp, textsPath: geneTexts, textColumn: textColumn, housekeeping: .none, housekeepingPath: path)
        }
        log(
            "gene texts: \(k.texts.count) genes from \((k.texts.source as NSString).lastPathComponent)"
                + (k.housekeeping.map { "; housekeeping: \($0.name), \($0.symbols.count) genes" } ?? "; no housekeeping filter"))
        return k
    }
}
