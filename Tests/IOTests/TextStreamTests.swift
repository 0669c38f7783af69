import Foundation
import LexicellCore
import XCTest

@testable import LexicellIO

/// 10x MatrixMarket directories sorted by cell and CSV/TSV tables with a cell a line are read block by block
/// from the file: every block, in any order (a block before the last one read starts the file over), equals the
/// same cells of the whole read; unsorted 10x and genes × cells tables are read whole; damaged files fail at
/// opening with the file and line.
final class TextStreamTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try TestData.tempDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// 23 cells × 30 genes of seeded counts, a third of them zero, with an empty cell, an empty gene and
    /// non-integer values in cell 5.
    private func sample(real: Bool = false) -> ExpressionMatrix {
        var g = SeededGenerator(seed: 16)
        var dense = DenseMatrix(rows: 23, cols: 30)
        for r in 0..<23 where r != 9 {
            for c in 0..<30 where c != 4 && Int.random(in: 0..<3, using: &g) > 0 {
                dense[r, c] = Float(Int.random(in: 1...40, using: &g))
                if real && r == 5 { dense[r, c] /= 8 }
            }
        }
        return ExpressionMatrix(
            values: SparseMatrix(dense: dense), genes: (0..<30).map { "Gene\($0)" }, cells: (0..<23).map { "cell-\($0)-1" })
    }

    /// Blocks in the order given equal the same rows of `whole`.
    private func assertBlocks(
        _ c: CellChunks, _ whole: ExpressionMatrix, _ ranges: [Range<Int>], _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(c.cells, whole.cells, what, file: file, line: line)
        XCTAssertEqual(c.genes, whole.genes, what, file: file, line: line)
        for r in ranges {
            let b = try c.read(r)
            XCTAssertEqual(b.values, whole.values.selectingRows(r), "\(what) \(r)", file: file, line: line)
            XCTAssertEqual(b.cells, Array(whole.cells[r]), "\(what) \(r)", file: file, line: line)
        }
    }

    /// Consecutive blocks of each size (each pass after the first restarts), then requests out of order.
    private func orders(_ n: Int) -> [Range<Int>] {
        var ranges = [Range<Int>]()
        for size in [1, 4, 7, n] {
            ranges += stride(from: 0, to: n, by: size).map { $0..<min($0 + size, n) }
        }
        ranges += [10..<15, 0..<5, 5..<10, 3..<8, 20..<n, 20..<n, 12..<12, 0..<n, 2..<3]
        return ranges
    }

    private func cellsFile(_ names: [String]) throws -> String {
        let path = dir + "/keep.list"
        try (["barcode"] + names).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTenXSortedByCellIsReadInBlocks() throws {
        let e = sample()
        for gzip in [false, true] {
            let d = dir + "/tenx-\(gzip)"
            try TextMatrixFiles.writeTenX(e, to: d, gzip: gzip)
            let whole = try DatasetReader.read10x(directory: d)
            XCTAssertEqual(whole, e, "the whole read gives the matrix written")
            let c = try CellChunks.open(path: d)
            XCTAssertTrue(c.streams, d)
            try assertBlocks(c, whole, orders(23), d)
            // Genes in any order within each cell, and duplicates of a (gene, cell) split in three: summed in
            // file order as the whole read sums them.
            let s = dir + "/within-\(gzip)"
            try TextMatrixFiles.writeTenX(e, to: s, gzip: gzip, shuffleSeed: 7, withinCells: true)
            let mtx = s + "/matrix.mtx" + (gzip ? ".gz" : "")
            var lines = String(decoding: try FileData.read(mtx), as: UTF8.self).split(separator: "\n").map(String.init)
            lines[0] = "%%MatrixMarket matrix coordinate real general"
            lines[2] = "30 23 \(e.values.nonZeroCount + 2)"
            let cell7 = lines.indices.first { $0 > 2 && lines[$0].split(separator: " ")[1] == "7" }!
            let gene = lines[cell7].split(separator: " ")[0]
            lines[cell7] = "\(gene) 7 0.1"
            lines.insert(contentsOf: ["\(gene) 7 0.2", "\(gene) 7 0.3"], at: cell7 + 1)
            try TestData.write(lines.joined(separator: "\n") + "\n", to: mtx, gzip: gzip)
            let within = try DatasetReader.read10x(directory: s)
            XCTAssertEqual(within.values.values.filter { $0 == Float(0.1) + Float(0.2) + Float(0.3) }.count, 1, "the three summed in file order")
            let w = try CellChunks.open(path: s)
            XCTAssertTrue(w.streams)
            try assertBlocks(w, within, orders(23), s)
            // The .mtx path itself (siblings found beside it).
            let m = try CellChunks.open(path: d + "/matrix.mtx" + (gzip ? ".gz" : ""))
            XCTAssertTrue(m.streams)
            try assertBlocks(m, whole, [0..<23], d)
        }
    }

    /// Hand-computed: duplicates of one (gene, cell) are summed, an explicit zero dropped, genes unsorted within
    /// a cell sorted (a v2 directory, real values); the cells are the columns of the file.
    func testTenXBlockValuesByHand() throws {
        let d = dir + "/hand"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        try TestData.write("g1\ng2\ng3\n", to: d + "/genes.tsv")
        try TestData.write("A\nB\nC\nD\n", to: d + "/barcodes.tsv")
        try TestData.write(
            "%%MatrixMarket matrix coordinate real general\n3 4 7\n3 1 2.5\n1 1 1\n2 2 0\n2 3 4\n2 3 0.5\n1 4 7\n3 4 -1\n", to: d + "/matrix.mtx")
        let c = try CellChunks.open(path: d)
        XCTAssertTrue(c.streams)
        let expected: [[Float]] = [[1, 0, 2.5], [0, 0, 0], [0, 4.5, 0], [7, 0, -1]]
        for r in [2..<4, 0..<2, 1..<3, 0..<4] {
            XCTAssertEqual(try c.read(r).values.toDense().values, expected[r].flatMap { $0 }, "\(r)")
        }
        XCTAssertEqual(try c.read(0..<4).values.indptr, [0, 2, 2, 3, 5], "the zero entry is not stored")
    }

    func testTenXNotSortedByCellIsReadWhole() throws {
        let e = sample()
        for gzip in [false, true] {
            let d = dir + "/shuffled-\(gzip)"
            try TextMatrixFiles.writeTenX(e, to: d, gzip: gzip, shuffleSeed: 3)
            let whole = try DatasetReader.read10x(directory: d)
            XCTAssertEqual(whole, e)
            let c = try CellChunks.open(path: d)
            XCTAssertFalse(c.streams, "unsorted entries: no block is a run of lines")
            try assertBlocks(c, whole, [0..<7, 7..<23, 0..<23, 3..<4], d)
        }
        // Sorted but for one more entry of cell 1 at the very end.
        let d = dir + "/last"
        try TextMatrixFiles.writeTenX(e, to: d)
        var lines = String(decoding: try FileData.read(d + "/matrix.mtx"), as: UTF8.self).split(separator: "\n").map(String.init)
        lines[2] = "30 23 \(e.values.nonZeroCount + 1)"
        try TestData.write((lines + ["1 1 1"]).joined(separator: "\n") + "\n", to: d + "/matrix.mtx")
        XCTAssertFalse(try CellChunks.open(path: d).streams)
    }

    func testTenXWithCellsFile() throws {
        let e = sample()
        let keep = [0, 2, 3, 9, 10, 11, 17, 22]
        for shuffle in [nil, 5] as [UInt64?] {
            let d = dir + "/kept-\(shuffle.map(String.init) ?? "sorted")"
            try TextMatrixFiles.writeTenX(e, to: d, gzip: true, shuffleSeed: shuffle)
            let c = try CellChunks.open(path: d, cellsFile: try cellsFile(keep.map { e.cells[$0] } + ["not-a-cell"]))
            XCTAssertEqual(c.streams, shuffle == nil)
            try assertBlocks(c, e.selectingCells(keep), [0..<3, 3..<8, 1..<2, 0..<8, 6..<8, 7..<8], d)
        }
    }

    func testCellsAsRowsTablesAreReadInBlocks() throws {
        let e = sample(real: true)
        let cases: [(String, String, Bool)] = [("cells.csv", ",", false), ("cells.tsv.gz", "\t", true), ("cells.txt", ";", false)]
        for (name, delimiter, gzip) in cases {
            let path = dir + "/" + name
            try TextMatrixFiles.writeTable(e, to: path, cellsAsRows: true, delimiter: delimiter, gzip: gzip)
            let whole = try DatasetReader.read(path: path).expression
            XCTAssertEqual(whole, e)
            let c = try CellChunks.open(path: path)
            XCTAssertTrue(c.streams, name)
            try assertBlocks(c, whole, orders(23), name)
            let keep = [1, 4, 5, 6, 20]
            let k = try CellChunks.open(path: path, cellsFile: try cellsFile(keep.map { e.cells[$0] }))
            XCTAssertTrue(k.streams)
            try assertBlocks(k, e.selectingCells(keep), [0..<2, 2..<5, 0..<5, 4..<5, 1..<4], name + " --cells-file")
        }
        // No corner word: the gene-like column names decide, as in the whole read; an explicit orientation too.
        let bare = dir + "/bare.csv"
        try TestData.write("Actb,Gad1\nAAACCTGAGAAACCAT-1,1,0\n\nAAACCTGAGAAACCGC-1,0,2.5\n", to: bare)
        let c = try CellChunks.open(path: bare)
        XCTAssertTrue(c.streams)
        try assertBlocks(c, try DatasetReader.read(path: bare).expression, [1..<2, 0..<2], "bare")
        XCTAssertEqual(try c.read(1..<2).values.values, [2.5])
        XCTAssertTrue(try CellChunks.open(path: bare, orientation: .cellsByGenes).streams)
    }

    func testGenesAsRowsTablesAreReadWhole() throws {
        let e = sample()
        let path = dir + "/genes.csv.gz"
        try TextMatrixFiles.writeTable(e, to: path, cellsAsRows: false, gzip: true)
        let c = try CellChunks.open(path: path)
        XCTAssertFalse(c.streams, "a gene a line: no block of cells is a run of lines")
        try assertBlocks(c, e, [0..<23, 5..<9, 0..<1], "genes.csv.gz")
        // Decided by the names rather than the corner.
        let bare = dir + "/bare.csv"
        try TestData.write("AAACCTGAGAAACCAT-1,AAACCTGAGAAACCGC-1\nActb,1,0\nGad1,0,2\n", to: bare)
        XCTAssertFalse(try CellChunks.open(path: bare).streams)
        XCTAssertEqual(try CellChunks.open(path: bare).read(1..<2).values.toDense().values, [0, 2])
        XCTAssertFalse(try CellChunks.open(path: bare, orientation: .genesByCells).streams)
    }

    /// Damaged files fail at opening, before any block, naming the file and line as the whole read does.
    func testDamagedTenXFailsAtOpeningWithFileAndLine() throws {
        let e = sample()
        let d = dir + "/bad"
        try TextMatrixFiles.writeTenX(e, to: d)
        let good = String(decoding: try FileData.read(d + "/matrix.mtx"), as: UTF8.self)
        var lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let n = e.values.nonZeroCount
        func damaged(_ text: String, _ fragments: [String], gzip: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
            try? FileManager.default.removeItem(atPath: d + "/matrix.mtx")
            try? FileManager.default.removeItem(atPath: d + "/matrix.mtx.gz")
            try TestData.write(text, to: d + "/matrix.mtx" + (gzip ? ".gz" : ""), gzip: gzip)
            assertLexicellError(fragments, file: file, line: line) { _ = try CellChunks.open(path: d) }
            assertLexicellError(fragments, file: file, line: line) { _ = try DatasetReader.read10x(directory: d) }
        }
        // Truncated: the last 40 entries missing (plain), the gzip stream cut (gzip).
        try damaged(lines.dropLast(41).joined(separator: "\n") + "\n", ["matrix.mtx", "header declares \(n) entries but the file has \(n - 40)"])
        let gz = FileData.gzip(Array(good.utf8))
        try? FileManager.default.removeItem(atPath: d + "/matrix.mtx")
        try Data(gz.prefix(gz.count / 2)).write(to: URL(fileURLWithPath: d + "/matrix.mtx.gz"))
        assertLexicellError(["matrix.mtx.gz", "truncated"]) { _ = try CellChunks.open(path: d) }
        try FileManager.default.removeItem(atPath: d + "/matrix.mtx.gz")
        // An entry past the last cell, late in the file (line 300 of the 3 header lines and n entries).
        let saved = lines[299]
        lines[299] = "2 24 1"
        try damaged(lines.joined(separator: "\n"), ["matrix.mtx.gz, line 300", "entry (2, 24) is outside the 30 × 23 size"], gzip: true)
        lines[299] = "2 5 inf"
        try damaged(lines.joined(separator: "\n"), ["matrix.mtx, line 300", "value (field 3)", "infinite"])
        lines[299] = saved
        // Declared sizes larger than the names files, or than the file can hold.
        lines[2] = "30 24 \(n)"
        try damaged(lines.joined(separator: "\n"), ["matrix.mtx", "24 columns (cells) but barcodes.tsv has 23 lines"])
        lines[2] = "31 23 \(n)"
        try damaged(lines.joined(separator: "\n"), ["matrix.mtx", "31 rows (genes) but features.tsv has 30 lines"])
        lines[2] = "300 230 \(n * 10)"
        try damaged(lines.joined(separator: "\n"), ["matrix.mtx, line 3", "size line", "\(n * 10) entries declared", "cannot hold"])
        lines[2] = "30 23 \(n + 1)"
        try damaged(lines.joined(separator: "\n"), ["matrix.mtx", "header declares \(n + 1) entries but the file has \(n)"])
    }

    func testDamagedTableFailsAtOpeningWithFileAndLine() throws {
        let e = sample()
        let path = dir + "/cells.csv"
        try TextMatrixFiles.writeTable(e, to: path, cellsAsRows: true)
        var lines = String(decoding: try FileData.read(path), as: UTF8.self).split(separator: "\n").map(String.init)
        func damaged(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            assertLexicellError(fragments, file: file, line: line) { _ = try CellChunks.open(path: path) }
            assertLexicellError(fragments, file: file, line: line) { _ = try DatasetReader.read(path: path) }
        }
        let saved = lines[20]
        func firstValue(_ v: String) -> String {
            var f = saved.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[1] = v
            return f.joined(separator: ",")
        }
        lines[20] = firstValue("x1")
        try damaged(["cells.csv, line 21", "column \"Gene0\" (field 2): expected a number, found \"x1\""])
        lines[20] = saved + ",3"
        try damaged(["cells.csv, line 21", "ragged row: 32 fields, expected 31"])
        lines[20] = String(saved[..<saved.lastIndex(of: ",")!])
        try damaged(["cells.csv, line 21", "ragged row"])
        lines[20] = firstValue("nan")
        try damaged(["cells.csv, line 21", "is NaN; expected a finite number"])
        lines = [lines[0]]
        try damaged(["cells.csv", "no data rows after the header"])
    }

    /// A file rewritten between two passes is caught when a block starts it over, not read as the old one.
    func testFileChangedBetweenPassesIsAnError() throws {
        let e = sample()
        let d = dir + "/changing"
        try TextMatrixFiles.writeTenX(e, to: d)
        let c = try CellChunks.open(path: d)
        _ = try c.read(10..<23)
        try TextMatrixFiles.writeTenX(e.selectingCells(Array(0..<20)), to: d)
        assertLexicellError(["matrix.mtx, line 3", "no longer \"30 23"]) { _ = try c.read(0..<5) }
        let path = dir + "/changing.csv"
        try TextMatrixFiles.writeTable(e, to: path, cellsAsRows: true)
        let t = try CellChunks.open(path: path)
        _ = try t.read(20..<23)
        try TextMatrixFiles.writeTable(e.selectingCells(Array(0..<20)), to: path, cellsAsRows: true)
        XCTAssertEqual(try t.read(0..<20).values, e.values.selectingRows(0..<20))
        assertLexicellError(["changing.csv", "ends before its row 23"]) { _ = try t.read(20..<23) }
    }
}
