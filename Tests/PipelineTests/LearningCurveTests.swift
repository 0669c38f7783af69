import LexicellTestSupport
import XCTest
@testable import Lexicell

/// Learning curves: training cells subsampled per class with the seed, test cells fixed, every method alike.
final class LearningCurveTests: XCTestCase {
    func testSubsamplingNeverTouchesTestCells() {
        // 3 classes of 30, 12 and 4 cells.
        let labels = [Int](repeating: 0, count: 30) + [Int](repeating: 1, count: 12) + [Int](repeating: 2, count: 4)
        var full = EvaluationProtocol()
        let (allTrain, test) = full.split(labels: labels, seed: 3)
        for n in [1, 2, 3, 5, 10, 20] {
            full.trainPerClass = n
            let (train, t) = full.split(labels: labels, seed: 3)
            XCTAssertEqual(t, test, "the test cells do not depend on the training size")
            XCTAssertTrue(Set(train).isSubset(of: Set(allTrain)))
            for c in 0..<3 {
                let available = allTrain.filter { labels[$0] == c }.count
                XCTAssertEqual(train.filter { labels[$0] == c }.count, min(n, available), "class \(c) at \(n) per class")
            }
            // Deterministic for a seed, different for another.
            XCTAssertEqual(full.split(labels: labels, seed: 3).train, train)
        }
        full.trainPerClass = 2
        XCTAssertNotEqual(full.split(labels: labels, seed: 3).train, full.split(labels: labels, seed: 4).train)
    }

    func testEveryMethodSeesTheSameSubsampleAndAutoSaysWhatItDidWithOneCell() throws {
        setenv("LEXICELL_DATA", Repository.data, 1)
        var request = DatasetRequest(data: Repository.romanov)
        request.labels = Repository.romanov + "/cell_metadata.csv"
        request.classesFile = Repository.data + "/subsets/romanov_gaba6.txt"
        let data = try request.loadLabelled(log: { _ in })
        let features = ExpressionFeatures(expression: data.expression)
        let pca = ExpressionRepresentation(name: "expression PCA", kind: .pcs, features: features)
        let hvg = ExpressionRepresentation(name: "scaled HVG expression", kind: .scaledGenes, features: features)
        var selection = SelectionSettings()
        selection.grids.logisticC = [0.1, 1]
        var auto = selection.method(name: "auto", candidates: [MethodCandidate(hvg, .logistic), MethodCandidate(pca, .knn)])
        auto.preferred = 0
        var p = EvaluationProtocol()
        for n in [1, 3] {
            p.trainPerClass = n
            let (knn, _) = try KNNMethod(pca).evaluate(labels: data.labels, classNames: data.classNames, seed: 0, protocol: p)
            let (chosen, _) = try auto.evaluate(labels: data.labels, classNames: data.classNames, seed: 0, protocol: p)
            XCTAssertEqual(knn.trainCount, 6 * n)
            XCTAssertEqual(chosen.trainCount, 6 * n)
            XCTAssertEqual(knn.test, chosen.test)
            let label = try XCTUnwrap(chosen.details?.chosen)
            if n == 1 {
                XCTAssertTrue(label.contains("no cross-validation: a class has a single training cell"), label)
                XCTAssertTrue(label.hasPrefix("scaled HVG expression + LR"), label)
            } else {
                XCTAssertFalse(label.contains("no cross-validation"), label)
            }
        }
    }

    func testCurveTablesPairEachSeedAgainstTheReference() {
        func result(_ name: String, _ accs: [Double]) -> EvaluationRunner.MethodResult {
            let splits = accs.enumerated().map { (i, a) -> SplitResult in
                let correct = Int((a * 10).rounded())
                let truth = [Int](repeating: 0, count: 10)
                let pred = (0..<10).map { $0 < correct ? 0 : 1 }
                return SplitResult(seed: UInt64(i), metrics: ClassificationMetrics(truth: truth, predicted: pred, classNames: ["a", "b"]),
                                   trainCount: 1, test: Array(0..<10), truth: truth, predicted: pred, confidence: [], seconds: 0)
            }
            return EvaluationRunner.MethodResult(summary: MethodSummary(method: name, splits: splits), splits: splits)
        }
        let curve = LearningCurve(runs: [(1, [result("text", [0.3, 0.5]), result("random", [0.4, 0.4])]),
                                         (nil, [result("text", [0.8, 0.9]), result("random", [0.8, 0.7])])], reference: 1)
        XCTAssertEqual(curve.reference, "random")
        XCTAssertEqual(curve.sizes, [1, nil])
        let p = try! XCTUnwrap(curve.point("text", 1))
        XCTAssertEqual(p.accuracyDifferences[0], -0.1, accuracy: 1e-12)
        XCTAssertEqual(p.accuracyDifferences[1], 0.1, accuracy: 1e-12)
        XCTAssertTrue(curve.markdown().contains("| text | +0.000 ± 0.141 (1/1) | +0.100 ± 0.141 (1/0) |"), curve.markdown())
        XCTAssertEqual(curve.csv().split(separator: "\n").count, 5)
        XCTAssertTrue(curve.svg(macroF1: false).contains("<svg"))
    }
}
