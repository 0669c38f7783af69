import Foundation
import LexicellCore

/// A dataset read in blocks of cells: cell and gene names up front, the matrix one block at a time.
/// Read block by block from the file (memory bounded by the block): h5ad CSR and dense matrices, 10x
/// MatrixMarket files whose entries are sorted by cell, and CSV/TSV tables with a cell a line (text files are
/// checked whole once at opening, then read on from block to block; a block before the last one read starts
/// the file over). Read whole once and served in blocks: an h5ad CSC matrix, a 10x matrix not sorted by cell,
/// a genes × cells table. `--cells-file` is applied at opening: the other cells are never kept.
public final class CellChunks: @unchecked Sendable {
    public let path: String
    public let genes: [String]
    /// The kept cells, in file order.
    public let cells: [String]
    /// Whether blocks are read from the file rather than from a matrix held whole.
    public let streams: Bool
    private let h5ad: H5ADMatrixSource?
    private let text: CellBlockReader?
    private let whole: SparseMatrix?
    private let obsFrame: DataFrame?
    /// The file rows of the kept cells (nil: all rows).
    private let fileRows: [Int]?

    public var cellCount: Int { cells.count }
    public var geneCount: Int { genes.count }

    private init(
        path: String, genes: [String], cells: [String], h5ad: H5ADMatrixSource? = nil, text: CellBlockReader? = nil,
        whole: SparseMatrix? = nil, obsFrame: DataFrame? = nil, fileRows: [Int]? = nil
    ) {
        self.path = path
        self.genes = genes
        self.cells = cells
        self.h5ad = h5ad
        self.text = text
        self.whole = whole
        self.obsFrame = obsFrame
        self.fileRows = fileRows
        self.streams = h5ad?.streams ?? (text != nil)
    }

    /// Opens `path` (any format `DatasetReader.read` takes), keeping the cells listed in `cellsFile` if given.
    public static func open(
        path: String, orientation: MatrixOrientation = .auto, h5adMatrix: H5ADMatrix = .x, cellsFile: String? = nil
    ) throws -> CellChunks {
        if DatasetReader.isH5AD(path) {
            let opened = try H5ADReader.open(path: path, matrix: h5adMatrix)
            let rows = try cellsFile.map { try CellSelection.rows(of: opened.obs.index, listedIn: $0) }
            let cells = rows.map { $0.map { opened.obs.index[$0] } } ?? opened.obs.index
            return CellChunks(path: path, genes: opened.genes, cells: cells, h5ad: opened.matrix, obsFrame: opened.obs, fileRows: rows)
        }
        if let tenX = try DatasetReader.tenXFiles(path) {
            let genes = try TenXReader.readFeatures(tenX.features)
            let cells = try TenXReader.readBarcodes(tenX.barcodes)
            let kept = try cellsFile.map { try CellSelection.rows(of: cells, listedIn: $0) }
            let names = kept.map { $0.map { cells[$0] } } ?? cells
            if let stream = try TenXCellStream.open(
                matrix: tenX.matrix, features: tenX.features, genes: genes.count, barcodes: tenX.barcodes, cells: cells.count, kept: kept)
            {
                return CellChunks(path: path, genes: genes, cells: names, text: stream)
            }
            // Entries not sorted by cell: no block is a run of lines, so the matrix is read whole.
            let e = try TenXReader.readMatrix(
                matrix: tenX.matrix, features: tenX.features, barcodes: tenX.barcodes, genes: genes, cells: cells, kept: kept)
            return CellChunks(path: path, genes: e.genes, cells: e.cells, whole: e.values)
        }
        if DatasetReader.isDelimited(path), let stream = try DelimitedCellStream.open(path: path, orientation: orientation) {
            var names = stream.rowNames
            if let cellsFile {
                let rows = try CellSelection.rows(of: names, listedIn: cellsFile)
                stream.keep(rows)
                names = rows.map { names[$0] }
            }
            return CellChunks(path: path, genes: stream.genes, cells: names, text: stream)
        }
        var e = try DatasetReader.read(path: path, orientation: orientation, h5adMatrix: h5adMatrix).expression
        if let cellsFile {
            let rows = try CellSelection.rows(of: e.cells, listedIn: cellsFile)
            e = e.selectingCells(rows)
        }
        return CellChunks(path: path, genes: e.genes, cells: e.cells, whole: e.values)
    }

    /// Kept cells `range` (positions among the kept cells) as cells × genes.
    public func read(_ range: Range<Int>) throws -> ExpressionMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= cells.count, "CellChunks: \(range) outside 0..<\(cells.count)")
        let names = Array(cells[range])
        if let whole {
            return ExpressionMatrix(values: range.count == whole.rows ? whole : whole.selectingRows(range), genes: genes, cells: names)
        }
        if let text { return ExpressionMatrix(values: try text.read(range), genes: genes, cells: names) }
        let values = try h5ad!.read(rows: fileRows.map { Array($0[range]) } ?? Array(range))
        return ExpressionMatrix(values: values, genes: genes, cells: names)
    }

    /// The obs column names of an h5ad (empty for other formats).
    public var obsColumns: [String] { obsFrame?.columns ?? [] }

    /// One obs column of an h5ad for the kept cells, as text ("" where missing).
    public func obsColumn(_ name: String) throws -> [String] {
        guard let obsFrame else { throw LexicellError("only an h5ad has obs columns; give labels with --labels", file: path) }
        guard obsFrame.columns.contains(name) else {
            throw LexicellError("no obs column '\(name)' (columns: \(obsFrame.columns.joined(separator: ", ")))", file: path)
        }
        let all = try obsFrame.column(name)
        return fileRows.map { $0.map { all[$0] } } ?? all
    }
}

/// `--cells-file`: cell names one a line.
public enum CellSelection {
    /// The rows of `cells` named in the file (one barcode per line; a header line that names no cell is
    /// ignored), in the dataset's order. Names that match no cell are an error only if none match.
    public static func rows(of cells: [String], listedIn path: String) throws -> [Int] {
        let wanted = Set(LineSplitter(try FileData.read(path)).strings().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let keep = cells.indices.filter { wanted.contains(cells[$0]) }
        guard !keep.isEmpty else {
            throw LexicellError(
                "none of its \(wanted.count) names is a cell of the dataset (e.g. '\(wanted.first ?? "")' vs '\(cells.first ?? "")')", file: path)
        }
        return keep
    }
}

/// Numeric obs columns and obsm matrices of an h5ad exactly as stored (for joining shard outputs).
public enum H5ADParts {
    /// An obs column of numbers as Double, without going through text.
    public static func obsNumbers(path: String, column: String) throws -> [Double] {
        let file = try H5File.open(path)
        let object = try file.root.open("obs/\(column)")
        guard object.isDataset else { throw object.error("expected a numeric dataset") }
        _ = try object.elementCount(memorySize: 8, maxRank: 1)
        return try object.readNumbers(Double.self)
    }

    /// A 2-D obsm matrix as float32.
    public static func obsm(path: String, name: String) throws -> DenseMatrix {
        let file = try H5File.open(path)
        let object = try file.root.open("obsm/\(name)")
        guard object.isDataset, object.shape.count == 2 else { throw object.error("expected a 2-D dataset") }
        _ = try object.elementCount(memorySize: 4, maxRank: 2)
        let shape = object.shape
        return DenseMatrix(rows: shape[0], cols: shape[1], values: try object.readNumbers(Float.self))
    }
}
