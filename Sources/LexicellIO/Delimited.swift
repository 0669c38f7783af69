import Foundation
import LexicellCore

/// Dense expression tables in CSV/TSV (optionally gzipped), streamed row by row into sparse storage.
///
/// Layout: line 1 is a header of column names, optionally preceded by a corner field (`""`, `gene`, `cell`…);
/// every other line is a row name followed by one number per column.
///
/// Orientation `.auto` rule:
/// 1. a corner field naming the row axis decides: `gene`, `symbol`, `feature`… → genes × cells;
///    `cell`, `barcode`, `obs`… → cells × genes;
/// 2. otherwise the axis whose names look more like gene symbols (short, start with a letter, no long
///    ACGT run, no long digit run; Ensembl ids count as genes) holds the genes, when the share of
///    such names differs by at least 0.5 between rows and columns;
/// 3. otherwise it is an error asking for the orientation.
enum DelimitedReader {
    static func read(path: String, orientation: MatrixOrientation, delimiter given: UInt8?) throws -> ExpressionMatrix {
        var parser = DelimitedRowParser(path: path, delimiter: given)
        var rowNames = [String]()
        var indptr = [0]
        var indices = [Int32]()
        var values = [Float]()
        let reader = try LineReader(path: path)
        while let line = try reader.next() {
            guard let name = try parser.row(line, reader.lineNumber, indices: &indices, values: &values) else { continue }
            rowNames.append(name)
            indptr.append(values.count)
        }
        try parser.finish(rows: rowNames.count)
        let columnNames = parser.columnNames
        let fileMatrix = SparseMatrix(
            rows: rowNames.count, cols: columnNames.count, indptr: indptr,
            indices: indices, values: values)
        var resolved = orientation
        if resolved == .auto {
            resolved = try decideOrientation(corner: parser.corner, rowNames: rowNames, columnNames: columnNames, path: path)
        }
        if resolved == .genesByCells {
            return ExpressionMatrix(values: fileMatrix.transposed(), genes: rowNames, cells: columnNames)
        }
        return ExpressionMatrix(values: fileMatrix, genes: columnNames, cells: rowNames)
    }

    /// Whether the corner field alone says the rows are genes.
    static func cornerSaysGenes(_ corner: String?) -> Bool {
        geneCornerWords.contains((corner ?? "").lowercased().trimmingCharacters(in: .whitespaces))
    }

    /// Where the field starting at `from` ends (at a delimiter or the line end), honouring double quotes.
    @inline(__always)
    static func fieldEnd(_ p: UnsafeBufferPointer<UInt8>, from: Int, _ delimiter: UInt8) -> Int {
        var i = from
        var inQuotes = false
        while i < p.count {
            let c = p[i]
            if c == 0x22 { inQuotes.toggle() } else if c == delimiter && !inQuotes { break }
            i += 1
        }
        return i
    }

    static func fieldCount(_ p: UnsafeBufferPointer<UInt8>, _ delimiter: UInt8) -> Int {
        var fields = [Range<Int>]()
        FieldSplitter.split(p, 0..<p.count, delimiter: delimiter, into: &fields)
        return fields.count
    }

    /// Digits only (at most 18), or nil.
    @inline(__always)
    static func plainInteger(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard end > start, end - start <= 18 else { return nil }
        var v = 0
        for i in start..<end {
            let d = Int(p[i]) &- 48
            guard d >= 0 && d <= 9 else { return nil }
            v = v &* 10 &+ d
        }
        return v
    }

    /// A number written in double quotes, as some writers quote every field.
    static func quotedNumber(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double? {
        guard r.count >= 3, p[r.lowerBound] == 0x22, p[r.upperBound - 1] == 0x22 else { return nil }
        return NumberParser.double(p, (r.lowerBound + 1)..<(r.upperBound - 1))
    }

    /// Tab, comma or semicolon, whichever occurs most in the header outside quotes.
    static func detectDelimiter(_ line: UnsafeBufferPointer<UInt8>, path: String) throws -> UInt8 {
        var counts: [UInt8: Int] = [0x09: 0, 0x2C: 0, 0x3B: 0]
        var inQuotes = false
        for c in line {
            if c == 0x22 { inQuotes.toggle() } else if !inQuotes, counts[c] != nil { counts[c]! += 1 }
        }
        let best = counts.max { a, b in a.value < b.value || (a.value == b.value && a.key > b.key) }!
        guard best.value > 0 else {
            throw LexicellError("cannot detect the delimiter: the header line has no tab, comma or semicolon", file: path, line: 1)
        }
        return best.key
    }

    static let geneCornerWords: Set<String> = [
        "gene", "genes", "symbol", "symbols", "gene_symbol", "genesymbol",
        "gene_name", "genename", "gene_id", "geneid", "gene_ids", "feature",
        "features", "feature_name", "var", "var_names",
    ]
    static let cellCornerWords: Set<String> = [
        "cell", "cells", "barcode", "barcodes", "cell_id", "cellid",
        "cell_barcode", "cell_name", "obs", "obs_names", "sample", "samples",
    ]

    static func decideOrientation(
        corner: String?, rowNames: [String], columnNames: [String],
        path: String
    ) throws -> MatrixOrientation {
        let word = (corner ?? "").lowercased().trimmingCharacters(in: .whitespaces)
        if geneCornerWords.contains(word) { return .genesByCells }
        if cellCornerWords.contains(word) { return .cellsByGenes }
        let rowShare = geneLikeShare(rowNames), colShare = geneLikeShare(columnNames)
        if rowShare - colShare >= 0.5 { return .genesByCells }
        if colShare - rowShare >= 0.5 { return .cellsByGenes }
        throw LexicellError(
            "cannot tell whether rows are genes or cells (row names like \"\(rowNames[0])\", column names like \"\(columnNames.first ?? "")\"); give the orientation explicitly",
            file: path)
    }

    /// Share of (up to 2000 sampled) names that look like gene symbols or Ensembl gene ids.
    static func geneLikeShare(_ names: [String]) -> Double {
        guard !names.isEmpty else { return 0 }
        let step = max(1, names.count / 2000)
        var n = 0, hits = 0
        for i in stride(from: 0, to: names.count, by: step) {
            n += 1
            if looksLikeGene(names[i]) { hits += 1 }
        }
        return Double(hits) / Double(n)
    }

    static func looksLikeGene(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard !u.isEmpty else { return false }
        // Ensembl gene ids: ENSG…, ENSMUSG…
        if u.count > 4, name.hasPrefix("ENS"), let g = u.firstIndex(of: 0x47), g <= 6,
            u[(g + 1)...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 || $0 == 0x2E })
        {
            return true
        }
        guard u.count <= 24 else { return false }
        let first = u[0]
        guard (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A) else { return false }
        var acgtRun = 0, digitRun = 0
        for c in u {
            let isACGT = c == 0x41 || c == 0x43 || c == 0x47 || c == 0x54
            acgtRun = isACGT ? acgtRun + 1 : 0
            digitRun = (c >= 0x30 && c <= 0x39) ? digitRun + 1 : 0
            if acgtRun >= 10 || digitRun >= 7 { return false }
            let ok =
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == 0x2D || c == 0x2E || c == 0x5F || c == 0x40
            if !ok { return false }
        }
        return true
    }
}

/// The line parser of a delimited table: line 1 is the header, then each non-blank line a row (a name and one
/// number per column, each checked). The whole read and the block reader of `CellChunks` both feed it lines.
struct DelimitedRowParser {
    let path: String
    private let given: UInt8?
    private(set) var delimiter: UInt8 = 0
    private(set) var header = [String]()
    private(set) var columnNames = [String]()
    /// The header's first field when the rows have one more field than the header has names after it.
    private(set) var corner: String?
    private var expectedFields = -1
    private var fields = [Range<Int>]()

    init(path: String, delimiter: UInt8?) {
        self.path = path
        given = delimiter
    }

    /// Parses line `number`: a row appends its non-zero values (column, value) to `indices`/`values` and
    /// returns the row's name; the header (line 1, read once) and blank lines return nil.
    mutating func row(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, indices: inout [Int32], values: inout [Float]) throws -> String? {
        if number == 1 {
            if header.isEmpty { try parseHeader(line) }
            return nil
        }
        if line.isEmpty { return nil }
        if expectedFields < 0 { try firstRow(line, number) }
        // One pass over the bytes: no field list, values parsed in place.
        let n = line.count
        var i = DelimitedReader.fieldEnd(line, from: 0, delimiter)
        let name = FieldSplitter.string(line, 0..<i)
        var k = 0  // value column
        while i < n {
            i += 1  // the delimiter
            let start = i
            if i < n && line[i] == 0x22 {
                i = DelimitedReader.fieldEnd(line, from: i, delimiter)
            } else {
                while i < n && line[i] != delimiter { i += 1 }
            }
            guard k < expectedFields - 1 else {
                throw raggedRow(DelimitedReader.fieldCount(line, delimiter), number)
            }
            defer { k += 1 }
            // Most entries of count tables are a bare "0"; plain integers skip the float parser.
            if i - start == 1 && line[start] == 0x30 { continue }
            var v = 0.0
            if let x = DelimitedReader.plainInteger(line, start, i) {
                v = Double(x)
            } else if let x = NumberParser.double(line, start..<i) ?? DelimitedReader.quotedNumber(line, start..<i) {
                v = x
            } else {
                throw LexicellError(
                    "column \"\(columnNames[k])\" (field \(k + 2)): expected a number, found \"\(FieldSplitter.string(line, start..<i).prefix(40))\"",
                    file: path, line: number)
            }
            guard v.isFinite, Float(v).isFinite else {
                throw LexicellError(
                    "column \"\(columnNames[k])\" (field \(k + 2)): \"\(FieldSplitter.string(line, start..<i).prefix(40))\" is \(v.isNaN ? "NaN" : v.isFinite ? "beyond the Float32 range" : "infinite"); expected a finite number",
                    file: path, line: number)
            }
            if v != 0 {
                indices.append(Int32(k))
                values.append(Float(v))
            }
        }
        guard k == expectedFields - 1 else { throw raggedRow(k + 1, number) }
        return name
    }

    /// The checks that need the whole file: a header and at least one row.
    func finish(rows: Int) throws {
        guard !header.isEmpty else { throw LexicellError("empty file, expected a header line", file: path) }
        guard rows > 0 else { throw LexicellError("no data rows after the header", file: path) }
    }

    private mutating func parseHeader(_ line: UnsafeBufferPointer<UInt8>) throws {
        var all = Array(line)
        if all.starts(with: [0xEF, 0xBB, 0xBF]) { all.removeFirst(3) }  // UTF-8 byte order mark
        delimiter = try given ?? all.withUnsafeBufferPointer { try DelimitedReader.detectDelimiter($0, path: path) }
        header = FieldSplitter.strings(all, 0..<all.count, delimiter: delimiter)
    }

    /// The first row tells whether the header has a corner field.
    private mutating func firstRow(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws {
        FieldSplitter.split(line, 0..<line.count, delimiter: delimiter, into: &fields)
        // R's write.csv puts "" in the corner; some writers leave the corner out.
        if fields.count == header.count {
            corner = header[0]
            columnNames = Array(header.dropFirst())
        } else if fields.count == header.count + 1 {
            columnNames = header
        } else {
            throw LexicellError(
                "row has \(fields.count) fields but the header has \(header.count) names (expected \(header.count) or \(header.count + 1) fields)",
                file: path, line: number)
        }
        expectedFields = fields.count
        guard columnNames.count <= Int(Int32.max) else {
            throw LexicellError("header has \(columnNames.count) columns; at most \(Int32.max) are supported", file: path, line: 1)
        }
    }

    private func raggedRow(_ found: Int, _ line: Int) -> LexicellError {
        LexicellError(
            "ragged row: \(found) fields, expected \(expectedFields) (a name and \(expectedFields - 1) values, as in the header)",
            file: path, line: line)
    }
}
