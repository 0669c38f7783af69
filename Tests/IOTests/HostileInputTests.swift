import Foundation
import XCTest
import CHDF5
import LexicellCore
@testable import LexicellIO

/// Issue 15: hostile or corrupt inputs end in an error naming the file, the field or line, and what was
/// expected (or in the correct value), never in a crash, a huge allocation or a silently wrong answer.
final class HostileMatrixMarketTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try TestData.tempDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func mtx(_ name: String, _ field: String, _ body: String) throws -> String {
        let path = dir + "/" + name
        try TestData.write("%%MatrixMarket matrix coordinate \(field) general\n" + body, to: path)
        return path
    }

    /// 2^64 + 1 must not wrap to row 1.
    func testRowIndexBeyond64BitsIsRefused() throws {
        let path = try mtx("wrap.mtx", "integer", "3 2 2\n1 1 5\n18446744073709551617 2 7\n")
        assertLexicellError([
            "wrap.mtx, line 4", "row index (field 1)", "expected an integer in 1...3", "18446744073709551617", "too large for a 64-bit integer",
        ]) {
            _ = try MatrixMarket.read(path)
        }
        let col = try mtx("col.mtx", "real", "3 2 1\n1 18446744073709551616 7\n")
        assertLexicellError(["col.mtx, line 3", "column index (field 2)", "expected an integer in 1...2"]) { _ = try MatrixMarket.read(col) }
    }

    /// A count of 2^64 is a (large) count, not 0.
    func testHugeIntegerValueIsNotZero() throws {
        let path = try mtx("big.mtx", "integer", "2 2 2\n1 1 18446744073709551616\n2 2 3\n")
        let m = try MatrixMarket.read(path)
        XCTAssertEqual(m.values, [Float(18446744073709551616.0), 3])
    }

    func testNonFiniteValuesAreRefused() throws {
        for (i, word) in ["inf", "-inf", "Infinity", "nan", "1e999"].enumerated() {
            let path = try mtx("v\(i).mtx", "real", "2 2 2\n1 1 0.5\n2 1 \(word)\n")
            assertLexicellError(["v\(i).mtx, line 4", "value (field 3)", word, "expected a finite number"]) { _ = try MatrixMarket.read(path) }
        }
        // The integer fast path's fallback too.
        let path = try mtx("vi.mtx", "integer", "2 2 1\n1 1 -inf\n")
        assertLexicellError(["vi.mtx, line 3", "value (field 3)", "infinite"]) { _ = try MatrixMarket.read(path) }
    }

    /// Declared entries are bounded by rows × columns and by the file's size before anything is reserved.
    func testSizeLineIsCheckedBeforeAllocating() throws {
        let huge = try mtx("huge.mtx", "integer", "1000000 1000000 900000000000\n1 1 1\n")
        assertLexicellError(["huge.mtx, line 2", "size line", "900000000000 entries declared", "cannot hold"]) { _ = try MatrixMarket.read(huge) }
        let over = try mtx("over.mtx", "integer", "2 2 5\n1 1 1\n")
        assertLexicellError(["over.mtx, line 2", "5 entries declared but a 2 × 2 matrix has only 4 positions"]) { _ = try MatrixMarket.read(over) }
        let wrap = try mtx("wrapsize.mtx", "integer", "2 2 18446744073709551616\n")
        assertLexicellError(["wrapsize.mtx, line 2", "size line", "below 2^63"]) { _ = try MatrixMarket.read(wrap) }
        let mul = try mtx("mul.mtx", "integer", "2000000000 2000000000 1000000000000000000\n")
        assertLexicellError(["mul.mtx, line 2", "more than 2^63", "cannot hold"]) { _ = try MatrixMarket.read(mul) }
        // gzip: bounded by the maximum deflate ratio.
        let gz = dir + "/huge.mtx.gz"
        try TestData.write("%%MatrixMarket matrix coordinate integer general\n1000000 1000000 900000000000\n1 1 1\n", to: gz, gzip: true)
        assertLexicellError(["huge.mtx.gz, line 2", "(gzip) cannot hold"]) { _ = try MatrixMarket.read(gz) }
    }
}

final class HostileDelimitedTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try TestData.tempDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func testNonFiniteValuesNameFileLineAndColumn() throws {
        for (i, word) in ["inf", "-inf", "infinity", "NaN", "1e400", "\"inf\""].enumerated() {
            let path = dir + "/t\(i).csv"
            try TestData.write("gene,c1,c2\nActb,1,2\nGapdh,3,\(word)\n", to: path)
            assertLexicellError(["t\(i).csv, line 3", "column \"c2\" (field 3)", "expected a finite number"]) {
                _ = try DatasetReader.readDelimited(path: path)
            }
        }
    }

    func testIntegerBeyond64BitsIsItsValueNotZero() throws {
        let path = dir + "/big.csv"
        try TestData.write("gene,c1,c2\nActb,18446744073709551616,2\nGapdh,3,4\n", to: path)
        let m = try DatasetReader.readDelimited(path: path)
        XCTAssertEqual(entry(m.values, 0, 0), Float(18446744073709551616.0))
        XCTAssertEqual(entry(m.values, 1, 0), 2)
    }
}

final class HostileLabelTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try TestData.tempDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func testDuplicateBarcodeNamesBothLines() throws {
        try TestData.write("cell,type\nA,x\nB,y\nA,y\n", to: dir + "/dup.csv")
        assertLexicellError(["dup.csv, line 4", "barcode \"A\" appears again", "line 2 says \"x\"", "first on line 2"]) {
            _ = try LabelTable.read(path: dir + "/dup.csv", labelColumn: "type")
        }
        // Even with the same label: a repeated row is a broken file, not a harmless duplicate.
        try TestData.write("cell,type\nA,x\nB,y\n\nA,x\n", to: dir + "/same.csv")
        assertLexicellError(["same.csv, line 5", "the same label \"x\"", "first on line 2"]) {
            _ = try LabelTable.read(path: dir + "/same.csv", labelColumn: "type")
        }
        // A table built in code is checked when joined.
        let t = LabelTable(source: "meta.csv", barcodes: ["A", "B", "A"], labels: ["x", "y", "y"])
        assertLexicellError(["meta.csv", "barcode \"A\" is listed twice (entries 1 and 3)"]) { _ = try t.join(cells: ["A", "B"], file: "c.csv") }
    }

    /// "1-1" and "1.1" both read as "1.1" once R's mangling is undone, and so does the R name "X1.1": a cell
    /// matching neither exactly but both loosely is refused rather than given one of their labels.
    func testAmbiguousDigitLedUnmangledMatch() throws {
        let t = LabelTable(source: "meta.csv", barcodes: ["1-1", "1.1"], labels: ["x", "y"])
        assertLexicellError(["meta.csv", "cell \"X1.1\" of c.csv matches several label barcodes", "\"1-1\" → \"x\"", "\"1.1\" → \"y\""]) {
            _ = try t.join(cells: ["X1.1"], file: "c.csv")
        }
        // Same label on both: not ambiguous.
        let same = LabelTable(source: "meta.csv", barcodes: ["1-1", "1.1"], labels: ["x", "x"])
        XCTAssertEqual(try same.join(cells: ["X1.1"], file: "c.csv").labels, ["x"])
    }

    func testDuplicateCellsAreRefusedWhenJoining() throws {
        let t = LabelTable(source: "meta.csv", barcodes: ["A", "B"], labels: ["x", "y"])
        assertLexicellError(["counts.csv", "cell \"A\" appears twice (cells 1 and 3)"]) { _ = try t.join(cells: ["A", "B", "A"], file: "counts.csv") }
    }

    func testUnassignedClassIsRefused() throws {
        XCTAssertEqual(LabelTable.unassigned, "Unassigned")
        try TestData.write("cell\ttype\nA\tx\nB\tUnassigned\n", to: dir + "/u.tsv")
        assertLexicellError(["u.tsv, line 3", "column \"type\"", "\"Unassigned\"", "abstention marker"]) {
            _ = try LabelTable.read(path: dir + "/u.tsv", labelColumn: "type")
        }
        XCTAssertEqual(try LabelTable.read(path: dir + "/u.tsv", labelColumn: "type", allowUnassignedLabel: true).labels, ["x", "Unassigned"])
        // The same in an h5ad obs column.
        let h5 = dir + "/u.h5ad"
        try H5ADWriter.write(path: h5, expression: nil, cells: ["A", "B"], genes: ["g"], obs: [("type", .categorical(["x", "Unassigned"]))])
        assertLexicellError(["u.h5ad", "obs column \"type\", row 1 (cell \"B\")", "abstention marker"]) {
            _ = try LabelTable.readH5AD(path: h5, column: "type")
        }
        let dup = dir + "/d.h5ad"
        try H5ADWriter.write(path: dup, expression: nil, cells: ["A", "A"], genes: ["g"], obs: [("type", .categorical(["x", "y"]))])
        assertLexicellError(["d.h5ad", "cell \"A\" appears twice (rows 0 and 1"]) { _ = try LabelTable.readH5AD(path: dup, column: "type") }
    }
}

/// h5ad files written by our writer, then corrupted with the HDF5 C API: datasets re-created with other
/// extents (declared but never written, so they cost no disk), attributes replaced, types changed.
final class HostileH5ADTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try TestData.tempDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// 4 cells × 5 genes, 5 stored values.
    private func writeValid(_ name: String) throws -> String {
        let path = dir + "/" + name
        let x = SparseMatrix(rows: 4, cols: 5, indptr: [0, 1, 3, 4, 5], indices: [0, 1, 4, 2, 3], values: [1, 2, 3, 4, 5])
        let e = ExpressionMatrix(values: x, genes: ["g1", "g2", "g3", "g4", "g5"], cells: ["c1", "c2", "c3", "c4"])
        try H5ADWriter.write(path: path, expression: e, cells: e.cells, genes: e.genes, obs: [("type", .categorical(["a", "b", "a", "b"]))])
        XCTAssertEqual(try DatasetReader.readH5AD(path: path).expression, e)
        return path
    }

    /// Opens `path` read-write for `body(fileId)`.
    private func edit(_ path: String, _ body: (hid_t) throws -> Void) rethrows {
        let readWrite: UInt32 = 1  // H5F_ACC_RDWR
        let f = H5Fopen(path, readWrite, 0)
        precondition(f >= 0, "cannot open \(path)")
        defer { H5Fclose(f) }
        try body(f)
    }

    /// Replaces dataset `name` by one of `type` with `dims`, writing `values` when given (else nothing is stored).
    private func replaceDataset(_ f: hid_t, _ name: String, type: hid_t, dims: [hsize_t], write values: UnsafeRawPointer? = nil) {
        if H5Lexists(f, name, 0) > 0 { precondition(H5Ldelete(f, name, 0) >= 0) }
        let space = H5Screate_simple(Int32(dims.count), dims, nil)
        defer { H5Sclose(space) }
        // Chunked storage: any extent is allowed and unwritten chunks take no space.
        let dcpl = H5Pcreate(H5P_CLS_DATASET_CREATE_ID_g)
        defer { H5Pclose(dcpl) }
        let chunk = dims.map { max(1, min($0, 1024)) }
        precondition(H5Pset_chunk(dcpl, Int32(chunk.count), chunk) >= 0)
        let d = H5Dcreate2(f, name, type, space, 0, dcpl, 0)
        precondition(d >= 0, "cannot create \(name)")
        if let values { precondition(H5Dwrite(d, type, 0, 0, 0, values) >= 0) }
        H5Dclose(d)
    }

    private func replaceDataset<T>(_ f: hid_t, _ name: String, type: hid_t, _ values: [T]) {
        values.withUnsafeBytes { replaceDataset(f, name, type: type, dims: [hsize_t(values.count)], write: $0.baseAddress) }
    }

    private func setShapeAttribute<T>(_ f: hid_t, type: hid_t, _ values: [T]) {
        let g = H5Oopen(f, "X", 0); defer { H5Oclose(g) }
        H5Adelete(g, "shape")
        var dims = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil); defer { H5Sclose(space) }
        let a = H5Acreate2(g, "shape", type, space, 0, 0); defer { H5Aclose(a) }
        _ = values.withUnsafeBytes { H5Awrite(a, type, $0.baseAddress) }
    }

    func testIndptrDeclaringHugeExtentIsRefusedBeforeAllocating() throws {
        let path = try writeValid("indptr.h5ad")
        edit(path) { f in replaceDataset(f, "X/indptr", type: H5T_NATIVE_INT64_g, dims: [1 << 40]) }
        assertLexicellError(["indptr.h5ad", "/X/indptr", "shape [1099511627776]", "bytes in memory"]) { _ = try DatasetReader.readH5AD(path: path) }
        // Small enough for memory, but the file stores none of it.
        edit(path) { f in replaceDataset(f, "X/indptr", type: H5T_NATIVE_INT64_g, dims: [1_000_000]) }
        assertLexicellError(["indptr.h5ad", "/X/indptr", "declares 8000000 bytes but the file stores 0 bytes"]) { _ = try DatasetReader.readH5AD(path: path) }
    }

    func testSparsePartsMustAgree() throws {
        let path = try writeValid("parts.h5ad")
        // data longer than indices
        edit(path) { f in replaceDataset(f, "X/data", type: H5T_NATIVE_FLOAT_g, [Float](repeating: 1, count: 6)) }
        assertLexicellError(["parts.h5ad", "/X: data has 6 values but indices has 5", "same length"]) { _ = try DatasetReader.readH5AD(path: path) }
        // indptr length ≠ rows + 1
        let p2 = try writeValid("len.h5ad")
        edit(p2) { f in replaceDataset(f, "X/indptr", type: H5T_NATIVE_INT64_g, [Int64(0), 1, 5]) }
        assertLexicellError(["len.h5ad", "/X: shape attribute says 4 × 5 (4 rows) but indptr has 3 entries, expected 5"]) {
            _ = try DatasetReader.readH5AD(path: p2)
        }
        // indptr[last] ≠ nnz
        let p3 = try writeValid("last.h5ad")
        edit(p3) { f in replaceDataset(f, "X/indptr", type: H5T_NATIVE_INT64_g, [Int64(0), 1, 3, 4, 9]) }
        assertLexicellError(["last.h5ad", "indptr must run from 0 to 5", "runs from 0 to 9"]) { _ = try DatasetReader.readH5AD(path: p3) }
        // not monotone
        let p4 = try writeValid("mono.h5ad")
        edit(p4) { f in replaceDataset(f, "X/indptr", type: H5T_NATIVE_INT64_g, [Int64(0), 3, 1, 4, 5]) }
        assertLexicellError(["mono.h5ad", "indptr decreases at position 2 (3 then 1)"]) { _ = try DatasetReader.readH5AD(path: p4) }
        // a column index ≥ columns
        let p5 = try writeValid("index.h5ad")
        edit(p5) { f in replaceDataset(f, "X/indices", type: H5T_NATIVE_INT32_g, [Int32(0), 1, 99, 2, 3]) }
        assertLexicellError(["index.h5ad", "index 99 at position 2 is outside 0..<5"]) { _ = try DatasetReader.readH5AD(path: p5) }
        // NaN among the values
        let p6 = try writeValid("nan.h5ad")
        edit(p6) { f in replaceDataset(f, "X/data", type: H5T_NATIVE_FLOAT_g, [Float(1), 2, .nan, 4, 5]) }
        assertLexicellError(["nan.h5ad", "/X/data: data value at position 2 is nan; expected finite numbers"]) { _ = try DatasetReader.readH5AD(path: p6) }
    }

    func testShapeAttributeIsChecked() throws {
        let path = try writeValid("shape.h5ad")
        edit(path) { f in setShapeAttribute(f, type: H5T_NATIVE_DOUBLE_g, [1e30, 5]) }
        assertLexicellError(["shape.h5ad", "/X: attribute \"shape\": value 0 is 1e+30, expected an integer that fits in 64 bits"]) {
            _ = try DatasetReader.readH5AD(path: path)
        }
        edit(path) { f in setShapeAttribute(f, type: H5T_NATIVE_INT64_g, [Int64(1) << 40, 5]) }
        assertLexicellError(["shape.h5ad", "shape attribute [1099511627776, 5] is too large"]) { _ = try DatasetReader.readH5AD(path: path) }
        edit(path) { f in setShapeAttribute(f, type: H5T_NATIVE_INT64_g, [Int64(-4), 5]) }
        assertLexicellError(["shape.h5ad", "shape attribute [-4, 5] is not two non-negative sizes"]) { _ = try DatasetReader.readH5AD(path: path) }
    }

    func testDenseXWithHugeExtentIsRefused() throws {
        let path = try writeValid("dense.h5ad")
        edit(path) { f in
            H5Ldelete(f, "X", 0)
            replaceDataset(f, "X", type: H5T_NATIVE_FLOAT_g, dims: [2_000_000_000, 2_000_000_000])
        }
        assertLexicellError(["dense.h5ad", "/X", "shape [2000000000, 2000000000]", "bytes in memory"]) { _ = try DatasetReader.readH5AD(path: path) }
        edit(path) { f in replaceDataset(f, "X", type: H5T_NATIVE_FLOAT_g, dims: [4000, 5]) }
        assertLexicellError(["dense.h5ad", "/X", "declares 80000 bytes but the file stores 0 bytes"]) { _ = try DatasetReader.readH5AD(path: path) }
        edit(path) { f in replaceDataset(f, "X", type: H5T_NATIVE_FLOAT_g, dims: [1 << 31, 2]) }
        assertLexicellError(["dense.h5ad", "/X", "dense matrix shape [2147483648, 2] is too large"]) { _ = try DatasetReader.readH5AD(path: path) }
    }

    func testStringIndexTypesAndSizesAreCheckedBeforeReading() throws {
        let path = try writeValid("index.h5ad")
        // var/_index as a compound dataset
        edit(path) { f in
            let t = H5Tcreate(H5T_COMPOUND, 8); defer { H5Tclose(t) }
            H5Tinsert(t, "a", 0, H5T_NATIVE_INT32_g); H5Tinsert(t, "b", 4, H5T_NATIVE_INT32_g)
            replaceDataset(f, "var/_index", type: t, dims: [5])
        }
        assertLexicellError(["index.h5ad", "/var/_index", "HDF5 type compound; expected strings or numbers"]) { _ = try DatasetReader.readH5AD(path: path) }
        // a variable-length sequence of integers
        edit(path) { f in
            let t = H5Tvlen_create(H5T_NATIVE_INT32_g); defer { H5Tclose(t) }
            replaceDataset(f, "var/_index", type: t, dims: [5])
        }
        assertLexicellError(["/var/_index", "variable-length sequence"]) { _ = try DatasetReader.readH5AD(path: path) }
        let vlenString: hid_t = {
            let t = H5Tcopy(H5T_C_S1_g); H5Tset_size(t, Int.max &* 2 &+ 1); return t
        }()
        defer { H5Tclose(vlenString) }
        // 2-D strings
        edit(path) { f in replaceDataset(f, "var/_index", type: vlenString, dims: [5, 2]) }
        assertLexicellError(["/var/_index", "expected a 1-D array, found shape [5, 2]"]) { _ = try DatasetReader.readH5AD(path: path) }
        // 2^35 strings declared
        edit(path) { f in replaceDataset(f, "obs/_index", type: vlenString, dims: [1 << 35]) }
        assertLexicellError(["index.h5ad", "/obs/_index", "shape [34359738368]", "bytes in memory"]) { _ = try DatasetReader.readH5AD(path: path) }
        // a million strings declared, none stored
        edit(path) { f in replaceDataset(f, "obs/_index", type: vlenString, dims: [1_000_000]) }
        assertLexicellError(["/obs/_index", "the file stores 0 bytes"]) { _ = try DatasetReader.readH5AD(path: path) }
        // fixed-length strings of 2^40 bytes each
        edit(path) { f in
            let t = H5Tcopy(H5T_C_S1_g); H5Tset_size(t, 1 << 40); defer { H5Tclose(t) }
            replaceDataset(f, "obs/_index", type: t, dims: [4])
        }
        assertLexicellError(["index.h5ad", "/obs/_index"]) { _ = try DatasetReader.readH5AD(path: path) }
        // categories of the obs column as a compound
        let p2 = try writeValid("cat.h5ad")
        edit(p2) { f in
            let t = H5Tcreate(H5T_COMPOUND, 4); defer { H5Tclose(t) }
            H5Tinsert(t, "a", 0, H5T_NATIVE_INT32_g)
            replaceDataset(f, "obs/type/categories", type: t, dims: [2])
        }
        assertLexicellError(["cat.h5ad", "/obs/type/categories", "compound"]) { _ = try DatasetReader.readH5AD(path: p2) }
    }
}
