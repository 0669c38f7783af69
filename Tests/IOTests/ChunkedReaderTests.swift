import Foundation
import LexicellCore
import XCTest

@testable import LexicellIO

/// Reading in blocks of cells gives the matrix of one whole read, for every format and with --cells-file;
/// h5ad CSR and dense matrices, 10x and cells × genes CSV are read from the file by row blocks (not held whole).
final class ChunkedReaderTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try TestData.tempDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Blocks of `size` cells stacked back together.
    private func stacked(_ c: CellChunks, size: Int) throws -> ExpressionMatrix {
        var ptr = [0], idx = [Int32](), val = [Float]()
        for start in stride(from: 0, to: c.cellCount, by: size) {
            let b = try c.read(start..<min(start + size, c.cellCount))
            XCTAssertEqual(b.cells, Array(c.cells[start..<min(start + size, c.cellCount)]))
            XCTAssertEqual(b.genes, c.genes)
            let base = ptr.last!
            for r in 0..<b.values.rows { ptr.append(base + b.values.indptr[r + 1]) }
            idx += b.values.indices
            val += b.values.values
        }
        return ExpressionMatrix(
            values: SparseMatrix(rows: c.cellCount, cols: c.geneCount, indptr: ptr, indices: idx, values: val), genes: c.genes, cells: c.cells)
    }

    /// Every 3rd cell, plus a header line and a name that is no cell.
    private func cellsFile(_ cells: [String]) throws -> (String, [Int]) {
        let keep = Array(stride(from: 1, to: cells.count, by: 3))
        let path = dir + "/cells.txt"
        try (["barcode", "not-a-cell"] + keep.map { cells[$0] }).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (path, keep)
    }

    private func check(_ path: String, matrix: H5ADMatrix = .x, expectStreaming: Bool, sizes: [Int] = [1, 7, 64]) throws {
        let whole = try DatasetReader.read(path: path, h5adMatrix: matrix).expression
        let c = try CellChunks.open(path: path, h5adMatrix: matrix)
        XCTAssertEqual(c.streams, expectStreaming, path)
        XCTAssertEqual(c.cells, whole.cells)
        for size in sizes { XCTAssertEqual(try stacked(c, size: size), whole, "\(path) in blocks of \(size)") }
        let (file, keep) = try cellsFile(whole.cells)
        let kept = try CellChunks.open(path: path, h5adMatrix: matrix, cellsFile: file)
        XCTAssertEqual(kept.cells, keep.map { whole.cells[$0] })
        XCTAssertEqual(try stacked(kept, size: 5), whole.selectingCells(keep), "\(path) with --cells-file")
    }

    func testH5ADDenseXByRowBlocks() throws {
        try check(TestData.pbmc + "/pbmc68k_reduced.h5ad", expectStreaming: true)
    }

    func testH5ADLegacyCSRByRowBlocks() throws {
        try check(TestData.pbmc + "/pbmc68k_reduced.h5ad", matrix: .raw, expectStreaming: true)
    }

    func testH5ADWrittenCSRWithUnsortedAndDuplicateIndicesByRowBlocks() throws {
        // Row 1 is unsorted with a duplicate (summed), row 2 holds an explicit zero (dropped), row 3 is empty.
        let x = SparseMatrix(
            rows: 5, cols: 4, indptr: [0, 2, 5, 7, 7, 9], indices: [0, 3, 2, 1, 2, 0, 1, 1, 3], values: [1, 2, 3, 4, 5, 0, 6, 7, 8])
        let e = ExpressionMatrix(values: x, genes: ["a", "b", "c", "d"], cells: ["c0", "c1", "c2", "c3", "c4"])
        let path = dir + "/x.h5ad"
        try H5ADWriter.write(path: path, expression: e, cells: e.cells, genes: e.genes)
        let whole = try DatasetReader.readH5AD(path: path).expression
        XCTAssertEqual(whole.values.indptr, [0, 2, 4, 5, 5, 7])
        XCTAssertEqual(whole.values.indices, [0, 3, 1, 2, 1, 1, 3])
        XCTAssertEqual(whole.values.values, [1, 2, 4, 8, 6, 7, 8])
        try check(path, expectStreaming: true, sizes: [1, 2, 3, 5])
    }

    func testH5ADCSCIsReadWholeOnce() throws {
        try check(TestData.fixtures + "/anndata_current.h5ad", expectStreaming: false, sizes: [1, 3])
    }

    /// The bundled Romanov 10x directory (sorted by cell) and the PBMC cells × genes CSV are read block by block.
    func testTenXAndCSVAreReadByBlocks() throws {
        try check(TestData.romanov, expectStreaming: true, sizes: [100, 1000])
        try check(TestData.pbmc + "/pbmc68k_reduced_raw_lognorm_cells_x_genes.csv.gz", expectStreaming: true, sizes: [9])
    }

    func testCellsFileNamingNoCellIsRefused() throws {
        let path = dir + "/none.txt"
        try "nobody\n".write(toFile: path, atomically: true, encoding: .utf8)
        assertLexicellError(["none.txt", "none of its 1 names is a cell"]) {
            _ = try CellChunks.open(path: TestData.pbmc + "/pbmc68k_reduced.h5ad", cellsFile: path)
        }
    }

    func testStreamWriterAppendsBlocksAsOneMatrix() throws {
        let whole = try DatasetReader.readH5AD(path: TestData.pbmc + "/pbmc68k_reduced.h5ad", matrix: .raw).expression
        let path = dir + "/blocks.h5ad"
        let w = try H5ADStreamWriter(path: path, genes: whole.genes, expression: true, obsm: [("X_e", 2)])
        for start in stride(from: 0, to: whole.cellCount, by: 17) {
            let rows = start..<min(start + 17, whole.cellCount)
            let e = DenseMatrix(rows: rows.count, cols: 2, values: rows.flatMap { [Float($0), -Float($0)] })
            try w.append(whole.values.selectingRows(rows), obsm: [e])
        }
        try w.finish(cells: whole.cells, obs: [("n", .numbers(whole.cells.indices.map(Double.init)))])
        XCTAssertEqual(try DatasetReader.readH5AD(path: path).expression, whole)
        let e = try H5ADParts.obsm(path: path, name: "X_e")
        XCTAssertEqual(e.rows, whole.cellCount)
        XCTAssertEqual(e[whole.cellCount - 1, 1], -Float(whole.cellCount - 1))
        XCTAssertEqual(try H5ADParts.obsNumbers(path: path, column: "n")[5], 5)
    }
}
