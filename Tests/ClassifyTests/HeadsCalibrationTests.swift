import XCTest
import LexicellCore
@testable import LexicellClassify

final class HeadsCalibrationTests: XCTestCase {
    /// Five cells, four bins (0, .25], (.25, .5], (.5, .75], (.75, 1] (values exact in Float32).
    /// Bin 4: confidences 0.875 ✓, 1.0 ✓ → accuracy 1, confidence 0.9375, gap 0.0625 × 2/5 = 0.025.
    /// Bin 3: 0.75 ✗, 0.625 ✓, 0.5625 ✗ → accuracy 1/3, confidence 0.6458333, gap 0.3125 × 3/5 = 0.1875.
    /// ECE = 0.2125.
    func testECEByHand() {
        let p = DenseMatrix(rowArrays: [[0.875, 0.125], [0.75, 0.25], [0.375, 0.625], [0.4375, 0.5625], [0, 1]])
        let labels = [0, 1, 1, 0, 1]
        let (ece, table) = Calibration.expectedCalibrationError(probabilities: p, labels: labels, bins: 4)
        XCTAssertEqual(ece, 0.2125, accuracy: 1e-12)
        XCTAssertEqual(table.map(\.count), [0, 0, 3, 2])
        XCTAssertEqual(table[2].accuracy, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(table[2].meanConfidence, 1.9375 / 3, accuracy: 1e-12)
        XCTAssertEqual(table[3].meanConfidence, 0.9375, accuracy: 1e-12)
        XCTAssertEqual(table[3].lower, 0.75)
        XCTAssertEqual(Calibration.assign(probabilities: p, threshold: 0.7), [0, 0, -1, -1, 1])
        XCTAssertEqual(
            Calibration.logLoss(probabilities: p, labels: labels),
            -(log(0.875) + log(0.25) + log(0.625) + log(0.4375) + log(1)) / 5, accuracy: 1e-7)
    }

    /// Against scikit-learn (scripts/heads_calibration_reference.py): _sigmoid_calibration a = −0.5871028757,
    /// b = 0.1222404053 (its L-BFGS gtol is 1e-6, so tolerance 1e-5); IsotonicRegression(clip) predictions.
    func testPlattAndIsotonicMatchScikitLearn() throws {
        let s: [Float] = [-2, -1.5, -1, -0.5, -0.5, 0, 0.25, 0.5, 1, 1.5, 2, 3]
        let positive = [0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1]
        // Two columns: class 1's score s and class 0's score −s; labels 1 where positive.
        let scores = DenseMatrix(rowArrays: s.map { [-$0, $0] })
        let platt = try PlattCalibrator.fit(scores: scores, labels: positive)
        XCTAssertEqual(platt.a[1], -0.5871028757, accuracy: 1e-5)
        XCTAssertEqual(platt.b[1], 0.1222404053, accuracy: 1e-5)
        let iso = try IsotonicCalibrator.fit(scores: scores, labels: positive)
        let queries: [Float] = [-3, -0.5, 0.1, 0.75, 1.25, 2.5, 4]
        let expected = [0.0, 0.3333333333, 0.5, 0.6666666667, 0.6666666667, 1.0, 1.0]
        for (q, e) in zip(queries, expected) {
            XCTAssertEqual(iso.classProbability(1, score: Double(q)), e, accuracy: 1e-9, "isotonic at \(q)")
        }
        XCTAssertEqual(IsotonicCalibrator.poolAdjacentViolators([1, 0, 0, 1], weights: [1, 1, 1, 1]), [1.0 / 3, 1.0 / 3, 1.0 / 3, 1])
        // Both columns: rows are normalised per-class probabilities.
        let both = iso.apply(DenseMatrix(rowArrays: queries.map { [-$0, $0] }))
        for r in 0..<both.rows { XCTAssertEqual(Double(both[r, 0] + both[r, 1]), 1, accuracy: 1e-6) }
        XCTAssertThrowsError(try PlattCalibrator.fit(scores: scores, labels: [0, 1])) { e in
            XCTAssertTrue("\(e)".contains("12 score rows but 2 labels"), "\(e)")
        }
    }

    func testVoteFractions() {
        let ref = DenseMatrix(rowArrays: [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
        let knn = KNNClassifier(reference: ref, labels: [0, 0, 1, 1], classCount: 3)
        let q = DenseMatrix(rowArrays: [[1, 0.05]])
        let f = knn.voteFractions(knn.neighbors(of: q, k: 3), k: 3)
        XCTAssertEqual(f.values, [2.0 / 3, 1.0 / 3, 0])
    }

    /// Held-out Romanov cells (fixture split): a linear SVM's softmax-of-decision "probabilities" versus Platt
    /// scaling fitted on 5-fold out-of-fold decision values of the training cells. Platt must lower the ECE.
    func testPlattLowersECEOnRomanovSVM() throws {
        let data = try HeadsFixture.romanov()
        let train = data.train, test = data.test
        let xt = data.x.selectingRows(train), yt = train.map { data.labels[$0] }
        let xv = data.x.selectingRows(test), yv = test.map { data.labels[$0] }
        let k = data.classCount
        let options = LinearSVM.Options(c: 0.01, tolerance: 1e-5)
        let oof = try HeadSelection.outOfFoldScores(xt, labels: yt, classCount: k, folds: 5, seed: 1) { a, la, b in
            try LinearSVM.fit(a, labels: la, classCount: k, options: options).decision(b)
        }
        let platt = try PlattCalibrator.fit(scores: oof, labels: yt)
        let svm = try LinearSVM.fit(xt, labels: yt, classCount: k, options: options)
        var raw = svm.decision(xv)
        let calibrated = platt.apply(raw)
        HeadsSoftmax.rowsInPlace(&raw)
        let before = Calibration.expectedCalibrationError(probabilities: raw, labels: yv).ece
        let after = Calibration.expectedCalibrationError(probabilities: calibrated, labels: yv).ece
        print("Romanov SVM held-out ECE: softmax of decision \(before), Platt \(after)")
        XCTAssertLessThan(after, before)
        // Platt keeps the SVM's ranking within a class, and probabilities are proper.
        for r in 0..<calibrated.rows {
            let s = (0..<k).reduce(Float(0)) { $0 + calibrated[r, $1] }
            XCTAssertEqual(Double(s), 1, accuracy: 1e-5)
        }
    }
}
