import Foundation
import LexicellCore

/// Cells (rows of the result) read from a text file in blocks, in file order. Each reader keeps its place
/// between blocks: a block at or after that place reads on; one before it starts the file over (a reopen,
/// gzip included), so passes in increasing order cost one read of the file each.
protocol CellBlockReader: AnyObject {
    /// Kept cells `range` (positions among the kept cells) as cells × genes CSR.
    func read(_ range: Range<Int>) throws -> SparseMatrix
}

/// A 10x MatrixMarket file (genes × cells) whose entries are sorted by cell, as Cell Ranger writes them: a
/// block of cells is a run of consecutive lines.
///
/// `open` reads the file once with the parser of the whole read, so every error a whole read gives comes at
/// opening, and checks the order; entries not sorted by cell make it return nil (the caller then reads the
/// matrix whole, as before: same values, memory growing with the cells).
final class TenXCellStream: CellBlockReader {
    let path: String
    private let genes: Int
    private let cells: Int
    private let declared: Int
    /// The file column of each kept cell, ascending (nil: every column).
    private let kept: [Int]?
    /// The kept position of each file column, -1 for a dropped one (nil: every column).
    private let position: [Int32]?
    private var reader: LineReader?
    private var parser: MatrixMarketParser
    /// Every entry of a column below this has been read past.
    private var column = 0
    /// The first entry past the last block (it belongs to a later cell).
    private var pending: (row: Int32, col: Int32, value: Float)?
    private var lastColumn: Int32 = 0
    private var atEnd = false
    /// Entries per file column, counted at opening: each block's arrays are allocated once, at their size.
    private let entries: [Int]
    private let lock = NSLock()

    private init(path: String, parser: MatrixMarketParser, kept: [Int]?, entries: [Int]) {
        self.path = path
        self.parser = parser
        self.entries = entries
        (genes, cells, declared) = (parser.rows, parser.cols, parser.declared)
        self.kept = kept
        if let kept {
            var p = [Int32](repeating: -1, count: parser.cols)
            for (i, c) in kept.enumerated() { p[c] = Int32(i) }
            position = p
        } else {
            position = nil
        }
    }

    /// Checks the whole file (and its sizes against the names files); nil when its entries are not sorted by cell.
    static func open(
        matrix path: String, features: String, genes: Int, barcodes: String, cells: Int, kept: [Int]?
    ) throws -> TenXCellStream? {
        var parser = try MatrixMarketParser(path: path)
        let reader = try LineReader(path: path)
        var last: Int32 = 0
        var entries = [Int]()
        while let line = try reader.next() {
            guard let e = try parser.entry(line, reader.lineNumber) else { continue }
            if e.col < last { return nil }
            last = e.col
            if entries.isEmpty { entries = [Int](repeating: 0, count: parser.cols) }
            entries[Int(e.col)] += 1
        }
        try parser.finish(lastLine: reader.lineNumber)
        try TenXReader.checkSizes(
            rows: parser.rows, cols: parser.cols, matrix: path, features: features, genes: genes, barcodes: barcodes, cells: cells)
        if entries.isEmpty { entries = [Int](repeating: 0, count: parser.cols) }
        return TenXCellStream(path: path, parser: parser, kept: kept, entries: entries)
    }

    func read(_ range: Range<Int>) throws -> SparseMatrix {
        lock.lock()
        defer { lock.unlock() }
        guard !range.isEmpty else { return SparseMatrix(rows: 0, cols: genes, indptr: [0], indices: [], values: []) }
        let first = kept?[range.lowerBound] ?? range.lowerBound
        let last = kept?[range.upperBound - 1] ?? range.upperBound - 1
        if reader == nil || first < column { try restart() }
        var size = 0
        for p in range { size += entries[kept?[p] ?? p] }
        // Entries come cell by cell: the block's CSR is filled in place, no triplets.
        var indptr = [Int](repeating: 0, count: range.count + 1)
        var indices = [Int32](), values = [Float]()
        indices.reserveCapacity(size)
        values.reserveCapacity(size)
        var open = 0  // the row being filled
        while let e = try nextEntry() {
            let c = Int(e.col)
            if c > last {
                pending = e
                break
            }
            guard c >= first else { continue }
            let p = position.map { Int($0[c]) } ?? c
            guard p >= 0 else { continue }
            let r = p - range.lowerBound
            if r > open {
                for k in (open + 1)...r { indptr[k] = indices.count }
                open = r
            }
            indices.append(e.row)
            values.append(e.value)
        }
        for k in (open + 1)...range.count { indptr[k] = indices.count }
        column = last + 1
        // Genes sorted within each cell, duplicates summed in file order, zeros dropped: as the whole read does.
        let ptr = SparseMatrix.canonicalize(rows: range.count, indptr: indptr, indices: &indices, values: &values)
        return SparseMatrix(rows: range.count, cols: genes, indptr: ptr, indices: indices, values: values)
    }

    /// Back to the first entry of the file.
    private func restart() throws {
        reader = nil
        let r = try LineReader(path: path)
        var p = try MatrixMarketParser(path: path)
        while !p.hasSize, let line = try r.next() {
            guard try p.entry(line, r.lineNumber) == nil else { break }
        }
        guard p.hasSize, p.rows == genes, p.cols == cells, p.declared == declared else {
            throw LexicellError(
                "the size line is no longer \"\(genes) \(cells) \(declared)\" as when the file was opened (changed since?)", file: path,
                line: r.lineNumber)
        }
        (reader, parser, column, pending, lastColumn, atEnd) = (r, p, 0, nil, 0, false)
    }

    private func nextEntry() throws -> (row: Int32, col: Int32, value: Float)? {
        if let e = pending {
            pending = nil
            return e
        }
        guard !atEnd, let reader else { return nil }
        while let line = try reader.next() {
            guard let e = try parser.entry(line, reader.lineNumber) else { continue }
            guard e.col >= lastColumn else {
                throw LexicellError(
                    "entry of cell \(e.col + 1) after one of cell \(lastColumn + 1): no longer sorted by cell as when the file was opened (changed since?)",
                    file: path, line: reader.lineNumber)
            }
            lastColumn = e.col
            return e
        }
        atEnd = true
        try parser.finish(lastLine: reader.lineNumber)
        return nil
    }
}

/// A CSV/TSV table with one cell a line: a block of cells is a run of consecutive rows.
///
/// `open` reads the file once with the parser of the whole read (every error comes at opening) to learn the
/// cell names and the orientation; a genes × cells table cannot be read by cells, so `open` returns nil for
/// it (the caller reads it whole, as before).
final class DelimitedCellStream: CellBlockReader {
    let path: String
    /// The cell names (row names) of the file, in file order.
    let rowNames: [String]
    private var parser: DelimitedRowParser
    /// The file rows of the kept cells, ascending (nil: every row).
    private var kept: [Int]?
    /// Non-zero values per row, counted at opening: each block's arrays are allocated once, at their size.
    private let nonZeros: [Int]
    private let widest: Int
    private var reader: LineReader?
    /// The file row (among data rows) the next data line holds.
    private var row = 0
    private let lock = NSLock()

    private init(path: String, rowNames: [String], parser: DelimitedRowParser, nonZeros: [Int]) {
        self.path = path
        self.rowNames = rowNames
        self.parser = parser
        self.nonZeros = nonZeros
        widest = nonZeros.max() ?? 0
    }

    /// Checks the whole file; nil when its rows are genes (given, or decided as `DelimitedReader.read` does).
    static func open(path: String, orientation: MatrixOrientation) throws -> DelimitedCellStream? {
        if orientation == .genesByCells { return nil }
        var parser = DelimitedRowParser(path: path, delimiter: nil)
        var names = [String]()
        var nonZeros = [Int]()
        var indices = [Int32](), values = [Float]()
        let reader = try LineReader(path: path)
        while let line = try reader.next() {
            indices.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            guard let name = try parser.row(line, reader.lineNumber, indices: &indices, values: &values) else { continue }
            // A corner word naming genes settles it at the first row: no need to check the rest twice.
            if names.isEmpty && orientation == .auto && DelimitedReader.cornerSaysGenes(parser.corner) { return nil }
            names.append(name)
            nonZeros.append(values.count)
        }
        try parser.finish(rows: names.count)
        if orientation == .auto {
            let resolved = try DelimitedReader.decideOrientation(corner: parser.corner, rowNames: names, columnNames: parser.columnNames, path: path)
            if resolved == .genesByCells { return nil }
        }
        return DelimitedCellStream(path: path, rowNames: names, parser: parser, nonZeros: nonZeros)
    }

    var genes: [String] { parser.columnNames }

    /// Keeps only these file rows (ascending), numbered from 0 in `read`.
    func keep(_ rows: [Int]) { kept = rows }

    func read(_ range: Range<Int>) throws -> SparseMatrix {
        lock.lock()
        defer { lock.unlock() }
        var indptr = [0]
        var indices = [Int32](), values = [Float]()
        guard !range.isEmpty else { return SparseMatrix(rows: 0, cols: genes.count, indptr: indptr, indices: indices, values: values) }
        let first = kept?[range.lowerBound] ?? range.lowerBound
        let last = kept?[range.upperBound - 1] ?? range.upperBound - 1
        indptr.reserveCapacity(range.count + 1)
        var size = 0
        for p in range { size += nonZeros[kept?[p] ?? p] }
        // Room for the largest row skipped on the way, parsed then dropped.
        size += widest
        indices.reserveCapacity(size)
        values.reserveCapacity(size)
        if reader == nil || first < row { try restart() }
        var next = range.lowerBound  // the next kept position to fill
        while row <= last {
            guard let reader, let line = try reader.next() else {
                throw LexicellError("the file ends before its row \(last + 1) (changed since it was opened?)", file: path)
            }
            let mark = values.count
            guard try parser.row(line, reader.lineNumber, indices: &indices, values: &values) != nil else { continue }
            if row >= first && (kept == nil || kept![next] == row) {
                indptr.append(values.count)
                next += 1
            } else {
                // A row between the blocks asked for (or left out by --cells-file): checked, not kept.
                indices.removeSubrange(mark...)
                values.removeSubrange(mark...)
            }
            row += 1
        }
        return SparseMatrix(rows: range.count, cols: genes.count, indptr: indptr, indices: indices, values: values)
    }

    /// Back to the first row of the file (the header is known: line 1 is skipped).
    private func restart() throws {
        reader = try LineReader(path: path)
        row = 0
    }
}
