import XCTest
@testable import LexicellCore

final class CoreTests: XCTestCase {
    func testGemmAgainstHandComputed() {
        let a = DenseMatrix(rowArrays: [[1, 2, 3], [4, 5, 6]])
        let b = DenseMatrix(rowArrays: [[7, 8], [9, 10], [11, 12]])
        XCTAssertEqual(LinearAlgebra.matmul(a, b).values, [58, 64, 139, 154])
        XCTAssertEqual(LinearAlgebra.matmul(a, a, transposeB: true).values, [14, 32, 32, 77])
        XCTAssertEqual(LinearAlgebra.matmul(a, a, transposeA: true).values, [17, 22, 27, 22, 29, 36, 27, 36, 45])
    }

    func testDoubleGemmAgainstHandComputed() {
        let a: [Double] = [1, 2, 3, 4, 5, 6], b: [Double] = [7, 8, 9, 10, 11, 12]
        var c = [Double](repeating: 1, count: 4)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    LinearAlgebra.gemm(
                        pa.baseAddress!, rowsA: 2, colsA: 3, transposeA: false, pb.baseAddress!, rowsB: 3, colsB: 2,
                        transposeB: false, into: pc.baseAddress!, alpha: 2, beta: 1)
                }
            }
        }
        // 2·[58 64; 139 154] + 1
        XCTAssertEqual(c, [117, 129, 279, 309])
    }

    /// [[2, 1], [1, 2]] has eigenpairs 3, (1, 1)/√2 and 1, (1, −1)/√2 (by hand); the largest comes first, and a count
    /// above the size is an error, not a crash.
    func testLargestEigenpairsAgainstHandComputed() throws {
        let (values, vectors) = try LinearAlgebra.largestEigenpairs(symmetric: [2, 1, 1, 2], size: 2, count: 2)
        XCTAssertEqual(values[0], 3, accuracy: 1e-12)
        XCTAssertEqual(values[1], 1, accuracy: 1e-12)
        let h = 0.5.squareRoot()
        XCTAssertEqual(abs(vectors[0] * h + vectors[1] * h), 1, accuracy: 1e-12)
        XCTAssertEqual(abs(vectors[2] * h - vectors[3] * h), 1, accuracy: 1e-12)
        let top = try LinearAlgebra.largestEigenpairs(symmetric: [2, 1, 1, 2], size: 2, count: 1)
        XCTAssertEqual(top.values.count, 1)
        XCTAssertEqual(top.values[0], 3, accuracy: 1e-12)
        XCTAssertThrowsError(try LinearAlgebra.largestEigenpairs(symmetric: [2, 1, 1, 2], size: 2, count: 3))
        XCTAssertThrowsError(try LinearAlgebra.largestEigenpairs(symmetric: [2, 1, 1], size: 2, count: 1))
    }

    /// Rows of the parts in turn.
    func testStackingRows() {
        let a = DenseMatrix(rows: 1, cols: 2, values: [1, 2]), b = DenseMatrix(rows: 2, cols: 2, values: [3, 4, 5, 6])
        XCTAssertEqual(DenseMatrix.stackingRows([a, b]), DenseMatrix(rows: 3, cols: 2, values: [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(DenseMatrix.stackingRows([b]), b)
    }

    func testSparseTripletsSumDuplicatesDropZerosAndKeepCleanRows() {
        let m = SparseMatrix(rows: 3, cols: 3, rowIndex: [0, 0, 2, 2, 1, 2], colIndex: [2, 0, 1, 1, 0, 0], values: [1, 2, 3, 4, 0, 5])
        XCTAssertEqual(m.toDense().values, [2, 0, 1, 0, 0, 0, 5, 7, 0])
        XCTAssertEqual(m.indptr, [0, 2, 2, 4])
        XCTAssertEqual(m.indices, [0, 2, 0, 1])
    }
}
