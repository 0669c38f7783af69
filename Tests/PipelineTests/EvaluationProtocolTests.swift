import Lexicell
import XCTest

final class EvaluationProtocolTests: XCTestCase {
    /// The representation sees only training labels; test labels never reach it.
    func testProtocolNeverShowsTestLabelsToRepresentation() throws {
        final class Spy: CellRepresentation {
            let name = "spy"
            let x: DenseMatrix
            var seenTrain: [Int] = [], seenLabels: [Int] = []
            init(_ x: DenseMatrix) { self.x = x }
            func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) -> (train: DenseMatrix, test: DenseMatrix) {
                seenTrain = train; seenLabels = trainLabels
                return (x.selectingRows(train), x.selectingRows(test))
            }
        }
        var rng = SeededGenerator(seed: 1)
        let labels = (0..<60).map { $0 % 3 }
        let x = DenseMatrix(rowArrays: labels.map { l in (0..<4).map { Float($0 == l ? 3 : 0) + Float(rng.nextGaussian()) } })
        let spy = Spy(x)
        let r = try EvaluationProtocol().run(spy, labels: labels, classNames: ["a", "b", "c"], seed: 9)
        XCTAssertEqual(Set(spy.seenTrain).intersection(r.test).count, 0)
        XCTAssertEqual(spy.seenLabels, spy.seenTrain.map { labels[$0] })
        XCTAssertGreaterThan(r.metrics.accuracy, 0.8)
        XCTAssertTrue([4, 6, 8, 10, 12, 14].contains(r.chosenK ?? -1))
    }
}
