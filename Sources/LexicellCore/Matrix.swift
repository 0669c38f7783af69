/// A dense row-major Float32 matrix in one contiguous buffer.
public struct DenseMatrix: Equatable, Sendable, Codable {
    public var rows: Int
    public var cols: Int
    public var values: [Float]

    enum CodingKeys: String, CodingKey { case rows, cols, values }

    /// Decoding checks the shape, so a damaged file is an error rather than a matrix that traps later.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let r = try c.decode(Int.self, forKey: .rows), n = try c.decode(Int.self, forKey: .cols)
        let v = try c.decode([Float].self, forKey: .values)
        guard r >= 0, n >= 0, v.count == r * n else {
            throw DecodingError.dataCorruptedError(forKey: .values, in: c, debugDescription: "\(v.count) values for a \(r) × \(n) matrix")
        }
        self.init(rows: r, cols: n, values: v)
    }

    public init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "DenseMatrix: \(values.count) values for \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.init(rows: rows, cols: cols, values: [Float](repeating: value, count: rows * cols))
    }

    /// Builds a matrix from equally long rows.
    public init(rowArrays: [[Float]]) {
        let cols = rowArrays.first?.count ?? 0
        var values = [Float]()
        values.reserveCapacity(rowArrays.count * cols)
        for row in rowArrays {
            precondition(row.count == cols, "DenseMatrix: ragged rows")
            values.append(contentsOf: row)
        }
        self.init(rows: rowArrays.count, cols: cols, values: values)
    }

    @inlinable public subscript(r: Int, c: Int) -> Float {
        get { values[r * cols + c] }
        set { values[r * cols + c] = newValue }
    }

    public func row(_ r: Int) -> ArraySlice<Float> { values[(r * cols)..<((r + 1) * cols)] }

    /// The rows at `indices`, in that order.
    public func selectingRows<C: Collection>(_ indices: C) -> DenseMatrix where C.Element == Int {
        var out = [Float](repeating: 0, count: indices.count * cols)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, r) in indices.enumerated() {
                    let s = src.baseAddress! + r * cols
                    (dst.baseAddress! + i * cols).update(from: s, count: cols)
                }
            }
        }
        return DenseMatrix(rows: indices.count, cols: cols, values: out)
    }

    /// Matrix with each row scaled to unit L2 norm (zero rows stay zero).
    public func rowNormalized() -> DenseMatrix {
        var m = self
        m.normalizeRows()
        return m
    }

    public mutating func normalizeRows() {
        let c = cols
        values.withUnsafeMutableBufferPointer { buf in
            for r in 0..<rows {
                let p = buf.baseAddress! + r * c
                var s: Float = 0
                for j in 0..<c { s += p[j] * p[j] }
                if s > 0 {
                    let inv = 1 / s.squareRoot()
                    for j in 0..<c { p[j] *= inv }
                }
            }
        }
    }

    /// Columns of `self` followed by columns of `other` (same row count).
    public func hconcat(_ other: DenseMatrix) -> DenseMatrix {
        precondition(rows == other.rows)
        var out = [Float]()
        out.reserveCapacity(rows * (cols + other.cols))
        for r in 0..<rows {
            out.append(contentsOf: row(r))
            out.append(contentsOf: other.row(r))
        }
        return DenseMatrix(rows: rows, cols: cols + other.cols, values: out)
    }

    /// The rows of each matrix in turn (all with the same column count; at least one matrix).
    public static func stackingRows(_ parts: [DenseMatrix]) -> DenseMatrix {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.cols == parts[0].cols }, "stackingRows: column counts differ")
        return DenseMatrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: parts[0].cols, values: Array(parts.map(\.values).joined()))
    }

    public func transposed() -> DenseMatrix {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = values[r * cols + c] } }
        return DenseMatrix(rows: cols, cols: rows, values: out)
    }
}

/// A compressed sparse row (CSR) Float32 matrix.
public struct SparseMatrix: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    /// `indptr[r]..<indptr[r+1]` are row r's entries; column indices are sorted within a row.
    public var indptr: [Int]
    public var indices: [Int32]
    public var values: [Float]

    public init(rows: Int, cols: Int, indptr: [Int], indices: [Int32], values: [Float]) {
        precondition(indptr.count == rows + 1 && indices.count == values.count)
        self.rows = rows
        self.cols = cols
        self.indptr = indptr
        self.indices = indices
        self.values = values
    }

    public var nonZeroCount: Int { values.count }

    /// Builds CSR from (row, col, value) triplets; duplicates are summed, explicit zeros dropped.
    public init(rows: Int, cols: Int, rowIndex: [Int32], colIndex: [Int32], values: [Float]) {
        var counts = [Int](repeating: 0, count: rows + 1)
        for r in rowIndex { counts[Int(r) + 1] += 1 }
        for i in 0..<rows { counts[i + 1] += counts[i] }
        var next = counts
        var idx = [Int32](repeating: 0, count: values.count)
        var val = [Float](repeating: 0, count: values.count)
        for k in 0..<values.count {
            let r = Int(rowIndex[k])
            idx[next[r]] = colIndex[k]
            val[next[r]] = values[k]
            next[r] += 1
        }
        // Sort each row by column, merge duplicates, drop zeros.
        var outPtr = [Int](repeating: 0, count: rows + 1)
        var outIdx = [Int32](); outIdx.reserveCapacity(values.count)
        var outVal = [Float](); outVal.reserveCapacity(values.count)
        var order = [Int]()
        for r in 0..<rows {
            let lo = counts[r], hi = counts[r + 1]
            // Rows that arrive sorted, without duplicates or zeros (the usual case), are copied as they are.
            var clean = true
            for k in lo..<hi where val[k] == 0 || (k > lo && idx[k] <= idx[k - 1]) { clean = false; break }
            if clean {
                outIdx.append(contentsOf: idx[lo..<hi])
                outVal.append(contentsOf: val[lo..<hi])
                outPtr[r + 1] = outIdx.count
                continue
            }
            order.removeAll(keepingCapacity: true)
            order.append(contentsOf: lo..<hi)
            order.sort { idx[$0] < idx[$1] }
            var k = 0
            while k < order.count {
                let c = idx[order[k]]
                var v: Float = 0
                while k < order.count && idx[order[k]] == c { v += val[order[k]]; k += 1 }
                if v != 0 { outIdx.append(c); outVal.append(v) }
            }
            outPtr[r + 1] = outIdx.count
        }
        self.init(rows: rows, cols: cols, indptr: outPtr, indices: outIdx, values: outVal)
    }

    /// Converts a dense row-major matrix, keeping non-zeros.
    public init(dense: DenseMatrix) {
        var ptr = [0], idx = [Int32](), val = [Float]()
        for r in 0..<dense.rows {
            for c in 0..<dense.cols where dense[r, c] != 0 { idx.append(Int32(c)); val.append(dense[r, c]) }
            ptr.append(idx.count)
        }
        self.init(rows: dense.rows, cols: dense.cols, indptr: ptr, indices: idx, values: val)
    }

    public func toDense() -> DenseMatrix {
        var out = DenseMatrix(rows: rows, cols: cols)
        for r in 0..<rows { for k in indptr[r]..<indptr[r + 1] { out[r, Int(indices[k])] = values[k] } }
        return out
    }

    /// The transpose, also in CSR (i.e. this matrix in CSC).
    public func transposed() -> SparseMatrix {
        var counts = [Int](repeating: 0, count: cols + 1)
        for c in indices { counts[Int(c) + 1] += 1 }
        for i in 0..<cols { counts[i + 1] += counts[i] }
        var next = counts
        var idx = [Int32](repeating: 0, count: values.count)
        var val = [Float](repeating: 0, count: values.count)
        for r in 0..<rows {
            for k in indptr[r]..<indptr[r + 1] {
                let c = Int(indices[k])
                idx[next[c]] = Int32(r)
                val[next[c]] = values[k]
                next[c] += 1
            }
        }
        return SparseMatrix(rows: cols, cols: rows, indptr: counts, indices: idx, values: val)
    }

    /// The rows at `indices`, in that order.
    public func selectingRows<C: Collection>(_ rowsToKeep: C) -> SparseMatrix where C.Element == Int {
        var ptr = [0], idx = [Int32](), val = [Float]()
        for r in rowsToKeep {
            idx.append(contentsOf: indices[indptr[r]..<indptr[r + 1]])
            val.append(contentsOf: values[indptr[r]..<indptr[r + 1]])
            ptr.append(idx.count)
        }
        return SparseMatrix(rows: rowsToKeep.count, cols: cols, indptr: ptr, indices: idx, values: val)
    }

    /// Keeps the columns at `columns` (renumbered in that order).
    public func selectingColumns(_ columns: [Int]) -> SparseMatrix {
        var map = [Int32](repeating: -1, count: cols)
        for (i, c) in columns.enumerated() { map[c] = Int32(i) }
        var ptr = [0], idx = [Int32](), val = [Float]()
        var rowBuf = [(Int32, Float)]()
        for r in 0..<rows {
            rowBuf.removeAll(keepingCapacity: true)
            for k in indptr[r]..<indptr[r + 1] {
                let m = map[Int(indices[k])]
                if m >= 0 { rowBuf.append((m, values[k])) }
            }
            rowBuf.sort { $0.0 < $1.0 }
            for (c, v) in rowBuf { idx.append(c); val.append(v) }
            ptr.append(idx.count)
        }
        return SparseMatrix(rows: rows, cols: columns.count, indptr: ptr, indices: idx, values: val)
    }
}
