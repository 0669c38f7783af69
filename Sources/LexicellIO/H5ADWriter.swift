import Foundation
import LexicellCore
import CHDF5

/// One obs column to write.
public enum ObsColumn: Sendable {
    /// Free text per cell.
    case strings([String])
    /// Labels stored as a pandas categorical (categories sorted; "" is missing, code -1).
    case categorical([String])
    case numbers([Double])

    var count: Int {
        switch self {
        case .strings(let s), .categorical(let s): return s.count
        case .numbers(let x): return x.count
        }
    }
}

/// Writes AnnData `.h5ad` files in the layout anndata ≥ 0.8 reads, with `encoding-type` and
/// `encoding-version` on every element. The file is written beside the target and renamed over it.
public enum H5ADWriter {
    /// One value per cell in every obs column and obsm row; obs names unique and not `_index`.
    static func checkColumns(cells: Int, obs: [(String, ObsColumn)], obsm: [(String, DenseMatrix)], path: String) throws {
        for (name, column) in obs where column.count != cells {
            throw LexicellError("obs column \"\(name)\" has \(column.count) values for \(cells) cells", file: path)
        }
        for (name, m) in obsm where m.rows != cells {
            throw LexicellError("obsm \"\(name)\" has \(m.rows) rows for \(cells) cells", file: path)
        }
        let names = obs.map(\.0)
        guard Set(names).count == names.count, !names.contains("_index") else {
            throw LexicellError("obs column names must be unique and not \"_index\"", file: path)
        }
    }

    public static func write(
        path: String, expression: ExpressionMatrix?, cells: [String], genes: [String],
        obs: [(String, ObsColumn)] = [], obsm: [(String, DenseMatrix)] = []
    ) throws {
        if let e = expression {
            guard e.cells == cells, e.genes == genes else {
                throw LexicellError("expression matrix cells/genes differ from the cells/genes given to the writer", file: path)
            }
        }
        try checkColumns(cells: cells.count, obs: obs, obsm: obsm, path: path)

        let writer = try H5ADStreamWriter(path: path, genes: genes, expression: expression != nil, obsm: [])
        if let e = expression { try writer.append(e.values, obsm: []) }
        try writer.finish(cells: cells, obs: obs, obsm: obsm)
    }

    static func encode(_ o: H5Object, _ type: String, _ version: String) throws {
        try o.setAttribute("encoding-type", string: type)
        try o.setAttribute("encoding-version", string: version)
    }

    static func dataFrame(_ root: H5Object, _ name: String, index: [String], columnOrder: [String]) throws -> H5Object {
        let g = try root.createGroup(name)
        try encode(g, "dataframe", "0.2.0")
        try g.setAttribute("_index", string: "_index")
        try g.setAttribute("column-order", strings: columnOrder)
        try encode(try g.writeStrings("_index", index), "string-array", "0.2.0")
        return g
    }

    static func writeCategorical(_ parent: H5Object, _ name: String, _ labels: [String]) throws {
        let categories = Array(Set(labels.filter { !$0.isEmpty })).sorted()
        var code = [String: Int](minimumCapacity: categories.count)
        for (i, c) in categories.enumerated() { code[c] = i }
        let codes = labels.map { $0.isEmpty ? -1 : code[$0]! }
        let g = try parent.createGroup(name)
        try encode(g, "categorical", "0.2.0")
        try g.setAttribute("ordered", bool: false)
        try encode(try g.writeStrings("categories", categories), "string-array", "0.2.0")
        // pandas picks the smallest signed integer type that holds the codes.
        let codesObject: H5Object
        if categories.count < Int(Int8.max) {
            codesObject = try g.writeDataset("codes", codes.map { Int8($0) })
        } else if categories.count < Int(Int16.max) {
            codesObject = try g.writeDataset("codes", codes.map { Int16($0) })
        } else {
            codesObject = try g.writeDataset("codes", codes.map { Int32($0) })
        }
        try encode(codesObject, "array", "0.2.0")
    }
}

/// Writes an h5ad in blocks of cells: X (CSR) and obsm matrices grow by `append` in chunked, extendable
/// datasets, so the whole matrix is never held; obs, var and the other obsm matrices are written by `finish`.
/// The file is written beside `path` and renamed over it by `finish`; a writer dropped unfinished removes it.
public final class H5ADStreamWriter {
    public let path: String
    private let temp: String
    private let genes: [String]
    private var file: H5File?
    private var x: H5Object?
    private var data: H5Object?
    private var indices: H5Object?
    private var indptr: [Int64] = [0]
    private var streamed: [(name: String, cols: Int, object: H5Object)] = []
    private var obsmGroup: H5Object?
    public private(set) var cellsWritten = 0

    /// `obsm`: the matrices appended block by block (name, columns).
    public init(path: String, genes: [String], expression: Bool, obsm: [(String, Int)]) throws {
        self.path = path
        self.genes = genes
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        temp = (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            let file = try H5File.create(temp)
            self.file = file
            let root = file.root
            try H5ADWriter.encode(root, "anndata", "0.1.0")
            if expression {
                let x = try root.createGroup("X")
                try H5ADWriter.encode(x, "csr_matrix", "0.1.0")
                data = try x.createExtendable("data", Float.self, chunkRows: 1 << 16)
                indices = try x.createExtendable("indices", Int32.self, chunkRows: 1 << 16)
                self.x = x
            }
            let group = try root.createGroup("obsm")
            try H5ADWriter.encode(group, "dict", "0.1.0")
            obsmGroup = group
            for (name, cols) in obsm {
                streamed.append((name, cols, try group.createExtendable(name, Float.self, columns: cols, chunkRows: max(1, (1 << 16) / max(1, cols)))))
            }
        } catch {
            close()
            throw relabel(error)
        }
    }

    deinit {
        if file != nil { close() }
    }

    private func close() {
        x = nil; data = nil; indices = nil; streamed = []; obsmGroup = nil; file = nil
        unlink(temp)
    }

    private func relabel(_ error: Error) -> Error {
        if let e = error as? LexicellError, e.file == temp { return LexicellError(e.message, file: path, line: e.line) }
        return error
    }

    /// The next block of cells: its expression rows (when X is written) and its rows of each streamed obsm matrix.
    public func append(_ block: SparseMatrix?, obsm rows: [DenseMatrix]) throws {
        do {
            guard file != nil else { throw LexicellError("the h5ad writer is finished", file: path) }
            guard rows.count == streamed.count else { throw LexicellError("\(rows.count) obsm blocks for \(streamed.count) matrices", file: path) }
            var n: Int?
            if let data, let indices {
                guard let block, block.cols == genes.count else {
                    throw LexicellError("expression block has \(block?.cols ?? 0) genes, expected \(genes.count)", file: path)
                }
                try block.values.withUnsafeBufferPointer { try data.append($0, rows: block.values.count) }
                try block.indices.withUnsafeBufferPointer { try indices.append($0, rows: block.indices.count) }
                let base = indptr.last!
                for r in 0..<block.rows { indptr.append(base + Int64(block.indptr[r + 1])) }
                n = block.rows
            }
            for (m, s) in zip(rows, streamed) {
                guard m.cols == s.cols, n == nil || n == m.rows else {
                    throw LexicellError("obsm \"\(s.name)\" block is \(m.rows) × \(m.cols), expected \(n ?? m.rows) × \(s.cols)", file: path)
                }
                n = m.rows
                try m.values.withUnsafeBufferPointer { try s.object.append($0, rows: m.rows) }
            }
            cellsWritten += n ?? 0
        } catch {
            close()
            throw relabel(error)
        }
    }

    /// Writes obs (cell names and columns), var, the remaining obsm matrices, and moves the file into place.
    public func finish(cells: [String], obs: [(String, ObsColumn)] = [], obsm: [(String, DenseMatrix)] = []) throws {
        do {
            guard let file, let obsmGroup else { throw LexicellError("the h5ad writer is finished", file: path) }
            if x != nil || !streamed.isEmpty {
                guard cellsWritten == cells.count else {
                    throw LexicellError("\(cellsWritten) cells were written but \(cells.count) names are given", file: path)
                }
            }
            try H5ADWriter.checkColumns(cells: cells.count, obs: obs, obsm: obsm, path: path)
            let root = file.root
            if let x, let data, let indices {
                try x.setAttribute("shape", integers: [Int64(cells.count), Int64(genes.count)])
                try H5ADWriter.encode(data, "array", "0.2.0")
                try H5ADWriter.encode(indices, "array", "0.2.0")
                try H5ADWriter.encode(try x.writeDataset("indptr", indptr), "array", "0.2.0")
            }
            let obsGroup = try H5ADWriter.dataFrame(root, "obs", index: cells, columnOrder: obs.map(\.0))
            for (name, column) in obs {
                switch column {
                case .strings(let s):
                    try H5ADWriter.encode(try obsGroup.writeStrings(name, s), "string-array", "0.2.0")
                case .numbers(let x):
                    try H5ADWriter.encode(try obsGroup.writeDataset(name, x), "array", "0.2.0")
                case .categorical(let labels):
                    try H5ADWriter.writeCategorical(obsGroup, name, labels)
                }
            }
            _ = try H5ADWriter.dataFrame(root, "var", index: genes, columnOrder: [])
            for s in streamed { try H5ADWriter.encode(s.object, "array", "0.2.0") }
            for (name, m) in obsm {
                try H5ADWriter.encode(try obsmGroup.writeDataset(name, m.values, dims: [m.rows, m.cols]), "array", "0.2.0")
            }
            for name in ["layers", "obsp", "varm", "varp", "uns"] {
                try H5ADWriter.encode(try root.createGroup(name), "dict", "0.1.0")
            }
        } catch {
            close()
            throw relabel(error)
        }
        // Every handle is dropped, so the file is closed before it is renamed.
        x = nil; data = nil; indices = nil; streamed = []; obsmGroup = nil; file = nil
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw LexicellError("cannot move the written file into place (\(reason))", file: path)
        }
    }
}
