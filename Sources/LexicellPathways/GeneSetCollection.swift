import Foundation
import LexicellCore

/// One gene set as written in a GMT file: an id, a description and its member symbols.
public struct GeneSet: Equatable, Sendable {
    /// Column 1, unique within a collection (e.g. `GO:0050853`, `HALLMARK_APOPTOSIS`).
    public var id: String
    /// Column 2 (a name or a URL; may be empty).
    public var name: String
    /// Member symbols in file order, without duplicates.
    public var genes: [String]

    public init(id: String, name: String, genes: [String]) {
        self.id = id
        self.name = name
        self.genes = genes
    }
}

/// A collection of gene sets read from a GMT file (`id<TAB>description<TAB>gene…` per line).
///
/// Postconditions of the readers: every set has a non-empty id, at least one gene and an id not used by
/// another set; genes inside a set are unique (repeats in the file are dropped and counted in
/// `repeatedGenes`). Blank lines and lines starting with `#` are skipped; a trailing `\r` is ignored.
public struct GeneSetCollection: Sendable {
    /// A short name for reports (the file name without `.gmt[.gz]` unless given).
    public var name: String
    public var sets: [GeneSet]
    /// How many repeated genes inside a set the reader dropped.
    public var repeatedGenes: Int

    public init(name: String, sets: [GeneSet], repeatedGenes: Int = 0) {
        self.name = name
        self.sets = sets
        self.repeatedGenes = repeatedGenes
    }

    /// Reads a `.gmt` or `.gmt.gz` file (gzip is detected from the bytes). Errors name the file and line
    /// and say what was expected.
    public static func read(path: String, name: String? = nil) throws -> GeneSetCollection {
        let bytes = try FileData.read(path)
        var base = (path as NSString).lastPathComponent
        for suffix in [".gz", ".gmt"] where base.lowercased().hasSuffix(suffix) { base.removeLast(suffix.count) }
        return try parse(bytes, source: path, name: name ?? base)
    }

    /// Parses GMT text. `source` names the input in errors.
    public static func parse(_ bytes: [UInt8], source: String, name: String) throws -> GeneSetCollection {
        var sets = [GeneSet]()
        var firstLine = [String: Int]()
        var repeated = 0
        var lineNumber = 0
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            defer { start = end + 1 }
            if stop == start || bytes[start] == 0x23 { continue }  // blank or '#'
            guard let text = String(bytes: bytes[start..<stop], encoding: .utf8) else {
                throw LexicellError("line is not UTF-8 text", file: source, line: lineNumber)
            }
            let fields = text.split(separator: "\t", omittingEmptySubsequences: false)
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard fields.count >= 3 else {
                throw LexicellError(
                    "expected id<TAB>description<TAB>gene…, found \(fields.count) tab-separated field(s)"
                        + (text.contains(" ") && fields.count == 1 ? " (spaces are not separators in GMT)" : ""),
                    file: source, line: lineNumber)
            }
            let id = fields[0].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else {
                throw LexicellError("empty set name in column 1 (expected a set id such as GO:0050853)", file: source, line: lineNumber)
            }
            if let first = firstLine[id] {
                throw LexicellError("duplicate set id '\(id)' (first on line \(first)); ids must be unique", file: source, line: lineNumber)
            }
            var seen = Set<String>()
            var genes = [String]()
            for f in fields.dropFirst(2) {
                let g = f.trimmingCharacters(in: .whitespaces)
                if g.isEmpty { continue }
                if seen.insert(g).inserted { genes.append(g) } else { repeated += 1 }
            }
            guard !genes.isEmpty else {
                throw LexicellError(
                    "set '\(id)' has no genes (expected at least one symbol after the description)",
                    file: source, line: lineNumber)
            }
            firstLine[id] = lineNumber
            sets.append(GeneSet(id: id, name: String(fields[1]), genes: genes))
        }
        guard !sets.isEmpty else { throw LexicellError("no gene sets found (expected GMT lines id<TAB>description<TAB>gene…)", file: source) }
        return GeneSetCollection(name: name, sets: sets, repeatedGenes: repeated)
    }

    /// Matches the sets to a dataset's genes.
    ///
    /// - Parameters:
    ///   - genes: the dataset's gene names (the universe's index space).
    ///   - symbol: maps a dataset gene name to the collection's symbol, or nil when it has none (default:
    ///     the name itself). Mapping aliases, case or species is the caller's job.
    ///   - minSize / maxSize: bounds on the matched size; sets outside them are listed in `dropped`.
    /// - Returns: the kept sets as sorted, unique dataset gene indices, the dropped sets with their reason,
    ///   and coverage counts. When two dataset genes map to one symbol, the first is used and the number of
    ///   such collisions is reported. A set with no matched gene is never kept as an empty set.
    public func matched(
        to genes: [String], symbol: (String) -> String? = { $0 },
        minSize: Int = 1, maxSize: Int = .max
    ) -> MatchedGeneSets {
        var index = [String: Int32]()
        var collisions = 0
        for (i, g) in genes.enumerated() {
            guard let s = symbol(g) else { continue }
            if index[s] == nil { index[s] = Int32(i) } else { collisions += 1 }
        }
        var kept = [MatchedGeneSet](), dropped = [DroppedGeneSet]()
        var allSymbols = Set<String>(), matchedSymbols = Set<String>()
        for set in sets {
            var members = [Int32]()
            members.reserveCapacity(set.genes.count)
            for g in set.genes {
                allSymbols.insert(g)
                if let i = index[g] { members.append(i); matchedSymbols.insert(g) }
            }
            members.sort()
            var unique = [Int32]()
            unique.reserveCapacity(members.count)
            for m in members where unique.last != m { unique.append(m) }
            if unique.isEmpty || unique.count < max(minSize, 1) || unique.count > maxSize {
                let reason =
                    unique.isEmpty ? "no gene matched" : (unique.count < minSize ? "fewer than \(minSize) genes matched" : "more than \(maxSize) genes matched")
                dropped.append(DroppedGeneSet(id: set.id, name: set.name, size: set.genes.count, matched: unique.count, reason: reason))
            } else {
                kept.append(MatchedGeneSet(id: set.id, name: set.name, size: set.genes.count, genes: unique))
            }
        }
        return MatchedGeneSets(
            collection: name, universe: genes, sets: kept, dropped: dropped,
            setsInCollection: sets.count, genesInCollection: allSymbols.count,
            genesMatched: matchedSymbols.count, symbolCollisions: collisions)
    }
}

/// A gene set expressed as indices into a dataset's genes.
public struct MatchedGeneSet: Equatable, Sendable {
    public var id: String
    public var name: String
    /// Size in the GMT file.
    public var size: Int
    /// Sorted, unique gene indices into `MatchedGeneSets.universe`; never empty.
    public var genes: [Int32]

    public init(id: String, name: String, size: Int, genes: [Int32]) {
        self.id = id
        self.name = name
        self.size = size
        self.genes = genes
    }
}

/// A set left out by matching, and why.
public struct DroppedGeneSet: Equatable, Sendable {
    public var id: String
    public var name: String
    public var size: Int
    public var matched: Int
    public var reason: String
}

/// The result of `GeneSetCollection.matched(to:)`: kept sets, dropped sets and coverage.
public struct MatchedGeneSets: Sendable {
    public var collection: String
    /// The dataset's gene names; set members index into this.
    public var universe: [String]
    public var sets: [MatchedGeneSet]
    public var dropped: [DroppedGeneSet]
    public var setsInCollection: Int
    /// Distinct symbols in the collection, and how many of them matched a dataset gene.
    public var genesInCollection: Int
    public var genesMatched: Int
    /// Dataset genes whose symbol was already taken by an earlier gene.
    public var symbolCollisions: Int

    /// One line for logs, e.g. `go_bp_human: 412 of 6482 sets kept, 9120 of 16041 genes matched`.
    public var coverageSummary: String {
        "\(collection): \(sets.count) of \(setsInCollection) sets kept, \(genesMatched) of \(genesInCollection) genes matched"
            + (symbolCollisions > 0 ? ", \(symbolCollisions) dataset genes shared a symbol" : "")
    }
}
