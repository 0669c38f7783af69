import Foundation
import LexicellCore

/// How a delimited table is laid out.
public enum MatrixOrientation: Sendable {
    /// Decide from the header and names (see `DatasetReader.readDelimited`).
    case auto
    case genesByCells
    case cellsByGenes
}

/// Which matrix of an h5ad file to read.
public enum H5ADMatrix: Sendable {
    /// `X` (often scaled or normalised).
    case x
    /// `raw/X` (or the older `raw.X`): usually counts or log-normalised counts.
    case raw
}

/// An expression matrix and per-cell annotations.
public struct Dataset: Sendable {
    public var expression: ExpressionMatrix
    /// Column name → one value per cell, "" for missing.
    public var obs: [String: [String]]
    /// The obs column names in file order.
    public var obsColumns: [String]

    public init(expression: ExpressionMatrix, obs: [String: [String]] = [:], obsColumns: [String] = []) {
        self.expression = expression
        self.obs = obs
        self.obsColumns = obsColumns
    }
}

/// Reads expression data, choosing the reader from the path.
public enum DatasetReader {
    /// Directory → 10x; `.h5ad` → AnnData; `.mtx[.gz]` → 10x with its sibling features/barcodes files;
    /// `.csv`/`.tsv`/`.txt`[`.gz`] → delimited table.
    public static func read(
        path: String, orientation: MatrixOrientation = .auto,
        h5adMatrix: H5ADMatrix = .x
    ) throws -> Dataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw LexicellError("file or directory not found", file: path)
        }
        if isDir.boolValue { return Dataset(expression: try read10x(directory: path)) }
        let ext = formatExtension(path)
        switch ext {
        case "h5ad":
            return try readH5AD(path: path, matrix: h5adMatrix)
        case "h5", "hdf5", "loom":
            throw LexicellError("10x HDF5 / loom files are not read; give the 10x matrix directory, an .h5ad or a CSV", file: path)
        case "mtx":
            let dir = (path as NSString).deletingLastPathComponent
            let found = try TenXReader.files(in: dir.isEmpty ? "." : dir)
            return Dataset(expression: try readMatrixMarket(matrix: path, features: found.features, barcodes: found.barcodes))
        case _ where delimitedExtensions.contains(ext):
            return Dataset(expression: try readDelimited(path: path, orientation: orientation))
        default:
            throw LexicellError(
                "cannot tell the format from the name: expected a 10x directory, .h5ad, .mtx[.gz] or .csv/.tsv/.txt[.gz]",
                file: path)
        }
    }

    /// The extensions `read` takes as a delimited table.
    static let delimitedExtensions: Set<String> = ["csv", "tsv", "txt", "tab"]

    /// The lower-cased extension that names the format, after any `.gz`.
    static func formatExtension(_ path: String) -> String {
        var name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        return (name as NSString).pathExtension
    }

    /// Whether `path` is a regular file whose extension is one of `extensions` (as `read` decides).
    static func isFile(_ path: String, withFormatIn extensions: Set<String>) -> Bool {
        var isDir: ObjCBool = false
        return extensions.contains(formatExtension(path)) && FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            && !isDir.boolValue
    }

    /// Whether `path` names an h5ad file (by its extension, as `read` decides).
    public static func isH5AD(_ path: String) -> Bool { isFile(path, withFormatIn: ["h5ad"]) }

    /// Whether `path` names a delimited table (by its extension, as `read` decides).
    static func isDelimited(_ path: String) -> Bool { isFile(path, withFormatIn: delimitedExtensions) }

    /// The three files of a 10x input (a directory, or a .mtx[.gz] with its siblings); nil for other formats.
    static func tenXFiles(_ path: String) throws -> (matrix: String, features: String, barcodes: String)? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return nil }
        if isDir.boolValue { return try TenXReader.files(in: path) }
        guard formatExtension(path) == "mtx" else { return nil }
        let dir = (path as NSString).deletingLastPathComponent
        let found = try TenXReader.files(in: dir.isEmpty ? "." : dir)
        return (path, found.features, found.barcodes)
    }

    /// A 10x directory with `matrix.mtx`, `features.tsv` or `genes.tsv`, `barcodes.tsv` (each plain or `.gz`).
    public static func read10x(directory: String) throws -> ExpressionMatrix {
        let f = try TenXReader.files(in: directory)
        return try readMatrixMarket(matrix: f.matrix, features: f.features, barcodes: f.barcodes)
    }

    /// A MatrixMarket genes × cells matrix with its feature and barcode files; cells × genes out.
    public static func readMatrixMarket(matrix: String, features: String, barcodes: String) throws -> ExpressionMatrix {
        try TenXReader.readMatrix(matrix: matrix, features: features, barcodes: barcodes)
    }

    /// A CSV/TSV table (optionally gzipped), streamed into sparse storage. The delimiter is detected from the
    /// header (tab, comma or semicolon) unless given. For `.auto` orientation: a corner field such as
    /// `gene`/`symbol` or `cell`/`barcode` decides; otherwise the axis whose names look like gene symbols is
    /// the gene axis; if that is unclear the read fails and asks for the orientation.
    public static func readDelimited(
        path: String, orientation: MatrixOrientation = .auto,
        delimiter: UInt8? = nil
    ) throws -> ExpressionMatrix {
        try DelimitedReader.read(path: path, orientation: orientation, delimiter: delimiter)
    }

    /// An AnnData file: the chosen matrix, gene names from var (raw/var for raw), cells and columns from obs.
    public static func readH5AD(path: String, matrix: H5ADMatrix = .x) throws -> Dataset {
        try H5ADReader.read(path: path, matrix: matrix)
    }
}
