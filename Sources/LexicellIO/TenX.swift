import Foundation
import LexicellCore

/// 10x Genomics directories: `matrix.mtx` (MatrixMarket, genes × cells), `features.tsv` / `genes.tsv`,
/// `barcodes.tsv`, each optionally gzipped.
enum TenXReader {
    /// Finds the three files in `directory`, preferring v3 names, plain or `.gz`.
    static func files(in directory: String) throws -> (matrix: String, features: String, barcodes: String) {
        func find(_ names: [String], what: String) throws -> String {
            for name in names {
                for candidate in [name, name + ".gz"] {
                    let path = (directory as NSString).appendingPathComponent(candidate)
                    if FileManager.default.fileExists(atPath: path) { return path }
                }
            }
            throw LexicellError(
                "10x directory has no \(what) (looked for \(names.map { $0 + "[.gz]" }.joined(separator: ", ")))",
                file: directory)
        }
        return (
            try find(["matrix.mtx"], what: "matrix file"),
            try find(["features.tsv", "genes.tsv"], what: "features file"),
            try find(["barcodes.tsv"], what: "barcodes file")
        )
    }

    /// Gene names: the symbol (column 2) when the file has two or more columns (v2 `genes.tsv`,
    /// v3 `features.tsv`), else the single column.
    static func readFeatures(_ path: String) throws -> [String] {
        try readNameColumn(path, preferSecond: true, what: "feature")
    }

    static func readBarcodes(_ path: String) throws -> [String] {
        try readNameColumn(path, preferSecond: false, what: "barcode")
    }

    private static func readNameColumn(_ path: String, preferSecond: Bool, what: String) throws -> [String] {
        let bytes = try FileData.read(path)
        var names = [String]()
        var columns = -1
        try bytes.withUnsafeBufferPointer { p in
            var fields = [Range<Int>]()
            var emptyLine: Int?
            for line in LineSplitter(bytes) {
                // Trailing empty lines are tolerated; an empty line followed by names is not.
                if line.range.isEmpty { emptyLine = emptyLine ?? line.number; continue }
                if let emptyLine {
                    throw LexicellError("empty line, expected a \(what) name", file: path, line: emptyLine)
                }
                FieldSplitter.split(p, line.range, delimiter: 0x09, into: &fields)
                if columns < 0 { columns = fields.count }
                guard fields.count == columns else {
                    throw LexicellError(
                        "expected \(columns) tab-separated fields like line 1, found \(fields.count)",
                        file: path, line: line.number)
                }
                let field = preferSecond && fields.count >= 2 ? fields[1] : fields[0]
                names.append(FieldSplitter.string(p, field))
            }
        }
        return names
    }

    /// Reads a MatrixMarket genes × cells file into cells × genes CSR.
    static func readMatrix(matrix path: String, features: String, barcodes: String, cellsFile: String? = nil) throws -> ExpressionMatrix {
        let genes = try readFeatures(features)
        let cells = try readBarcodes(barcodes)
        let kept = try cellsFile.map { try CellSelection.rows(of: cells, listedIn: $0) }
        return try readMatrix(matrix: path, features: features, barcodes: barcodes, genes: genes, cells: cells, kept: kept)
    }

    /// The whole read once the names are known; `kept`: the file columns of the `--cells-file` cells.
    static func readMatrix(
        matrix path: String, features: String, barcodes: String, genes: [String], cells: [String], kept: [Int]?
    ) throws -> ExpressionMatrix {
        // --cells-file: the other cells' entries are never stored.
        var keep: [Bool]?
        if let kept {
            keep = [Bool](repeating: false, count: cells.count)
            for r in kept { keep![r] = true }
        }
        let m = try MatrixMarket.read(path, keepColumns: keep)
        try checkSizes(rows: m.rows, cols: m.cols, matrix: path, features: features, genes: genes.count, barcodes: barcodes, cells: cells.count)
        let all = ExpressionMatrix(values: m.transposedCSR(), genes: genes, cells: cells)
        return kept.map { all.selectingCells($0) } ?? all
    }

    /// The matrix's size line against the lines of the features and barcodes files.
    static func checkSizes(rows: Int, cols: Int, matrix path: String, features: String, genes: Int, barcodes: String, cells: Int) throws {
        guard rows == genes else {
            throw LexicellError(
                "matrix has \(rows) rows (genes) but \((features as NSString).lastPathComponent) has \(genes) lines",
                file: path)
        }
        guard cols == cells else {
            throw LexicellError(
                "matrix has \(cols) columns (cells) but \((barcodes as NSString).lastPathComponent) has \(cells) lines",
                file: path)
        }
    }
}

/// A MatrixMarket `coordinate` file as triplets (0-based).
struct MatrixMarket {
    var rows: Int
    var cols: Int
    var rowIndex: [Int32]
    var colIndex: [Int32]
    var values: [Float]

    /// Parses bytes directly (no per-line String); `pattern` entries are ones. With `keepColumns`, entries of
    /// other columns are checked and counted but not stored (`--cells-file` applied while reading).
    static func read(_ path: String, keepColumns: [Bool]? = nil) throws -> MatrixMarket {
        var parser = try MatrixMarketParser(path: path)
        var m = MatrixMarket(rows: 0, cols: 0, rowIndex: [], colIndex: [], values: [])
        let reader = try LineReader(path: path)
        var sized = false
        while let line = try reader.next() {
            guard let e = try parser.entry(line, reader.lineNumber) else {
                if parser.hasSize && !sized {
                    sized = true
                    m.rows = parser.rows; m.cols = parser.cols
                    // The declared count is only a hint for capacity (bounded by the file size); a lying header is caught.
                    let hint = keepColumns == nil ? min(parser.declared, 1 << 26) : 0
                    m.rowIndex.reserveCapacity(hint); m.colIndex.reserveCapacity(hint); m.values.reserveCapacity(hint)
                }
                continue
            }
            if let keepColumns, keepColumns.count == m.cols, !keepColumns[Int(e.col)] { continue }
            m.rowIndex.append(e.row); m.colIndex.append(e.col); m.values.append(e.value)
        }
        try parser.finish(lastLine: reader.lineNumber)
        (m.rows, m.cols) = (parser.rows, parser.cols)
        return m
    }

    /// Three unsigned decimal integers separated by single spaces, or nil (then the general parser decides).
    @inline(__always)
    static func integerTriple(_ p: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        var i = 0
        let n = p.count
        var out = (0, 0, 0)
        for field in 0..<3 {
            let start = i
            var v = 0
            while i < n {
                let d = Int(p[i]) &- 48
                if d < 0 || d > 9 { break }
                v = v &* 10 &+ d
                i += 1
            }
            guard i > start, i - start <= 18 else { return nil }
            switch field {
            case 0: out.0 = v
            case 1: out.1 = v
            default: out.2 = v
            }
            if field < 2 {
                guard i < n, p[i] == 0x20 else { return nil }
                i += 1
            }
        }
        return i == n ? out : nil
    }

    /// The transpose as CSR (columns of the file become rows): cells × genes for a 10x matrix.
    func transposedCSR() -> SparseMatrix {
        SparseMatrix(rows: cols, cols: rows, rowIndex: colIndex, colIndex: rowIndex, values: values)
    }
}

/// The line parser of a MatrixMarket `coordinate` file: the header, then the size line, then one entry a line,
/// each checked (sizes against the file, entries against the sizes, finite values). Both the whole read and
/// the block reader of `CellChunks` feed it their lines.
struct MatrixMarketParser {
    let path: String
    private(set) var rows = 0
    private(set) var cols = 0
    private(set) var declared = 0
    /// Entries parsed so far.
    private(set) var seen = 0
    /// Whether the size line has been read.
    private(set) var hasSize = false
    private var hasHeader = false
    private var isPattern = false
    private var isInteger = false
    private let source: FileProbe

    init(path: String) throws {
        self.path = path
        source = try FileProbe(path)
    }

    /// The entry on line `number` as 0-based (row, column, value), or nil for the header, size, comment and
    /// blank lines.
    @inline(__always)
    mutating func entry(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws -> (row: Int32, col: Int32, value: Float)? {
        // Fast path for the usual "row col count" line of integers separated by single spaces.
        if isInteger, let (r, c, x) = MatrixMarket.integerTriple(line), r >= 1, r <= rows, c >= 1, c <= cols, seen < declared {
            seen += 1
            return (Int32(truncatingIfNeeded: r - 1), Int32(truncatingIfNeeded: c - 1), Float(x))
        }
        if !hasHeader {
            try parseHeader(line, number)
            return nil
        }
        if line.isEmpty || line[0] == 0x25 { return nil }  // blank or % comment
        if !hasSize {
            try parseSize(line, number)
            return nil
        }
        return try parseEntry(line, number)
    }

    /// The checks that need the whole file: a header, a size line, as many entries as declared.
    func finish(lastLine: Int) throws {
        guard hasHeader else { throw LexicellError("empty file, expected a MatrixMarket header", file: path) }
        guard hasSize else { throw LexicellError("no size line after the header", file: path, line: lastLine) }
        guard seen == declared else {
            throw LexicellError("header declares \(declared) entries but the file has \(seen)", file: path)
        }
    }

    private mutating func parseHeader(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws {
        let text = String(decoding: line, as: UTF8.self).lowercased()
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.count == 5, words[0] == "%%matrixmarket", words[1] == "matrix" else {
            throw LexicellError(
                "expected a MatrixMarket header \"%%MatrixMarket matrix coordinate <field> general\", found \"\(text.prefix(80))\"",
                file: path, line: number)
        }
        guard words[2] == "coordinate" else {
            throw LexicellError(
                "MatrixMarket format \"\(words[2])\" is not supported; expected \"coordinate\" (sparse)",
                file: path, line: number)
        }
        guard ["integer", "real", "double", "pattern"].contains(words[3]) else {
            throw LexicellError(
                "MatrixMarket field \"\(words[3])\" is not supported; expected integer, real or pattern",
                file: path, line: number)
        }
        guard words[4] == "general" else {
            throw LexicellError(
                "MatrixMarket symmetry \"\(words[4])\" is not supported; expected \"general\"",
                file: path, line: number)
        }
        hasHeader = true
        isPattern = words[3] == "pattern"
        isInteger = words[3] == "integer"
    }

    private mutating func parseSize(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws {
        var f = Fields(line)
        guard let r = f.nextInt(), let c = f.nextInt(), let n = f.nextInt(), f.atEnd, r >= 0, c >= 0, n >= 0 else {
            throw LexicellError(
                "expected the size line \"rows columns entries\" (3 non-negative integers, each below 2^63), found \"\(String(decoding: line.prefix(80), as: UTF8.self))\"",
                file: path, line: number)
        }
        guard r <= Int(Int32.max), c <= Int(Int32.max) else {
            throw LexicellError("size line: matrix of \(r) × \(c) is too large (at most \(Int32.max) per side)", file: path, line: number)
        }
        // Overflow-checked bounds on the declared entry count before anything is allocated.
        let (cells, o1) = r.multipliedReportingOverflow(by: c)
        if !o1 && n > cells {
            throw LexicellError(
                "size line: \(n) entries declared but a \(r) × \(c) matrix has only \(cells) positions",
                file: path, line: number)
        }
        let (bytesNeeded, o2) = n.multipliedReportingOverflow(by: 12)  // row, column and value per entry in memory
        let minLine = isPattern ? 4 : 6  // "1 1\n" / "1 1 1\n"
        let (textNeeded, o3) = n.multipliedReportingOverflow(by: minLine)
        if o2 || o3 || (!source.isGzip && textNeeded > source.size) || (source.isGzip && textNeeded / 1100 > source.size) {
            throw LexicellError(
                "size line: \(n) entries declared (\(o2 ? "more than 2^63" : "\(bytesNeeded)") bytes in memory) but the \(source.size)-byte file\(source.isGzip ? " (gzip)" : "") cannot hold that many \"row column\(isPattern ? "" : " value")\" lines",
                file: path, line: number)
        }
        (rows, cols, declared) = (r, c, n)
        hasSize = true
    }

    private mutating func parseEntry(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws -> (row: Int32, col: Int32, value: Float) {
        var f = Fields(line)
        var position = (0, 0)
        for (k, what) in ["row index (field 1)", "column index (field 2)"].enumerated() {
            guard let tok = f.nextToken() else {
                throw entryError(line, number, isPattern ? "2 integers \"row column\"" : "\"row column value\"")
            }
            guard let v = NumberParser.int(f.p, tok) else {
                let text = String(decoding: UnsafeBufferPointer(rebasing: f.p[tok]).prefix(40), as: UTF8.self)
                let allDigits = f.p[tok].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                throw LexicellError(
                    "\(what): expected an integer in 1...\(k == 0 ? rows : cols), found \"\(text)\"\(allDigits ? " (too large for a 64-bit integer)" : "")",
                    file: path, line: number)
            }
            if k == 0 { position.0 = v } else { position.1 = v }
        }
        let (r, c) = position
        var v: Float = 1
        if !isPattern {
            guard let tok = f.nextToken() else { throw entryError(line, number, "a numeric value in field 3") }
            let x: Double
            if isInteger, let i = NumberParser.int(f.p, tok) {
                x = Double(i)
            } else if let d = NumberParser.double(f.p, tok) {
                x = d
            } else {
                throw entryError(line, number, "a numeric value in field 3")
            }
            guard x.isFinite, Float(x).isFinite else {
                let text = String(decoding: UnsafeBufferPointer(rebasing: f.p[tok]).prefix(40), as: UTF8.self)
                throw LexicellError(
                    "value (field 3): \"\(text)\" is \(x.isNaN ? "NaN" : x.isFinite ? "beyond the Float32 range" : "infinite"); expected a finite number",
                    file: path, line: number)
            }
            v = Float(x)
        }
        guard f.atEnd else {
            throw entryError(line, number, isPattern ? "2 fields" : "3 fields \"row column value\"")
        }
        guard r >= 1 && r <= rows && c >= 1 && c <= cols else {
            throw LexicellError(
                "entry (\(r), \(c)) is outside the \(rows) × \(cols) size given in the header",
                file: path, line: number)
        }
        guard seen < declared else {
            throw LexicellError("more entries than the \(declared) given in the header", file: path, line: number)
        }
        seen += 1
        return (Int32(r - 1), Int32(c - 1), v)
    }

    private func entryError(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, _ expected: String) -> LexicellError {
        LexicellError("expected \(expected), found \"\(String(decoding: line.prefix(80), as: UTF8.self))\"", file: path, line: number)
    }
}

extension SparseMatrix {
    /// CSR with each row sorted by column, duplicates summed and explicit zeros dropped.
    /// Rows that are already sorted and duplicate-free cost one scan.
    static func canonical(rows: Int, cols: Int, indptr: [Int], indices: [Int32], values: [Float]) -> SparseMatrix {
        var idx = indices, val = values
        let outPtr = canonicalize(rows: rows, indptr: indptr, indices: &idx, values: &val)
        return SparseMatrix(rows: rows, cols: cols, indptr: outPtr, indices: idx, values: val)
    }

    /// `canonical` in place on arrays the caller owns (no second copy of a large matrix); returns the new indptr.
    static func canonicalize(rows: Int, indptr: [Int], indices idx: inout [Int32], values val: inout [Float]) -> [Int] {
        var outPtr = [Int](repeating: 0, count: rows + 1)
        var w = 0
        var pairs = [(Int32, Float)]()
        for r in 0..<rows {
            let lo = indptr[r], hi = indptr[r + 1]
            var sorted = true
            if hi - lo > 1 {
                for k in (lo + 1)..<hi where idx[k] <= idx[k - 1] { sorted = false; break }
            }
            if sorted {
                for k in lo..<hi where val[k] != 0 { idx[w] = idx[k]; val[w] = val[k]; w += 1 }
            } else {
                pairs.removeAll(keepingCapacity: true)
                for k in lo..<hi { pairs.append((idx[k], val[k])) }
                pairs.sort { $0.0 < $1.0 }
                var k = 0
                while k < pairs.count {
                    let c = pairs[k].0
                    var v: Float = 0
                    while k < pairs.count && pairs[k].0 == c { v += pairs[k].1; k += 1 }
                    if v != 0 { idx[w] = c; val[w] = v; w += 1 }
                }
            }
            outPtr[r + 1] = w
        }
        idx.removeSubrange(w...)
        val.removeSubrange(w...)
        return outPtr
    }
}

/// The size and gzip-ness of an input file, for bounding what a header may declare.
struct FileProbe {
    let size: Int
    let isGzip: Bool

    init(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LexicellError(FileManager.default.fileExists(atPath: path) ? "cannot read file (permissions?)" : "file not found", file: path)
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 2)) ?? Data()
        isGzip = head.count == 2 && head[head.startIndex] == 0x1f && head[head.startIndex + 1] == 0x8b
        size = Int((try? handle.seekToEnd()) ?? 0)
    }
}

/// Whitespace-separated numeric fields of one line, parsed in place.
struct Fields {
    let p: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

    private mutating func skipSpace() {
        while i < p.count && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
    }

    private mutating func token() -> Range<Int>? {
        skipSpace()
        let start = i
        while i < p.count && p[i] != 0x20 && p[i] != 0x09 { i += 1 }
        return start < i ? start..<i : nil
    }

    /// The next whitespace-separated token's byte range, or nil at the end of the line.
    mutating func nextToken() -> Range<Int>? { token() }

    mutating func nextInt() -> Int? {
        let save = i
        guard let r = token(), let v = NumberParser.int(p, r) else { i = save; return nil }
        return v
    }

    mutating func nextDouble() -> Double? {
        guard let r = token() else { return nil }
        return NumberParser.double(p, r)
    }

    var atEnd: Bool {
        mutating get { skipSpace(); return i >= p.count }
    }
}
