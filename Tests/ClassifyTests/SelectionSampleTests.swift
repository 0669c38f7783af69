import XCTest
import LexicellCore
@testable import LexicellClassify

/// The subsample auto's selection cross-validates on: caps per class and in all, seeded, training cells only.
final class SelectionSampleTests: XCTestCase {
    /// Classes of 500, 300, 120, 40 and 3 cells (963), in a shuffled order.
    func labels() -> [Int] {
        var l = [Int]()
        for (c, n) in [500, 300, 120, 40, 3].enumerated() { l += [Int](repeating: c, count: n) }
        var rng = SeededGenerator(seed: 1)
        l.shuffle(using: &rng)
        return l
    }

    func counts(_ positions: [Int], _ labels: [Int]) -> [Int: Int] {
        var c = [Int: Int]()
        for p in positions { c[labels[p], default: 0] += 1 }
        return c
    }

    func testPerClassCapOnly() {
        let l = labels()
        let s = SelectionSample(perClass: 100, total: nil).draw(labels: l, seed: 7)
        XCTAssertEqual(s.cap, 100)
        // Hand count: 100 + 100 + 100 + 40 + 3.
        XCTAssertEqual(counts(s.positions, l), [0: 100, 1: 100, 2: 100, 3: 40, 4: 3])
        XCTAssertEqual(s.positions, s.positions.sorted())
        XCTAssertEqual(Set(s.positions).count, s.positions.count)
    }

    /// The per-class cap is lowered until the total fits; small classes keep all their cells.
    func testTotalCapLowersThePerClassCap() {
        let l = labels()
        let s = SelectionSample(perClass: 200, total: 300).draw(labels: l, seed: 7)
        // Largest c with 3·min(·, c) + 40 + 3 ≤ 300 (classes 500, 300, 120 capped): 3c ≤ 257 → c = 85.
        XCTAssertEqual(s.cap, 85)
        XCTAssertEqual(counts(s.positions, l), [0: 85, 1: 85, 2: 85, 3: 40, 4: 3])
        XCTAssertLessThanOrEqual(s.positions.count, 300)
        // 86 per class needs 3 · 86 + 43 = 301 cells.
        XCTAssertEqual(SelectionSample(perClass: 200, total: 301).cap(classSizes: [500, 300, 120, 40, 3]), 86)
        XCTAssertEqual(SelectionSample(perClass: 200, total: 303).cap(classSizes: [500, 300, 120, 40, 3]), 86)
    }

    func testNoCapWhenEveryClassFits() {
        let l = labels()
        for sample in [SelectionSample(perClass: 500, total: 963), .all, SelectionSample()] where sample.cap(classSizes: [500, 300, 120, 40, 3]) == nil {
            let s = sample.draw(labels: l, seed: 3)
            XCTAssertNil(s.cap)
            XCTAssertEqual(s.positions, Array(l.indices))
        }
        // pbmc68k's largest class (240 cells) stays whole; one more than the cap is capped.
        XCTAssertNil(SelectionSample().cap(classSizes: [240, 129, 95, 3]))
        XCTAssertEqual(SelectionSample().cap(classSizes: [251, 150, 3]), 250)
        // 33 classes of 3,000 cells (the scale data): 5,000 / 33 → 151 per class.
        XCTAssertEqual(SelectionSample().cap(classSizes: [Int](repeating: 3000, count: 33)), 151)
        // Never below the floor of 10 per class to meet the total.
        XCTAssertEqual(SelectionSample(perClass: 200, total: 50).cap(classSizes: [Int](repeating: 100, count: 20)), 10)
    }

    func testSeededAndSeedDependent() {
        let l = labels()
        let caps = SelectionSample(perClass: 50, total: 1000)
        XCTAssertEqual(caps.draw(labels: l, seed: 11).positions, caps.draw(labels: l, seed: 11).positions)
        XCTAssertNotEqual(caps.draw(labels: l, seed: 11).positions, caps.draw(labels: l, seed: 12).positions)
    }

    /// Drawn on the training part of a split (positions into the training labels), the subsample holds training
    /// cells only.
    func testNeverTestCells() {
        let l = labels()
        let (train, test) = StratifiedSplit.trainTest(labels: l, testFraction: 0.2, seed: 5)
        let s = SelectionSample(perClass: 60, total: 200).draw(labels: train.map { l[$0] }, seed: 5)
        let cells = s.positions.map { train[$0] }
        XCTAssertTrue(Set(cells).isDisjoint(with: test))
        XCTAssertTrue(Set(cells).isSubset(of: train))
        XCTAssertLessThanOrEqual(cells.count, 200)
        XCTAssertTrue(counts(s.positions, train.map { l[$0] }).values.allSatisfy { $0 <= s.cap! })
    }
}
