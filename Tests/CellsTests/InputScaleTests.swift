import Foundation
import XCTest
import LexicellCore
@testable import LexicellCells

/// Counts, linear (TPM/RPKM-like) and log-normalised inputs are told apart, and each is prepared so that
/// the baseline works; scaled data are refused.
final class InputScaleTests: XCTestCase {
    static let romanov = ExpressionTestData.romanov

    /// Author cell types of the Romanov cells, from cell_metadata.csv (column Author_CellType).
    static let labels: [String] = {
        let text = try! String(contentsOfFile: ExpressionTestData.romanovDirectory + "/cell_metadata.csv", encoding: .utf8)
        var byCell = [String: String]()
        for line in text.split(separator: "\n").dropFirst() {
            // The last column holds quoted labels with commas: split off the first five fields only.
            let f = line.split(separator: ",", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            byCell[f[0]] = f[5]
        }
        return romanov.cells.map { byCell[$0] ?? "" }
    }()

    /// Counts → RPKM-like linear values: count / gene length (seeded, 500–5000 bp) / cell total × 1e9.
    static func rpkm(_ m: SparseMatrix, geneLengths: Bool = true) -> SparseMatrix {
        var rng = SeededGenerator(seed: 42)
        let lengths = (0..<m.cols).map { _ in geneLengths ? 500 + Double(rng.next() % 4500) : 1000 }
        var out = m
        for r in 0..<m.rows {
            let lo = m.indptr[r], hi = m.indptr[r + 1]
            let total = (lo..<hi).reduce(0.0) { $0 + Double(m.values[$1]) }
            for k in lo..<hi { out.values[k] = Float(Double(m.values[k]) / lengths[Int(m.indices[k])] / max(total, 1) * 1e9) }
        }
        return out
    }

    /// log1p(normalize_total(1e4)), as scanpy stores log-normalised data.
    static func logNormalised(_ m: SparseMatrix) -> SparseMatrix {
        ExpressionPreprocessing.log1p(ExpressionPreprocessing.normalizeTotal(m, targetSum: 1e4))
    }

    /// PCA + 15-NN majority vote, training on cells with index % 5 != 0, testing on the rest.
    private func knnAccuracy(_ values: SparseMatrix, configuration: ExpressionBaselineConfiguration = ExpressionBaselineConfiguration()) throws
        -> (accuracy: Double, baseline: ExpressionBaseline)
    {
        let m = Self.romanov
        let data = ExpressionMatrix(values: values, genes: m.genes, cells: m.cells)
        let (train, test) = ExpressionTestData.romanovSplit()
        let (baseline, scores) = try ExpressionBaseline.fitTransform(data, trainingCells: train, configuration: configuration)
        var correct = 0
        for t in test {
            var nearest = [(Float, Int)]()
            for r in train {
                var d: Float = 0
                for j in 0..<scores.cols { let x = scores[t, j] - scores[r, j]; d += x * x }
                nearest.append((d, r))
            }
            nearest.sort { $0.0 < $1.0 }
            var votes = [String: Int]()
            for (_, r) in nearest.prefix(15) { votes[Self.labels[r], default: 0] += 1 }
            let predicted = votes.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
            if predicted == Self.labels[t] { correct += 1 }
        }
        return (Double(correct) / Double(test.count), baseline)
    }

    func testDetectionOfEachScale() throws {
        let counts = Self.romanov.values
        let c = try InputScale.detect(counts)
        XCTAssertEqual(c.scale, .counts)
        XCTAssertTrue(c.reason.contains("non-negative integers"), c.reason)

        let linear = try InputScale.detect(Self.rpkm(counts))
        XCTAssertEqual(linear.scale, .linear)
        XCTAssertTrue(linear.reason.contains("linear-scale"), linear.reason)

        let logged = try InputScale.detect(Self.logNormalised(counts))
        XCTAssertEqual(logged.scale, .log)
        XCTAssertTrue(logged.reason.contains("expm1"), logged.reason)

        // Normalised but not logged (totals 1e4): linear even though the values are small.
        let normalised = try InputScale.detect(ExpressionPreprocessing.normalizeTotal(counts, targetSum: 10))
        XCTAssertEqual(normalised.scale, .linear)
        XCTAssertTrue(normalised.reason.contains("per-cell totals are all 10"), normalised.reason)

        // log2(RPKM + 1) values: no constant totals, compressed range → log.
        var log2 = Self.rpkm(counts)
        for k in log2.values.indices { log2.values[k] = Foundation.log2(log2.values[k] + 1) }
        XCTAssertEqual(try InputScale.detect(log2).scale, .log)
    }

    func testScaledOrNonFiniteDataAreRefused() throws {
        let z = SparseMatrix(rows: 2, cols: 2, indptr: [0, 2, 4], indices: [0, 1, 0, 1], values: [0.5, -1.2, 1.1, 0.3])
        assertThrows(["negative values", "-1.2 at cell 1, gene column 2", "scaled (z-scored)", "--raw"]) { _ = try InputScale.detect(z, name: "pbmc.h5ad") }
        let data = ExpressionMatrix(values: z, genes: ["a", "b"], cells: ["c1", "c2"])
        assertThrows(["negative values", "--raw"]) { _ = try ExpressionBaseline.fit(data) }
        let nan = SparseMatrix(rows: 1, cols: 2, indptr: [0, 2], indices: [0, 1], values: [1, .nan])
        assertThrows(["expression value nan at cell 1, gene column 2", "finite"]) { _ = try InputScale.detect(nan) }
        XCTAssertEqual(try InputScale.argument("AUTO"), nil)
        XCTAssertEqual(try InputScale.argument("linear"), .linear)
        assertThrows(["\"tpm\" is not one of counts, linear, log, auto"]) { _ = try InputScale.argument("tpm") }
    }

    /// Linear values made from the Romanov counts are detected as linear and, normalised + log1p, classify
    /// about as well as the counts; taken as log (the old behaviour for any non-integer matrix) they do worse.
    /// CPM-like values (per-cell scaling only) give exactly the counts' accuracy with the same gene rule;
    /// RPKM-like values (also divided by a gene length, 500–5000) lose what the length weighting distorts.
    func testLinearScaleAccuracyIsNearCounts() throws {
        let counts = try knnAccuracy(Self.romanov.values)
        let countsDispersion = try knnAccuracy(Self.romanov.values, configuration: ExpressionBaselineConfiguration(flavor: .dispersion))
        let cpm = try knnAccuracy(Self.rpkm(Self.romanov.values, geneLengths: false))
        let linear = try knnAccuracy(Self.rpkm(Self.romanov.values))
        let asLog = try knnAccuracy(Self.rpkm(Self.romanov.values), configuration: ExpressionBaselineConfiguration(inputScale: .log))
        print(
            "Romanov PCA + 15-NN accuracy over \(ExpressionTestData.romanovSplit().test.count) test cells: counts \(counts.accuracy) (seurat_v3 genes), counts \(countsDispersion.accuracy) (dispersion genes), CPM-like as linear \(cpm.accuracy), RPKM-like as linear \(linear.accuracy), RPKM-like taken as log \(asLog.accuracy)"
        )
        XCTAssertEqual(counts.baseline.inputScale, .counts)
        XCTAssertEqual(cpm.baseline.inputScale, .linear)
        XCTAssertEqual(linear.baseline.inputScale, .linear)
        XCTAssertEqual(linear.baseline.flavorUsed, .dispersion)
        XCTAssertEqual(asLog.baseline.inputScale, .log)
        XCTAssertTrue(asLog.baseline.inputScaleReason.contains("given"))
        XCTAssertGreaterThan(counts.accuracy, 0.25)  // 67 author cell types, many of 10–30 cells: ~0.3 is what counts give
        XCTAssertEqual(cpm.accuracy, countsDispersion.accuracy, accuracy: 0.02)
        XCTAssertGreaterThanOrEqual(linear.accuracy, counts.accuracy - 0.12)
        XCTAssertGreaterThan(linear.accuracy, asLog.accuracy + 0.05)
    }

    func testOverrideAndMismatchedCellsAreChecked() throws {
        let m = Self.romanov.selectingCells(0..<200)
        let rpkm = ExpressionMatrix(values: Self.rpkm(m.values), genes: m.genes, cells: m.cells)
        let small = ExpressionBaselineConfiguration(nTopGenes: 500, components: 5, inputScale: .counts)
        assertThrows(["given as counts", "non-integer values", "--input-scale linear or log"]) { _ = try ExpressionBaseline.fit(rpkm, configuration: small) }
        // Fitted on counts, then given log-normalised cells: refused rather than normalised a second time.
        let baseline = try ExpressionBaseline.fit(m, configuration: ExpressionBaselineConfiguration(nTopGenes: 500, components: 5))
        let logged = ExpressionMatrix(values: Self.logNormalised(m.values), genes: m.genes, cells: m.cells)
        assertThrows(["fitted on counts-scale data", "look log-scale"]) { _ = try baseline.transform(logged) }
        // Linear cells for a counts model are prepared the same way: accepted.
        XCTAssertEqual(try baseline.transform(rpkm).rows, 200)
    }

    /// Models saved before input scales existed decode with `inputIsCounts`.
    func testOldSavedModelsDecode() throws {
        let m = Self.romanov.selectingCells(0..<100)
        let baseline = try ExpressionBaseline.fit(m, configuration: ExpressionBaselineConfiguration(nTopGenes: 300, components: 3))
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(baseline)) as! [String: Any]
        XCTAssertEqual(json["inputIsCounts"] as? Bool, true)
        XCTAssertEqual(json["inputScale"] as? String, "counts")
        json["inputScale"] = nil
        json["inputScaleReason"] = nil
        let old = try JSONDecoder().decode(ExpressionBaseline.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old.inputScale, .counts)
        json["inputIsCounts"] = false
        XCTAssertEqual(try JSONDecoder().decode(ExpressionBaseline.self, from: JSONSerialization.data(withJSONObject: json)).inputScale, .log)
    }

    private func assertThrows(_ fragments: [String], line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an error containing \(fragments)", line: line)
        } catch {
            for f in fragments { XCTAssertTrue("\(error)".contains(f), "\"\(error)\" lacks \"\(f)\"", line: line) }
        }
    }
}
