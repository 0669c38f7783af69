import CBLAS

/// Matrix products through OpenBLAS. All matrices are row-major Float32.
public enum LinearAlgebra {
    /// C = alpha · op(A) · op(B) + beta · C, written into `c` (which must be sized m × n).
    public static func gemm(
        _ a: UnsafePointer<Float>, rowsA: Int, colsA: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, rowsB: Int, colsB: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>, alpha: Float = 1, beta: Float = 0
    ) {
        guard
            let (m, n, k) = gemmShape(
                rowsA: rowsA, colsA: colsA, transposeA: transposeA, rowsB: rowsB, colsB: colsB,
                transposeB: transposeB, c: c, beta: beta)
        else { return }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(colsA), b, Int32(colsB), beta, c, Int32(n))
    }

    /// The Float64 twin of `gemm` (finite-difference checks run the same code in double precision).
    public static func gemm(
        _ a: UnsafePointer<Double>, rowsA: Int, colsA: Int, transposeA: Bool,
        _ b: UnsafePointer<Double>, rowsB: Int, colsB: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Double>, alpha: Double = 1, beta: Double = 0
    ) {
        guard
            let (m, n, k) = gemmShape(
                rowsA: rowsA, colsA: colsA, transposeA: transposeA, rowsB: rowsB, colsB: colsB,
                transposeB: transposeB, c: c, beta: beta)
        else { return }
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(colsA), b, Int32(colsB), beta, c, Int32(n))
    }

    /// m, n, k of op(A) · op(B), or nil when there is nothing for BLAS to do (an empty product, or k = 0, where
    /// C becomes beta · C).
    private static func gemmShape<T: FloatingPoint>(
        rowsA: Int, colsA: Int, transposeA: Bool, rowsB: Int, colsB: Int,
        transposeB: Bool, c: UnsafeMutablePointer<T>, beta: T
    ) -> (Int, Int, Int)? {
        let m = transposeA ? colsA : rowsA
        let k = transposeA ? rowsA : colsA
        let n = transposeB ? rowsB : colsB
        precondition(k == (transposeB ? colsB : rowsB), "gemm: inner dimensions differ")
        guard m > 0, n > 0 else { return nil }
        if k == 0 {
            if beta == 0 { c.update(repeating: 0, count: m * n) } else { for i in 0..<(m * n) { c[i] *= beta } }
            return nil
        }
        return (m, n, k)
    }

    /// op(A) · op(B) as a new matrix.
    public static func matmul(
        _ a: DenseMatrix, _ b: DenseMatrix, transposeA: Bool = false,
        transposeB: Bool = false, alpha: Float = 1
    ) -> DenseMatrix {
        let m = transposeA ? a.cols : a.rows
        let n = transposeB ? b.rows : b.cols
        var out = DenseMatrix(rows: m, cols: n)
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                out.values.withUnsafeMutableBufferPointer { pc in
                    gemm(
                        pa.baseAddress!, rowsA: a.rows, colsA: a.cols, transposeA: transposeA,
                        pb.baseAddress!, rowsB: b.rows, colsB: b.cols, transposeB: transposeB,
                        into: pc.baseAddress!, alpha: alpha)
                }
            }
        }
        return out
    }

    /// Number of threads OpenBLAS uses.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}

extension LinearAlgebra {
    /// Makes the rows of `a` (l × g, l ≤ g) an orthonormal basis of their span: Householder QR (LAPACK
    /// sgeqrf + sorgqr) of the column-major g × l matrix the rows form.
    public static func orthonormalizeRows(_ a: inout DenseMatrix) throws {
        var m = Int32(a.cols), n = Int32(a.rows), lda = Int32(a.cols), info: Int32 = 0
        var tau = [Float](repeating: 0, count: a.rows)
        var workSize: Float = 0, query: Int32 = -1
        sgeqrf_(&m, &n, &a.values, &lda, &tau, &workSize, &query, &info)
        guard info == 0 else { throw LexicellError("LAPACK sgeqrf workspace query failed (info \(info))") }
        var lwork = Int32(workSize)
        var work = [Float](repeating: 0, count: max(1, Int(lwork)))
        sgeqrf_(&m, &n, &a.values, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw LexicellError("LAPACK sgeqrf failed (info \(info))") }
        var k = n
        lwork = -1
        sorgqr_(&m, &n, &k, &a.values, &lda, &tau, &workSize, &lwork, &info)
        guard info == 0 else { throw LexicellError("LAPACK sorgqr workspace query failed (info \(info))") }
        lwork = Int32(workSize)
        work = [Float](repeating: 0, count: max(1, Int(lwork)))
        sorgqr_(&m, &n, &k, &a.values, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw LexicellError("LAPACK sorgqr failed (info \(info))") }
    }

    /// The `count` largest eigenpairs of a symmetric `size` × `size` matrix (row-major; only its upper triangle is
    /// read) through LAPACK dsyevr: eigenvalues in descending order and their unit eigenvectors as rows
    /// (count × size, row-major). Throws when the shape is not that (or count > size), or LAPACK fails or finds fewer
    /// than `count` pairs.
    public static func largestEigenpairs(symmetric a: [Double], size n: Int, count k: Int) throws -> (values: [Double], vectors: [Double]) {
        guard n >= 1, (1...n).contains(k), a.count == n * n else {
            throw LexicellError("largestEigenpairs: \(k) eigenpairs of a \(n) × \(n) matrix given \(a.count) values; expected 1 ≤ count ≤ size")
        }
        var matrix = a
        var jobz = CChar(UInt8(ascii: "V")), range = CChar(UInt8(ascii: "I")), uplo = CChar(UInt8(ascii: "U"))
        var nn = Int32(n), lda = Int32(n), ldz = Int32(n)
        var vl = 0.0, vu = 0.0, il = Int32(n - k + 1), iu = Int32(n), abstol = 0.0
        var found: Int32 = 0, info: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * k)
        var isuppz = [Int32](repeating: 0, count: 2 * max(1, k))
        var workSize = 0.0, iworkSize: Int32 = 0, query: Int32 = -1
        dsyevr_(
            &jobz, &range, &uplo, &nn, &matrix, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz,
            &isuppz, &workSize, &query, &iworkSize, &query, &info)
        guard info == 0 else { throw LexicellError("LAPACK dsyevr workspace query failed (info \(info))") }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevr_(
            &jobz, &range, &uplo, &nn, &matrix, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz,
            &isuppz, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0, Int(found) == k else {
            throw LexicellError("LAPACK dsyevr failed (info \(info), \(found) of \(k) eigenpairs)")
        }
        // LAPACK returns ascending order, eigenvectors as columns of the column-major z.
        var values = [Double](), vectors = [Double]()
        values.reserveCapacity(k); vectors.reserveCapacity(k * n)
        for j in stride(from: k - 1, through: 0, by: -1) {
            values.append(w[j])
            vectors.append(contentsOf: z[(j * n)..<((j + 1) * n)])
        }
        return (values, vectors)
    }
}
