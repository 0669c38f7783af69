import Foundation
import LexicellCore
import CHDF5

/// Reads AnnData `.h5ad` files: the current layout (anndata ≥ 0.7: `raw/X`, dataframe groups with `_index`,
/// categoricals as groups or as codes with a `categories` reference) and the older one (anndata < 0.7:
/// `raw.X` with `h5sparse_format`, dataframes as compound datasets, categories in `uns/<col>_categories`).
enum H5ADReader {
    static func read(path: String, matrix: H5ADMatrix) throws -> Dataset {
        let opened = try open(path: path, matrix: matrix)
        let values = try opened.matrix.read(rows: 0..<opened.matrix.rows)
        var columns = [String: [String]]()
        for name in opened.obs.columns { columns[name] = try opened.obs.column(name) }
        return Dataset(
            expression: ExpressionMatrix(values: values, genes: opened.genes, cells: opened.obs.index),
            obs: columns, obsColumns: opened.obs.columns)
    }

    /// The file's obs and gene names and its matrix, checked against each other; no matrix value is read yet.
    static func open(path: String, matrix: H5ADMatrix) throws -> (obs: DataFrame, genes: [String], matrix: H5ADMatrixSource) {
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
        let source = try H5ADMatrixSource(try root.open(matrixName))
        guard source.rows == obs.index.count else {
            throw LexicellError("\(matrixName) has \(source.rows) rows but obs has \(obs.index.count) cells", file: path)
        }
        guard source.cols == variables.index.count else {
            throw LexicellError("\(matrixName) has \(source.cols) columns but \(varName) has \(variables.index.count) genes", file: path)
        }
        return (obs, variables.index, source)
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

    /// NaN or infinite expression values are input errors, not numbers to compute with.
    static func checkFinite(_ values: [Float], _ owner: H5Object, _ what: String) throws {
        if let k = values.firstIndex(where: { !$0.isFinite }) {
            throw owner.error("\(what) at position \(k) is \(values[k]); expected finite numbers")
        }
    }
}

/// X of an h5ad as CSR cells × genes, read by blocks of rows: a dense 2-D dataset by row hyperslabs, a CSR
/// group by the rows' slices of data and indices (indptr is read whole at opening), both with Int32 column
/// indices read as such. A CSC group has no row slices: it is read whole once, at opening.
/// Every declared size is checked against the others and against the file before any value is read.
final class H5ADMatrixSource {
    enum Layout {
        case dense(H5Object)
        case csr(data: H5Object, indices: H5Object, indptr: [Int], group: H5Object, shapeName: String)
        case whole(SparseMatrix)
    }
    let rows: Int
    let cols: Int
    let layout: Layout

    /// Whether blocks of rows are read from the file (not from a matrix read whole).
    var streams: Bool { if case .whole = layout { return false } else { return true } }

    init(_ m: H5Object) throws {
        if m.isDataset {
            let shape = m.shape
            guard shape.count == 2 else { throw m.error("expected a 2-D matrix, found \(shape.count) dimensions") }
            guard shape[0] <= Int(Int32.max), shape[1] <= Int(Int32.max) else {
                throw m.error("dense matrix shape \(shape) is too large (at most \(Int32.max) per side)")
            }
            _ = try m.elementCount(memorySize: MemoryLayout<Float>.stride, maxRank: 2)
            let cls = m.typeClass
            guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
                throw m.error("expected a numeric dataset, found HDF5 type class \(cls.rawValue)")
            }
            (rows, cols, layout) = (shape[0], shape[1], .dense(m))
            return
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
        let indexCount = try indicesObject.elementCount(memorySize: MemoryLayout<Int32>.stride, maxRank: 1)
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
        let csr = Layout.csr(data: dataObject, indices: indicesObject, indptr: indptr, group: m, shapeName: shapeName)
        if format == "csr" {
            (rows, cols, layout) = (shape[0], shape[1], csr)
        } else {
            // CSC stores no row slices: read it whole once, as columns, and transpose.
            let columns = H5ADMatrixSource(major: major, minor: minor, layout: csr)
            (rows, cols, layout) = (shape[0], shape[1], .whole(try columns.read(rows: 0..<major).transposed()))
        }
    }

    private init(major: Int, minor: Int, layout: Layout) { (rows, cols, self.layout) = (major, minor, layout) }

    /// The rows `wanted` (ascending file rows) as CSR, column indices sorted, duplicates summed, zeros dropped.
    func read<C: Collection>(rows wanted: C) throws -> SparseMatrix where C.Element == Int {
        switch layout {
        case .whole(let m): return wanted.count == rows ? m : m.selectingRows(wanted)
        case .dense(let m): return try readDense(m, Array(wanted))
        case .csr(let data, let indices, let indptr, let group, let shapeName):
            return try readCSR(data: data, indices: indices, indptr: indptr, group: group, shapeName: shapeName, Array(wanted))
        }
    }

    /// Maximal runs of consecutive rows: one hyperslab each.
    private static func runs(_ rows: [Int]) -> [Range<Int>] {
        var out = [Range<Int>]()
        var i = 0
        while i < rows.count {
            var j = i + 1
            while j < rows.count && rows[j] == rows[j - 1] + 1 { j += 1 }
            out.append(i..<j)
            i = j
        }
        return out
    }

    private func readCSR(data: H5Object, indices: H5Object, indptr: [Int], group: H5Object, shapeName: String, _ wanted: [Int]) throws -> SparseMatrix {
        var outPtr = [Int](repeating: 0, count: wanted.count + 1)
        for (i, r) in wanted.enumerated() { outPtr[i + 1] = outPtr[i] + indptr[r + 1] - indptr[r] }
        let total = outPtr[wanted.count]
        var values = [Float](repeating: 0, count: total)
        var idx = [Int32](repeating: 0, count: total)
        for run in Self.runs(wanted) {
            let lo = indptr[wanted[run.lowerBound]], hi = indptr[wanted[run.upperBound - 1] + 1]
            let w = outPtr[run.lowerBound]
            guard hi > lo else { continue }
            try values.withUnsafeMutableBufferPointer { try data.readBlock(Float.self, start: [lo], count: [hi - lo], into: $0.baseAddress! + w) }
            try idx.withUnsafeMutableBufferPointer { try indices.readBlock(Int32.self, start: [lo], count: [hi - lo], into: $0.baseAddress! + w) }
            for k in 0..<(hi - lo) {
                guard values[w + k].isFinite else {
                    throw data.error("data value at position \(lo + k) is \(values[w + k]); expected finite numbers")
                }
                let v = idx[w + k]
                guard v >= 0 && Int(v) < cols else {
                    throw group.error("index \(v) at position \(lo + k) is outside 0..<\(cols) given by the \(shapeName) attribute")
                }
            }
        }
        let ptr = SparseMatrix.canonicalize(rows: wanted.count, indptr: outPtr, indices: &idx, values: &values)
        return SparseMatrix(rows: wanted.count, cols: cols, indptr: ptr, indices: idx, values: values)
    }

    private func readDense(_ m: H5Object, _ wanted: [Int]) throws -> SparseMatrix {
        var indptr = [Int](repeating: 0, count: wanted.count + 1)
        var indices = [Int32](), values = [Float]()
        // Row blocks of at most ~16 MB, so a wide dense matrix is never held whole.
        let blockRows = max(1, (1 << 22) / max(1, cols))
        var buffer = [Float](repeating: 0, count: min(blockRows, max(1, wanted.count)) * cols)
        var out = 0
        for run in Self.runs(wanted) {
            var first = run.lowerBound
            while first < run.upperBound {
                let n = min(blockRows, run.upperBound - first)
                let fileRow = wanted[first]
                try buffer.withUnsafeMutableBufferPointer { try m.readBlock(Float.self, start: [fileRow, 0], count: [n, cols], into: $0.baseAddress!) }
                for r in 0..<n {
                    for c in 0..<cols {
                        let v = buffer[r * cols + c]
                        guard v.isFinite else { throw m.error("value at position \((fileRow + r) * cols + c) is \(v); expected finite numbers") }
                        if v != 0 { indices.append(Int32(c)); values.append(v) }
                    }
                    out += 1
                    indptr[out] = values.count
                }
                first += n
            }
        }
        return SparseMatrix(rows: wanted.count, cols: cols, indptr: indptr, indices: indices, values: values)
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
