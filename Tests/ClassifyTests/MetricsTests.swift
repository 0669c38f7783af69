import XCTest
@testable import LexicellClassify

final class MetricsTests: XCTestCase {
    /// Expected values from scikit-learn 1.x (scripts/metrics_reference.py); tolerance 1e-12.
    func testMatchesScikitLearnOnFixedExample() {
        let truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 0, 1, 2]
        let pred = [0, 0, 1, 0, 1, 2, 1, 2, 2, 0, 2, 3, 0, 1, 1]
        let m = ClassificationMetrics(truth: truth, predicted: pred, classNames: ["a", "b", "c", "d"])
        XCTAssertEqual(m.accuracy, 0.6666666666666666, accuracy: 1e-12)
        XCTAssertEqual(m.weightedF1, 0.6844444444444444, accuracy: 1e-12)
        XCTAssertEqual(m.macroF1, 0.5166666666666667, accuracy: 1e-12)
        XCTAssertEqual(m.kappa, 0.5192307692307692, accuracy: 1e-12)
        XCTAssertEqual(m.balancedAccuracy, 0.6833333333333332, accuracy: 1e-12)
        let expectedP = [0.8, 0.6, 0.75, 0.0], expectedR = [0.8, 0.75, 0.5, 0.0], expectedF = [0.8, 0.6666666666666666, 0.6, 0.0]
        for i in 0..<4 {
            XCTAssertEqual(m.perClass[i].precision, expectedP[i], accuracy: 1e-12)
            XCTAssertEqual(m.perClass[i].recall, expectedR[i], accuracy: 1e-12)
            XCTAssertEqual(m.perClass[i].f1, expectedF[i], accuracy: 1e-12)
        }
        XCTAssertEqual(m.perClass.map(\.support), [5, 4, 6, 0])
        XCTAssertEqual(m.confusion[2], [1, 1, 3, 1])
    }

    /// Hand-computed: 2 classes, truth [0,0,1,1], prediction [0,1,1,1]. Accuracy 3/4; class 0 P=1 R=1/2 F1=2/3;
    /// class 1 P=2/3 R=1 F1=4/5; p_e = (2·1 + 2·3)/16 = 1/2, kappa = (3/4 − 1/2)/(1/2) = 1/2.
    func testHandComputedBinaryCase() {
        let m = ClassificationMetrics(truth: [0, 0, 1, 1], predicted: [0, 1, 1, 1], classNames: ["x", "y"])
        XCTAssertEqual(m.accuracy, 0.75, accuracy: 1e-15)
        XCTAssertEqual(m.kappa, 0.5, accuracy: 1e-15)
        XCTAssertEqual(m.macroF1, (2.0 / 3 + 0.8) / 2, accuracy: 1e-15)
        XCTAssertEqual(m.weightedF1, (2.0 / 3 + 0.8) / 2, accuracy: 1e-15)
        XCTAssertEqual(m.balancedAccuracy, 0.75, accuracy: 1e-15)
    }
}
