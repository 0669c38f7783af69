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
    public static func write(
        path: String, expression: ExpressionMatrix?, cells: [String], genes: [String],
        obs: [(String, ObsColumn)] = [], obsm: [(String, DenseMatrix)] = []
    ) throws {
        if let e = expression {
            guard e.cells == cells, e.genes == genes else {
                throw LexicellError("expression matrix cells/genes differ from the cells/genes given to the writer", file: path)
            }
        }
        for (name, column) in obs where column.count != cells.count {
            throw LexicellError("obs column \"\(name)\" has \(column.count) values for \(cells.count) cells", file: path)
        }
        for (name, m) in obsm where m.rows != cells.count {
            throw LexicellError("obsm \"\(name)\" has \(m.rows) rows for \(cells.count) cells", file: path)
        }
        let names = obs.map(\.0)
        guard Set(names).count == names.count, !names.contains("_index") else {
            throw LexicellError("obs column names must be unique and not \"_index\"", file: path)
        }

        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let temp = (dir as NSString).appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try writeContents(temp, expression: expression, cells: cells, genes: genes, obs: obs, obsm: obsm)
            guard rename(temp, path) == 0 else {
                throw LexicellError("cannot move the written file into place (\(String(cString: strerror(errno))))", file: path)
            }
        } catch {
            unlink(temp)
            if let e = error as? LexicellError, e.file == temp {
                throw LexicellError(e.message, file: path, line: e.line)
            }
            throw error
        }
    }

    /// All HDF5 handles live in this scope, so the file is closed when it returns.
    private static func writeContents(
        _ path: String, expression: ExpressionMatrix?, cells: [String], genes: [String],
        obs: [(String, ObsColumn)], obsm: [(String, DenseMatrix)]
    ) throws {
        let file = try H5File.create(path)
        let root = file.root
        try encode(root, "anndata", "0.1.0")

        if let e = expression {
            let x = try root.createGroup("X")
            try encode(x, "csr_matrix", "0.1.0")
            try x.setAttribute("shape", integers: [Int64(e.values.rows), Int64(e.values.cols)])
            try encode(try x.writeDataset("data", e.values.values), "array", "0.2.0")
            try encode(try x.writeDataset("indices", e.values.indices), "array", "0.2.0")
            try encode(try x.writeDataset("indptr", e.values.indptr.map { Int64($0) }), "array", "0.2.0")
        }

        let obsGroup = try dataFrame(root, "obs", index: cells, columnOrder: obs.map(\.0))
        for (name, column) in obs {
            switch column {
            case .strings(let s):
                try encode(try obsGroup.writeStrings(name, s), "string-array", "0.2.0")
            case .numbers(let x):
                try encode(try obsGroup.writeDataset(name, x), "array", "0.2.0")
            case .categorical(let labels):
                try writeCategorical(obsGroup, name, labels)
            }
        }
        _ = try dataFrame(root, "var", index: genes, columnOrder: [])

        let obsmGroup = try root.createGroup("obsm")
        try encode(obsmGroup, "dict", "0.1.0")
        for (name, m) in obsm {
            try encode(try obsmGroup.writeDataset(name, m.values, dims: [m.rows, m.cols]), "array", "0.2.0")
        }
        for name in ["layers", "obsp", "varm", "varp", "uns"] {
            try encode(try root.createGroup(name), "dict", "0.1.0")
        }
    }

    private static func encode(_ o: H5Object, _ type: String, _ version: String) throws {
        try o.setAttribute("encoding-type", string: type)
        try o.setAttribute("encoding-version", string: version)
    }

    private static func dataFrame(_ root: H5Object, _ name: String, index: [String], columnOrder: [String]) throws -> H5Object {
        let g = try root.createGroup(name)
        try encode(g, "dataframe", "0.2.0")
        try g.setAttribute("_index", string: "_index")
        try g.setAttribute("column-order", strings: columnOrder)
        try encode(try g.writeStrings("_index", index), "string-array", "0.2.0")
        return g
    }

    private static func writeCategorical(_ parent: H5Object, _ name: String, _ labels: [String]) throws {
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
