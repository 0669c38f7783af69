import Foundation
import LexicellCore

public enum Species: String, CaseIterable, Codable, Sendable {
    case human, mouse
}

/// A set of housekeeping gene symbols, removed from the second ("filtered") view of a cell.
public struct HousekeepingSet: Sendable {
    public var name: String
    public var symbols: Set<String>

    public init(name: String, symbols: Set<String>) {
        self.name = name
        self.symbols = symbols
    }

    /// Eisenberg & Levanon 2013 (`hk_eisenberg_levanon_2013_human_3804.tsv`): current human symbols, or their
    /// HCOP mouse orthologs (column `mouse_orthologs_hcop`, several separated by `;` or `,`).
    public static func eisenbergLevanon(path: String, species: Species) throws -> HousekeepingSet {
        let table = try Table.read(path, delimiter: 0x09)
        let column = species == .human ? "symbol_current" : "mouse_orthologs_hcop"
        let c = try table.column(column)
        // 19 genes have no current symbol: keep their 2013 symbol for human.
        let old = species == .human ? try table.column("symbol_2013") : c
        var set = Set<String>()
        for row in table.rows {
            for s in (row[c].isEmpty ? row[old] : row[c]).split(whereSeparator: { $0 == ";" || $0 == "," || $0 == "|" }) {
                let t = s.trimmingCharacters(in: .whitespaces)
                if !t.isEmpty && t != "NA" { set.insert(t) }
            }
        }
        return HousekeepingSet(name: "Eisenberg & Levanon 2013 (\(species.rawValue))", symbols: set)
    }

    /// HRT Atlas v1.0 (`hk_hrtatlas_{human,mouse}_genes.csv`): `;`-separated, one row per transcript, gene
    /// symbol in column `Gene` (mouse file) or `Gene.name` (human file).
    public static func hrtAtlas(path: String, species: Species) throws -> HousekeepingSet {
        let table = try Table.read(path, delimiter: 0x3B)
        let c = try table.header.contains("Gene.name") ? table.column("Gene.name") : table.column("Gene")
        let set = Set(table.rows.map { $0[c] }.filter { !$0.isEmpty })
        return HousekeepingSet(name: "HRT Atlas v1.0 (\(species.rawValue))", symbols: set)
    }

    /// A plain list: one symbol per line, or the first column of a delimited file with a header.
    public static func list(path: String) throws -> HousekeepingSet {
        let bytes = try FileData.read(path)
        let lines = LineSplitter(bytes).strings().filter { !$0.isEmpty }
        let symbols = lines.map { String($0.split(whereSeparator: { $0 == "\t" || $0 == "," || $0 == ";" }).first ?? "") }
        return HousekeepingSet(name: (path as NSString).lastPathComponent, symbols: Set(symbols.filter { !$0.isEmpty }))
    }
}

/// A small delimited table with a header, read whole (for metadata-sized files).
public struct Table: Sendable {
    public var file: String
    public var header: [String]
    public var rows: [[String]]

    public static func read(_ path: String, delimiter: UInt8? = nil) throws -> Table {
        let bytes = try FileData.read(path)
        let lines = LineSplitter(bytes).makeIterator()
        guard let first = lines.next() else { throw LexicellError("empty file", file: path) }
        let delim = delimiter ?? Table.guessDelimiter(bytes[first.range])
        let header = FieldSplitter.strings(bytes, first.range, delimiter: delim)
        var rows = [[String]]()
        while let line = lines.next() {
            if line.range.isEmpty { continue }
            let f = FieldSplitter.strings(bytes, line.range, delimiter: delim)
            guard f.count == header.count else {
                throw LexicellError("expected \(header.count) fields as in the header, found \(f.count)", file: path, line: line.number)
            }
            rows.append(f)
        }
        return Table(file: path, header: header, rows: rows)
    }

    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw LexicellError("no column '\(name)' (columns: \(header.prefix(12).joined(separator: ", ")))", file: file, line: 1)
        }
        return i
    }

    /// Tab if the line has a tab, else `;` if it has more of those than commas, else comma.
    public static func guessDelimiter(_ line: ArraySlice<UInt8>) -> UInt8 {
        if line.contains(0x09) { return 0x09 }
        let semis = line.filter { $0 == 0x3B }.count, commas = line.filter { $0 == 0x2C }.count
        return semis > commas ? 0x3B : 0x2C
    }
}

extension Species {
    /// The species a list of gene symbols most likely comes from: mouse symbols are capitalised (Gad1), human
    /// ones upper case (GAD1). Nil for an empty list.
    public static func guess(fromSymbols symbols: [String]) -> Species? {
        guard !symbols.isEmpty else { return nil }
        let lower = symbols.filter { $0.contains(where: \.isLowercase) }.count
        return lower * 2 > symbols.count ? .mouse : .human
    }
}
