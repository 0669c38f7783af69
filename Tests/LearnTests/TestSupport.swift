import LexicellCore
@testable import LexicellLearn
import XCTest

func randomTensor(rows: Int, cols: Int, generator g: inout SeededGenerator, scale: Double = 1) -> Tensor<Double> {
    let t = Tensor<Double>(rows: rows, cols: cols)
    for i in 0..<t.count { t.pointer[i] = scale * g.nextGaussian() }
    return t
}

/// Largest deviation between the analytic gradient and central finite differences, relative to the largest
/// finite-difference entry: max_i |g_i − fd_i| / max_i |fd_i|.
func finiteDifferenceError(
    analytic: [Double], parameter: Tensor<Double>, step h: Double = 1e-6,
    loss: () -> Double
) -> Double {
    let (worst, scale) = finiteDifferenceDeviation(analytic: analytic, parameter: parameter, step: h, loss: loss)
    XCTAssertGreaterThan(scale, 1e-8, "finite differences are all zero: the check would be vacuous")
    return worst / scale
}

/// (max_i |g_i − fd_i|, max_i |fd_i|).
func finiteDifferenceDeviation(
    analytic: [Double], parameter: Tensor<Double>, step h: Double = 1e-6,
    loss: () -> Double
) -> (worst: Double, scale: Double) {
    precondition(analytic.count == parameter.count)
    var worst = 0.0, scale = 0.0
    for i in 0..<parameter.count {
        let saved = parameter.pointer[i]
        parameter.pointer[i] = saved + h
        let up = loss()
        parameter.pointer[i] = saved - h
        let down = loss()
        parameter.pointer[i] = saved
        let numeric = (up - down) / (2 * h)
        worst = max(worst, abs(numeric - analytic[i]))
        scale = max(scale, abs(numeric))
    }
    return (worst, scale)
}

func dot(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a.pointer[i] * b.pointer[i] }
    return s
}

/// Gaussian class clusters whose class signal sits in a few dimensions while the rest carry large
/// nuisance noise, so raw cosine nearest-centroid is weak and a learned encoder can do much better.
struct SyntheticViews {
    var view1: DenseMatrix
    var view2: DenseMatrix
    var labels: [Int]

    init(classes: Int, cellsPerClass: Int, dim: Int, signalDims: Int, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        var centers = [[Double]]()
        for _ in 0..<classes { centers.append((0..<signalDims).map { _ in 2 * g.nextGaussian() }) }
        var v1 = [Float](), v2 = [Float]()
        labels = []
        for cell in 0..<(classes * cellsPerClass) {
            let k = cell % classes
            labels.append(k)
            var latent = [Double](repeating: 0, count: dim)
            for j in 0..<dim {
                latent[j] = j < signalDims ? centers[k][j] + 0.3 * g.nextGaussian() : 3 * g.nextGaussian()
            }
            for j in 0..<dim { v1.append(Float(latent[j] + 0.2 * g.nextGaussian())) }
            for j in 0..<dim { v2.append(Float(latent[j] + 0.2 * g.nextGaussian())) }
        }
        view1 = DenseMatrix(rows: labels.count, cols: dim, values: v1)
        view2 = DenseMatrix(rows: labels.count, cols: dim, values: v2)
    }
}
