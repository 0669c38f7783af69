import Foundation
import LexicellCore
import LexicellGenes
import LexicellIO

/// One cell type of a marker file: its name, positive and negative marker genes, and a free-text description.
public struct MarkerType: Equatable, Sendable {
    public var name: String
    public var positive: [String]
    public var negative: [String]
    public var description: String
    /// 1-based line of the file that defined it (for messages).
    public var line: Int

    public init(name: String, positive: [String], negative: [String] = [], description: String = "", line: Int = 0) {
        self.name = name
        self.positive = positive
        self.negative = negative
        self.description = description
        self.line = line
    }
}

/// A marker file (docs/markers.md): a header `type,positive[,negative][,description]` (comma- or tab-separated;
/// the header's delimiter is the file's), one type per line, genes separated by `;`; `#` lines and blank lines
/// are skipped. Every error names the file, the line and the field.
public struct MarkerFile: Sendable {
    public var path: String
    public var types: [MarkerType]

    public static let columns = ["type", "positive", "negative", "description"]

    public init(path: String, types: [MarkerType]) {
        self.path = path
        self.types = types
    }

    public static func load(path: String) throws -> MarkerFile {
        let bytes: [UInt8]
        do { bytes = try FileData.read(path) } catch let e as LexicellError { throw e } catch {
            throw LexicellError("cannot read the marker file: \(error.localizedDescription)", file: path)
        }
        return try parse(bytes, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> MarkerFile { try parse(Array(text.utf8), path: path) }

    public static func parse(_ bytes: [UInt8], path: String) throws -> MarkerFile {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw LexicellError("not UTF-8 text", file: path) }
        let lines = LineSplitter(bytes).makeIterator()
        func isSkipped(_ r: Range<Int>) -> Bool {
            let s = String(decoding: bytes[r], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            return s.isEmpty || s.hasPrefix("#")
        }
        var headerLine: LineSplitter.Line?
        while let l = lines.next() {
            if !isSkipped(l.range) { headerLine = l; break }
        }
        guard let header = headerLine else {
            throw LexicellError("no header: expected a first line 'type,positive,negative,description' (negative and description optional)", file: path)
        }
        let delimiter: UInt8 = bytes[header.range].contains(0x09) ? 0x09 : 0x2C
        let names = FieldSplitter.strings(bytes, header.range, delimiter: delimiter).map { $0.lowercased() }
        for (i, n) in names.enumerated() where !columns.contains(n) {
            throw LexicellError(
                "header field \(i + 1) is '\(n)': expected the columns \(columns.joined(separator: ", ")) (negative and description optional)",
                file: path, line: header.number)
        }
        guard Set(names).count == names.count else { throw LexicellError("header names a column twice", file: path, line: header.number) }
        guard let typeCol = names.firstIndex(of: "type"), let posCol = names.firstIndex(of: "positive") else {
            throw LexicellError("header lacks 'type' or 'positive' (found \(names.joined(separator: ", ")))", file: path, line: header.number)
        }
        let negCol = names.firstIndex(of: "negative"), descCol = names.firstIndex(of: "description")
        var types = [MarkerType]()
        var seen = [String: Int]()
        while let l = lines.next() {
            if isSkipped(l.range) { continue }
            let quotes = bytes[l.range].filter { $0 == 0x22 }.count
            guard quotes % 2 == 0 else { throw LexicellError("unbalanced double quote", file: path, line: l.number) }
            let f = FieldSplitter.strings(bytes, l.range, delimiter: delimiter)
            guard f.count == names.count else {
                throw LexicellError(
                    "expected \(names.count) fields (\(names.joined(separator: ", "))), found \(f.count); quote a field that contains '\(delimiter == 0x09 ? "\\t" : ",")'",
                    file: path, line: l.number)
            }
            let name = f[typeCol].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw LexicellError("field 'type' is empty: expected a cell type name", file: path, line: l.number) }
            guard name != LabelTable.unassigned else {
                throw LexicellError("field 'type': '\(name)' is reserved for cells left unassigned", file: path, line: l.number)
            }
            if let first = seen[name] {
                throw LexicellError("field 'type': '\(name)' is already defined on line \(first)", file: path, line: l.number)
            }
            seen[name] = l.number
            let positive = try genes(f[posCol], field: "positive", type: name, path: path, line: l.number)
            guard !positive.isEmpty else {
                throw LexicellError(
                    "field 'positive' of '\(name)' is empty: expected at least one gene symbol (several separated by ';')", file: path, line: l.number)
            }
            let negative = try negCol.map { try genes(f[$0], field: "negative", type: name, path: path, line: l.number) } ?? []
            if let both = positive.first(where: { negative.contains($0) }) {
                throw LexicellError("'\(name)': \(both) is both a positive and a negative marker", file: path, line: l.number)
            }
            let description = descCol.map { f[$0].trimmingCharacters(in: .whitespaces) } ?? ""
            types.append(MarkerType(name: name, positive: positive, negative: negative, description: description, line: l.number))
        }
        guard !types.isEmpty else { throw LexicellError("no cell type after the header", file: path) }
        guard types.count >= 2 else { throw LexicellError("only one cell type ('\(types[0].name)'): zero-shot annotation needs at least two", file: path) }
        return MarkerFile(path: path, types: types)
    }

    /// The `;`-separated symbols of one field; blanks around a symbol are dropped, an empty item or a repeat is an error.
    static func genes(_ field: String, field name: String, type: String, path: String, line: Int) throws -> [String] {
        let trimmed = field.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return [] }
        var out = [String]()
        for item in trimmed.split(separator: ";", omittingEmptySubsequences: false) {
            let g = item.trimmingCharacters(in: .whitespaces)
            guard !g.isEmpty else {
                throw LexicellError("field '\(name)' of '\(type)' has an empty gene between ';' separators", file: path, line: line)
            }
            guard !g.contains(where: { $0.isWhitespace || $0 == "," }) else {
                throw LexicellError("field '\(name)' of '\(type)': '\(g)' is not a gene symbol (separate genes with ';')", file: path, line: line)
            }
            guard !out.contains(g) else { throw LexicellError("field '\(name)' of '\(type)' lists \(g) twice", file: path, line: line) }
            out.append(g)
        }
        return out
    }
}

/// A marker type's genes found in a dataset, after the symbol resolution the gene texts use.
public struct MatchedMarkerType: Sendable {
    public var type: MarkerType
    /// Dataset gene indices of the positive / negative markers present (sorted, distinct).
    public var positive: [Int]
    public var negative: [Int]
    /// Positive markers not found in the dataset.
    public var missingPositive: [String]
    public var missingNegative: [String]
    /// The gene-text symbols of the positive markers (nil where a marker has no text).
    public var positiveTextSymbols: [String?]
    /// No positive marker is in the data: the type is reported and left out of scoring.
    public var isAbsent: Bool { positive.isEmpty }
}

extension MarkerFile {
    /// Matches each type's markers to `genes`: a marker matches a dataset gene of the same name, or one that
    /// resolves to the same gene-text symbol (aliases, old symbols, case) through `knowledge`.
    public func matched(to genes: [String], knowledge: GeneKnowledge) -> [MatchedMarkerType] {
        let textSymbols = knowledge.textSymbols(for: genes)
        var byName = [String: Int](), bySymbol = [String: Int]()
        for (i, g) in genes.enumerated() where byName[g] == nil { byName[g] = i }
        for (i, s) in textSymbols.enumerated() { if let s, bySymbol[s] == nil { bySymbol[s] = i } }
        // Case-insensitive exact names, for markers without a text (unique matches only).
        var byLower = [String: Int?]()
        for (i, g) in genes.enumerated() {
            let l = g.lowercased()
            if let prev = byLower[l] { if prev != i { byLower[l] = .some(nil) } } else { byLower[l] = i }
        }
        func find(_ markers: [String]) -> (found: [Int], missing: [String], symbols: [String?]) {
            let symbols = knowledge.textSymbols(for: markers)
            var found = Set<Int>(), missing = [String]()
            for (m, s) in zip(markers, symbols) {
                if let i = byName[m] ?? s.flatMap({ bySymbol[$0] }) ?? byLower[m.lowercased()] ?? nil { found.insert(i) } else { missing.append(m) }
            }
            return (found.sorted(), missing, symbols)
        }
        return types.map { t in
            let p = find(t.positive), n = find(t.negative)
            return MatchedMarkerType(
                type: t, positive: p.found, negative: n.found, missingPositive: p.missing, missingNegative: n.missing,
                positiveTextSymbols: p.symbols)
        }
    }
}
