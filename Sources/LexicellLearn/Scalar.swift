import CBLAS
import Foundation
import LexicellCore

/// The element types the network runs in: Float32 for training, Float64 for finite-difference checks.
/// The same generic code serves both, so the checked Float64 path is the trained Float32 path.
protocol LearnScalar: BinaryFloatingPoint, Codable, Sendable {
    /// C = alpha · op(A) · op(B) + beta · C, row-major, through BLAS.
    static func gemm(
        _ a: UnsafePointer<Self>, rowsA: Int, colsA: Int, transposeA: Bool,
        _ b: UnsafePointer<Self>, rowsB: Int, colsB: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Self>, alpha: Self, beta: Self)
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
    init(_ x: Float)
    var float: Float { get }
}

extension Float: LearnScalar {
    @inline(__always)
    static func gemm(
        _ a: UnsafePointer<Float>, rowsA: Int, colsA: Int, transposeA: Bool,
        _ b: UnsafePointer<Float>, rowsB: Int, colsB: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float
    ) {
        LinearAlgebra.gemm(
            a, rowsA: rowsA, colsA: colsA, transposeA: transposeA,
            b, rowsB: rowsB, colsB: colsB, transposeB: transposeB, into: c, alpha: alpha, beta: beta)
    }
    @inline(__always) static func exponential(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func logarithm(_ x: Float) -> Float { logf(x) }
    @inline(__always) var float: Float { self }
}

extension Double: LearnScalar {
    static func gemm(
        _ a: UnsafePointer<Double>, rowsA: Int, colsA: Int, transposeA: Bool,
        _ b: UnsafePointer<Double>, rowsB: Int, colsB: Int, transposeB: Bool,
        into c: UnsafeMutablePointer<Double>, alpha: Double, beta: Double
    ) {
        LinearAlgebra.gemm(
            a, rowsA: rowsA, colsA: colsA, transposeA: transposeA,
            b, rowsB: rowsB, colsB: colsB, transposeB: transposeB, into: c, alpha: alpha, beta: beta)
    }
    static func exponential(_ x: Double) -> Double { exp(x) }
    static func logarithm(_ x: Double) -> Double { log(x) }
    var float: Float { Float(self) }
}

/// A row-major matrix in one manually owned buffer: the network's activations, parameters and gradients.
/// A class so layers can hold and refill the same buffers every step without copy-on-write checks.
final class Tensor<T: LearnScalar> {
    let rows: Int
    let cols: Int
    let pointer: UnsafeMutablePointer<T>
    var count: Int { rows * cols }

    init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        pointer = .allocate(capacity: max(rows * cols, 1))
        pointer.initialize(repeating: 0, count: max(rows * cols, 1))
    }

    convenience init(rows: Int, cols: Int, values: [T]) {
        precondition(values.count == rows * cols)
        self.init(rows: rows, cols: cols)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    var values: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    func copy(from other: Tensor<T>) {
        precondition(other.count == count)
        pointer.update(from: other.pointer, count: count)
    }

    func fill(_ value: T) { pointer.update(repeating: value, count: count) }

    subscript(r: Int, c: Int) -> T {
        get { pointer[r * cols + c] }
        set { pointer[r * cols + c] = newValue }
    }
}

extension Tensor where T == Float {
    convenience init(_ m: DenseMatrix) { self.init(rows: m.rows, cols: m.cols, values: m.values) }
    var dense: DenseMatrix { DenseMatrix(rows: rows, cols: cols, values: values) }
}
