import XCTest
import LexicellCore
@testable import LexicellCells

/// Hand-computed and independently computed (numpy, skmisc) checks of each baseline step.
final class ExpressionTests: XCTestCase {
    func testNormalizeTotalAndLog1pHandComputed() {
        // Row totals 10 and 0 (an empty cell stays empty).
        let m = SparseMatrix(dense: DenseMatrix(rowArrays: [[1, 3, 0, 6], [0, 0, 0, 0], [2, 0, 2, 0]]))
        let n = ExpressionPreprocessing.normalizeTotal(m, targetSum: 1e4)
        XCTAssertEqual(n.toDense().values, [1000, 3000, 0, 6000, 0, 0, 0, 0, 5000, 0, 5000, 0])
        let l = ExpressionPreprocessing.log1p(n).toDense()
        XCTAssertEqual(l[0, 0], 6.908755, accuracy: 1e-5)  // ln(1001)
        XCTAssertEqual(l[0, 3], 8.699681, accuracy: 1e-5)  // ln(6001)
        XCTAssertEqual(l[2, 2], 8.517393, accuracy: 1e-5)  // ln(5001)
        XCTAssertEqual(l[0, 2], 0)
    }

    func testGeneMeanVarianceHandComputed() {
        let m = SparseMatrix(dense: DenseMatrix(rowArrays: [[1, 0], [2, 0], [3, 5], [4, 0]]))
        let (mean, variance) = ExpressionPreprocessing.geneMeanVariance(m)
        XCTAssertEqual(mean[0], 2.5, accuracy: 1e-12)
        XCTAssertEqual(variance[0], 5.0 / 3.0, accuracy: 1e-12)  // Σ(x−2.5)² = 5, n − 1 = 3
        XCTAssertEqual(mean[1], 1.25, accuracy: 1e-12)
        XCTAssertEqual(variance[1], (3.75 * 3.75 + 3 * 1.25 * 1.25) / 3, accuracy: 1e-12)
    }

    func testScaleWithClipHandComputed() {
        // Column 0: 1,2,3,4 → mean 2.5, sd sqrt(5/3). Column 1: 200 zeros and one 1 → z of the 1 is 14.107,
        // clipped to 10. Column 2: constant → sd set to 1, scaled to 0.
        var rows = [[Float]]()
        for i in 0..<201 { rows.append([Float(i % 4 + 1), i == 200 ? 1 : 0, 7]) }
        let x = DenseMatrix(rowArrays: rows)
        let scaler = ExpressionScaler.fit(x, maxValue: 10)
        // Column 0 over 201 rows: 51 ones, 50 each of 2,3,4 → mean and sd computed by hand:
        let mean0: Double = 501.0 / 201  // (51·1 + 50·2 + 50·3 + 50·4) / 201
        let deviations: [Double] = [1 - mean0, 2 - mean0, 3 - mean0, 4 - mean0]
        let ss0: Double =
            51 * deviations[0] * deviations[0] + 50 * deviations[1] * deviations[1]
            + 50 * deviations[2] * deviations[2] + 50 * deviations[3] * deviations[3]
        XCTAssertEqual(Double(scaler.means[0]), mean0, accuracy: 1e-6)
        XCTAssertEqual(Double(scaler.standardDeviations[0]), (ss0 / 200).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(Double(scaler.means[1]), 1.0 / 201, accuracy: 1e-7)
        let sd = ((1 - 1.0 / 201) / 200).squareRoot()  // 0.0705339
        XCTAssertEqual(Double(scaler.standardDeviations[1]), sd, accuracy: 1e-7)
        XCTAssertEqual(scaler.standardDeviations[2], 1)
        let y = scaler.apply(x)
        XCTAssertEqual(y[200, 1], 10)  // 14.107 clipped
        XCTAssertEqual(Double(y[0, 1]), -(1.0 / 201) / sd, accuracy: 1e-5)  // −0.070534
        XCTAssertEqual(y[5, 2], 0)
        // Applied to new cells with the fitted parameters, clipped on both sides.
        let other = scaler.apply(DenseMatrix(rowArrays: [[2.5, 5, 7], [1, -1, 8]]))
        XCTAssertEqual(other[0, 1], 10)
        XCTAssertEqual(other[1, 1], -10)
        XCTAssertEqual(other[1, 2], 1)
        XCTAssertEqual(Double(other[1, 0]), (1 - mean0) / (ss0 / 200).squareRoot(), accuracy: 1e-5)
    }

    /// Reference: numpy SVD, scripts/baseline_reference_values.py.
    func testPCAAgainstNumpySVD() throws {
        let x = DenseMatrix(rowArrays: [
            [2.0, 0.5, 1.0, 3.0], [1.0, 1.5, 0.0, 2.0], [4.0, 0.0, 2.0, 1.0],
            [3.0, 2.5, 1.0, 0.0], [0.0, 1.0, 3.0, 2.5], [1.5, 2.0, 0.5, 1.0],
        ])
        let expectedVariance: [Float] = [2.71688632, 1.70812792, 0.85065487]
        let expectedRatio: [Float] = [0.50941618, 0.32027398, 0.15949779]
        let expectedComponents: [Float] = [
            0.79081454, 0.10802614, -0.18123007, -0.57454189,
            -0.4095089, 0.64778185, -0.58918453, -0.25601313,
            -0.23603399, 0.34380653, 0.75919038, -0.4997149,
        ]
        let expectedScores: [Float] = [-0.37146291, 0.51007482, 0.23211562]
        for useGram in [false, true] {
            let pca = try ExpressionPCA.fit(x, components: 3, useGram: useGram)
            for j in 0..<3 {
                XCTAssertEqual(pca.explainedVariance[j], expectedVariance[j], accuracy: 1e-5)
                XCTAssertEqual(pca.explainedVarianceRatio[j], expectedRatio[j], accuracy: 1e-6)
            }
            for i in 0..<12 { XCTAssertEqual(pca.components.values[i], expectedComponents[i], accuracy: 1e-5, "gram \(useGram)") }
            let s = pca.transform(DenseMatrix(rowArrays: [[1, 1, 1, 1]]))
            for j in 0..<3 { XCTAssertEqual(s.values[j], expectedScores[j], accuracy: 1e-5) }
        }
    }

    func testPCAGramAndCovarianceRoutesAgreeOnWideData() throws {
        var rng = SeededGenerator(seed: 11)
        let x = DenseMatrix(rows: 12, cols: 40, values: (0..<480).map { i in Float(rng.nextGaussian()) * Float(1 + (i % 40) / 10) })
        let a = try ExpressionPCA.fit(x, components: 5, useGram: true)
        let b = try ExpressionPCA.fit(x, components: 5, useGram: false)
        for j in 0..<5 { XCTAssertEqual(a.explainedVarianceRatio[j], b.explainedVarianceRatio[j], accuracy: 1e-5) }
        for i in 0..<a.components.values.count { XCTAssertEqual(a.components.values[i], b.components.values[i], accuracy: 1e-4) }
        XCTAssertThrowsError(try ExpressionPCA.fit(x, components: 12))
    }

    /// Reference: skmisc.loess(span 0.3, degree 2) fitted values, in the fixture.
    func testLoessMatchesSkmisc() throws {
        let f = ExpressionTestData.fixture
        let interpolated = try ExpressionLoess.fit(x: f.loess_x, y: f.loess_y, span: 0.3, degree: 2, surface: .interpolate)
        let direct = try ExpressionLoess.fit(x: f.loess_x, y: f.loess_y, span: 0.3, degree: 2, surface: .direct)
        let maxInterp = zip(interpolated, f.loess_fitted_interpolate).map { abs($0 - $1) }.max()!
        let maxDirect = zip(direct, f.loess_fitted_direct).map { abs($0 - $1) }.max()!
        print("LOESS max |Swift − skmisc|: interpolate \(maxInterp), direct \(maxDirect)")
        XCTAssertLessThan(maxInterp, 1e-6)
        XCTAssertLessThan(maxDirect, 1e-6)
        XCTAssertThrowsError(try ExpressionLoess.fit(x: [1, 2, 3], y: [1, 2], span: 0.3))
    }

    func testDispersionBinsHandComputed() throws {
        // Three genes over 4 cells in log1p space; everything lands in one of 20 bins.
        // A gene with no variance has NaN dispersion and is never selected.
        let raw: [[Double]] = [[0, 5, 1], [0, 5, 9], [0, 5, 1], [0, 5, 9]]
        let logged = DenseMatrix(rowArrays: raw.map { $0.map { Float(Foundation.log1p($0)) } })
        let genes = try ExpressionPreprocessing.highlyVariableGenesDispersion(logNormalized: SparseMatrix(dense: logged), nTopGenes: 1)
        XCTAssertEqual(genes, [2])
    }
}
