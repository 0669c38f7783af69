import Foundation
import LexicellCore
@testable import LexicellLearn
import XCTest

final class RefinerTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("learn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func trainedRefiner() throws -> (Refiner, SyntheticViews) {
        let data = SyntheticViews(classes: 3, cellsPerClass: 16, dim: 10, signalDims: 3, seed: 4)
        let config = SupConConfiguration(
            inputDim: 10, hiddenDim: 16, embeddingDim: 6, projectionHiddenDim: 8,
            projectionDim: 5, batchSize: 16, maxEpochs: 3, seed: 3)
        let refiner = try SupConTrainer(configuration: config).train(
            view1: data.view1, view2: data.view2, labels: data.labels, modelIdentity: "ada-002/top20-mean"
        ).0
        return (refiner, data)
    }

    /// BatchNorm inference on a saved and reloaded refiner is bit-exact.
    func testSaveLoadRoundTripIsBitExact() throws {
        let (refiner, data) = try trainedRefiner()
        // The running statistics moved away from their initial (0, 1), so inference really uses them.
        XCTAssertTrue(refiner.tensors[4].contains { $0 != 0 } && refiner.tensors[5].contains { $0 != 1 })
        let path = directory.appendingPathComponent("refiner.lxr").path
        try refiner.save(to: path)
        let loaded = try Refiner.load(from: path)
        XCTAssertEqual(loaded.configuration, refiner.configuration)
        XCTAssertEqual(loaded.modelIdentity, "ada-002/top20-mean")
        let before = try refiner.embed(data.view1), after = try loaded.embed(data.view1)
        XCTAssertEqual(before.values.map(\.bitPattern), after.values.map(\.bitPattern))
        XCTAssertEqual(before.cols, 6)
        // File layout: JSON header line then exactly weightCount Float32 values.
        let bytes = try FileData.read(path)
        let newline = bytes.firstIndex(of: 0x0A)!
        let header = try JSONSerialization.jsonObject(with: Data(bytes[0..<newline])) as! [String: Any]
        XCTAssertEqual(header["formatVersion"] as? Int, 1)
        XCTAssertEqual(bytes.count - newline - 1, 4 * (header["weightCount"] as! Int))
    }

    func testLoadErrorsAreClear() throws {
        let (refiner, _) = try trainedRefiner()
        let path = directory.appendingPathComponent("r.lxr").path
        try refiner.save(to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        let truncatedPath = directory.appendingPathComponent("truncated.lxr").path
        try good.prefix(good.count - 10).write(to: URL(fileURLWithPath: truncatedPath))
        XCTAssertThrowsError(try Refiner.load(from: truncatedPath)) {
            XCTAssertTrue("\($0)".contains("truncated.lxr: refiner file is truncated"), "\($0)")
        }

        let newline = good.firstIndex(of: 0x0A)!
        var header = String(decoding: good.prefix(upTo: newline), as: UTF8.self)
        header = header.replacingOccurrences(of: "\"formatVersion\":1", with: "\"formatVersion\":2")
        let versionPath = directory.appendingPathComponent("v2.lxr").path
        try (Data(header.utf8) + good.suffix(from: newline)).write(to: URL(fileURLWithPath: versionPath))
        XCTAssertThrowsError(try Refiner.load(from: versionPath)) {
            XCTAssertTrue("\($0)".contains("format version 2 is not supported"), "\($0)")
        }

        let junkPath = directory.appendingPathComponent("junk.lxr").path
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: junkPath))
        XCTAssertThrowsError(try Refiner.load(from: junkPath)) {
            XCTAssertTrue("\($0)".contains("not a Lexicell refiner file"), "\($0)")
        }
        XCTAssertThrowsError(try Refiner.load(from: directory.appendingPathComponent("missing.lxr").path)) {
            XCTAssertTrue("\($0)".contains("file not found"), "\($0)")
        }
    }

    func testEmbedDimensionMismatchNamesTheModel() throws {
        let (refiner, _) = try trainedRefiner()
        XCTAssertThrowsError(try refiner.embed(DenseMatrix(rows: 2, cols: 768))) {
            let message = "\($0)"
            XCTAssertTrue(
                message.contains("expects 10-d") && message.contains("\"ada-002/top20-mean\"")
                    && message.contains("got 768-d"), message)
        }
    }
}
