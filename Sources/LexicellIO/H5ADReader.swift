import Foundation
import LexicellCore
import CHDF5

/// Reads AnnData `.h5ad` files: the current layout (anndata ≥ 0.7: `raw/X`, dataframe groups with `_index`,
/// categoricals as groups or as codes with a `categories` reference) and the older one (anndata < 0.7:
/// `raw.X` with `h5sparse_format`, dataframes as compound datasets, categories in `uns/<col>_categories`).
enum H5ADReader {
    static func read(path: String, matrix: H5ADMatrix) throws -> Dataset {
        let file = try H5File.open(path)
        let root = file.root
        let (matrixName, varName): (String, String)
        switch matrix {
        case .x:
            guard root.has("X") else {
                throw LexicellError("h5ad has no \"X\" matrix (expected a dataset or sparse group named X)", file: path)
            }
            (matrixName, varName) = ("X", "var")
        case .raw:
            if root.has("raw/X") {
                (matrixName, varName) = ("raw/X", "raw/var")
            } else if root.has("raw.X") {
                (matrixName, varName) = ("raw.X", "raw.var")
            } else {
                throw LexicellError("h5ad has no raw matrix (looked for \"raw/X\" and \"raw.X\"); read X instead", file: path)
            }
        }
        guard root.has("obs") else { throw LexicellError("h5ad has no \"obs\" (cell table)", file: path) }
        guard root.has(varName) else { throw LexicellError("h5ad has no \"\(varName)\" (gene table)", file: path) }
        let obs = try DataFrame(try root.open("obs"), root: root)
        let variables = try DataFrame(try root.open(varName), root: root)
        let values = try readMatrix(try root.open(matrixName))
        guard values.rows == obs.index.count else {
            throw LexicellError("\(matrixName) has \(values.rows) rows but obs has \(obs.index.count) cells", file: path)
        }
        guard values.cols == variables.index.count else {
            throw LexicellError("\(matrixName) has \(values.cols) columns but \(varName) has \(variables.index.count) genes", file: path)
        }
        var columns = [String: [String]]()
        for name in obs.columns { columns[name] = try obs.column(name) }
        return Dataset(
            expression: ExpressionMatrix(values: values, genes: variables.index, cells: obs.index),
            obs: columns, obsColumns: obs.columns)
    }

    /// One obs column and the cell names, without reading the matrix.
    static func readObsColumn(path: String, column: String) throws -> (cells: [String], values: [String]) {
        let file = try H5File.open(path)
        let root = file.root
        guard root.has("obs") else { throw LexicellError("h5ad has no \"obs\" (cell table)", file: path) }
        let obs = try DataFrame(try root.open("obs"), root: root)
        guard obs.columns.contains(column) else {
            throw LexicellError("obs has no column \"\(column)\"; it has: \(obs.columns.joined(separator: ", "))", file: path)
        }
        return (obs.index, try obs.column(column))
    }

    /// X as CSR cells × genes, from a dense 2-D dataset or a CSR/CSC group.
    /// Every declared size is checked against the others and against the file before anything is read.
    static func readMatrix(_ m: H5Object) throws -> SparseMatrix {
        if m.isDataset {
            let shape = m.shape
            guard shape.count == 2 else { throw m.error("expected a 2-D matrix, found \(shape.count) dimensions") }
            guard shape[0] <= Int(Int32.max), shape[1] <= Int(Int32.max) else {
                throw m.error("dense matrix shape \(shape) is too large (at most \(Int32.max) per side)")
            }
            _ = try m.elementCount(memorySize: MemoryLayout<Float>.stride, maxRank: 2)
            let dense = try m.readNumbers(Float.self)
            try checkFinite(dense, m, "value")
            var indptr = [Int](repeating: 0, count: shape[0] + 1)
            var indices = [Int32](), values = [Float]()
            for r in 0..<shape[0] {
                for c in 0..<shape[1] where dense[r * shape[1] + c] != 0 {
                    indices.append(Int32(c)); values.append(dense[r * shape[1] + c])
                }
                indptr[r + 1] = values.count
            }
            return SparseMatrix(rows: shape[0], cols: shape[1], indptr: indptr, indices: indices, values: values)
        }
        let format: String
        let shape: [Int]
        let shapeName: String
        if let encoding = m.stringAttribute("encoding-type") {
            guard encoding == "csr_matrix" || encoding == "csc_matrix" else {
                throw m.error("encoding-type \"\(encoding)\" is not a matrix (expected csr_matrix or csc_matrix)")
            }
            format = encoding == "csr_matrix" ? "csr" : "csc"
            guard m.hasAttribute("shape") else { throw m.error("sparse matrix has no \"shape\" attribute") }
            shapeName = "shape"
        } else if let legacy = m.stringAttribute("h5sparse_format") {
            guard legacy == "csr" || legacy == "csc" else { throw m.error("h5sparse_format \"\(legacy)\" is not csr or csc") }
            format = legacy
            shapeName = "h5sparse_shape"
        } else {
            throw m.error("group has neither an encoding-type nor an h5sparse_format attribute; expected a sparse matrix")
        }
        shape = try m.integerArrayAttribute(shapeName)
        guard shape.count == 2, shape[0] >= 0, shape[1] >= 0 else {
            throw m.error("\(shapeName) attribute \(shape) is not two non-negative sizes")
        }
        for part in ["data", "indices", "indptr"] where !m.has(part) {
            throw m.error("sparse \(format)_matrix has no \"\(part)\" dataset")
        }
        let (major, minor) = format == "csr" ? (shape[0], shape[1]) : (shape[1], shape[0])
        let majorName = format == "csr" ? "rows" : "columns"
        guard shape[0] <= Int(Int32.max), shape[1] <= Int(Int32.max) else {
            throw m.error("\(shapeName) attribute \(shape) is too large (at most \(Int32.max) per side)")
        }
        // Extents first: indptr has major + 1 entries, data and indices have the same length (nnz).
        let dataObject = try m.open("data"), indicesObject = try m.open("indices"), indptrObject = try m.open("indptr")
        let nnz = try dataObject.elementCount(memorySize: MemoryLayout<Float>.stride, maxRank: 1)
        let indexCount = try indicesObject.elementCount(memorySize: MemoryLayout<Int64>.stride, maxRank: 1)
        let pointerCount = try indptrObject.elementCount(memorySize: MemoryLayout<Int64>.stride, maxRank: 1)
        guard pointerCount == major + 1 else {
            throw m.error(
                "\(shapeName) attribute says \(shape[0]) × \(shape[1]) (\(major) \(majorName)) but indptr has \(pointerCount) entries, expected \(major + 1)")
        }
        guard nnz == indexCount else {
            throw m.error("data has \(nnz) values but indices has \(indexCount); expected the same length (one column index per stored value)")
        }
        let indptr64 = try indptrObject.readNumbers(Int64.self)
        guard indptr64.first == 0, indptr64.last == Int64(nnz) else {
            throw m.error(
                "indptr must run from 0 to \(nnz) (the number of stored values in data); it runs from \(indptr64.first ?? -1) to \(indptr64.last ?? -1)")
        }
        var indptr = [Int](repeating: 0, count: indptr64.count)
        for i in 0..<indptr64.count {
            indptr[i] = Int(indptr64[i])
            if i > 0 && indptr[i] < indptr[i - 1] {
                throw m.error("indptr decreases at position \(i) (\(indptr[i - 1]) then \(indptr[i])); expected non-decreasing offsets")
            }
        }
        let data = try dataObject.readNumbers(Float.self)
        try checkFinite(data, dataObject, "data value")
        let indices = try indicesObject.readNumbers(Int64.self)
        var idx = [Int32](repeating: 0, count: indices.count)
        for k in 0..<indices.count {
            let v = indices[k]
            guard v >= 0 && v < Int64(minor) else {
                throw m.error("index \(v) at position \(k) is outside 0..<\(minor) given by the \(shapeName) attribute")
            }
            idx[k] = Int32(v)
        }
        let stored = SparseMatrix.canonical(rows: major, cols: minor, indptr: indptr, indices: idx, values: data)
        return format == "csr" ? stored : stored.transposed()
    }

    /// NaN or infinite expression values are input errors, not numbers to compute with.
    static func checkFinite(_ values: [Float], _ owner: H5Object, _ what: String) throws {
        if let k = values.firstIndex(where: { !$0.isFinite }) {
            throw owner.error("\(what) at position \(k) is \(values[k]); expected finite numbers")
        }
    }
}

/// An AnnData dataframe (obs or var): its index and its columns as strings.
struct DataFrame {
    let object: H5Object
    let root: H5Object
    let index: [String]
    let columns: [String]
    private let indexName: String
    private let isCompound: Bool

    init(_ object: H5Object, root: H5Object) throws {
        self.object = object
        self.root = root
        if object.isGroup {
            isCompound = false
            let indexName = object.stringAttribute("_index") ?? "_index"
            self.indexName = indexName
            guard object.has(indexName) else {
                throw object.error("dataframe has no index dataset \"\(indexName)\" (named by its _index attribute)")
            }
            index = try Self.strings(try object.open(indexName).readValues())
            if object.hasAttribute("column-order"), let order = try? object.stringArrayAttribute("column-order") {
                columns = order
            } else {
                columns = object.memberNames().filter { $0 != indexName && $0 != "__categories" }
            }
        } else {
            // Pre-0.7 layout: one compound dataset, index in field "index".
            isCompound = true
            let fields = object.compoundFields
            guard !fields.isEmpty else { throw object.error("expected a dataframe group or compound dataset") }
            let indexName = fields.contains("index") ? "index" : fields[0]
            self.indexName = indexName
            index = try Self.strings(try object.readValues(field: indexName))
            columns = fields.filter { $0 != indexName }
        }
    }

    /// The column's value per row as text; missing categorical values are "".
    func column(_ name: String) throws -> [String] {
        let frameName = (object.path as NSString).lastPathComponent
        if isCompound {
            let values = try object.readValues(field: name)
            if root.has("uns/\(name)_categories") {
                let categories = try Self.strings(try root.open("uns/\(name)_categories").readValues())
                return try Self.decode(codes: values, categories: categories, where: "\(object.path) field \"\(name)\"", object)
            }
            return try Self.strings(values)
        }
        guard object.has(name) else { throw object.error("\(frameName) has no column \"\(name)\"") }
        let col = try object.open(name)
        if col.isGroup {
            let encoding = col.stringAttribute("encoding-type") ?? ""
            if encoding == "categorical" || (col.has("categories") && col.has("codes")) {
                let categories = try Self.strings(try col.open("categories").readValues())
                return try Self.decode(codes: try col.open("codes").readValues(), categories: categories, where: col.path, col)
            }
            if encoding.hasPrefix("nullable"), col.has("values"), col.has("mask") {
                let values = try Self.strings(try col.open("values").readValues())
                let mask = try col.open("mask").readValues()
                let missing: [Bool]
                switch mask {
                case .numbers(let x, _): missing = x.map { $0 != 0 }
                case .enumNames(let s): missing = s.map { $0 == "True" }
                case .strings: throw col.error("mask is not boolean")
                }
                return zip(values, missing).map { $1 ? "" : $0 }
            }
            throw col.error("column group with encoding-type \"\(encoding)\" is not supported (expected categorical)")
        }
        let values = try col.readValues()
        if col.hasAttribute("categories") {
            // anndata 0.7: integer codes with a reference to the categories dataset.
            let categories = try Self.strings(try col.referencedObject(attribute: "categories").readValues())
            return try Self.decode(codes: values, categories: categories, where: col.path, col)
        }
        return try Self.strings(values)
    }

    static func strings(_ values: H5Values) throws -> [String] {
        switch values {
        case .strings(let s), .enumNames(let s): return s
        case .numbers(let x, let isInteger): return x.map { format($0, isInteger: isInteger) }
        }
    }

    static func format(_ x: Double, isInteger: Bool) -> String {
        if isInteger, let i = Int(exactly: x) { return String(i) }
        if x.isNaN { return "" }
        // float32 columns print as float32 (0.0238561, not 0.02385608106851578).
        let f = Float(x)
        return Double(f) == x ? f.description : x.description
    }

    static func decode(codes: H5Values, categories: [String], where path: String, _ owner: H5Object) throws -> [String] {
        guard case .numbers(let c, _) = codes else { throw owner.error("categorical codes are not integers") }
        return try c.enumerated().map { i, code in
            if code < 0 { return "" }
            guard let k = Int(exactly: code), k < categories.count else {
                throw owner.error("categorical code \(code) at row \(i) is outside the \(categories.count) categories")
            }
            return categories[k]
        }
    }
}
