import XCTest
@testable import LexicellText
import LexicellCore

final class BadInputTests: XCTestCase {
    func testMissingVocabulary() throws {
        let dir = try Fixtures.copy("tiny-bert-cased")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("vocab.txt"))
        assertThrowsLexicell(try ModelFolder.load(dir.path), containing: ["vocab.txt is missing"])
    }

    func testConfigDisagreeingWithWeightsNamesTensorAndShapes() throws {
        let dir = try Fixtures.copy("tiny-bert-cased")
        let url = dir.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json["intermediate_size"] = 50
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        assertThrowsLexicell(
            try ModelFolder.load(dir.path),
            containing: ["encoder.layer.0.intermediate.dense.weight", "[48, 24]", "[50, 24]"])
    }

    /// A safetensors file whose one tensor has a dtype we do not know.
    func testUnknownDType() throws {
        let dir = try Fixtures.copy("tiny-bert-cased")
        let header = #"{"embeddings.word_embeddings.weight":{"dtype":"F8_E5M2","shape":[2,2],"data_offsets":[0,4]}}"#
        try safetensors(header: header, data: [UInt8](repeating: 0, count: 4))
            .write(to: dir.appendingPathComponent("model.safetensors"))
        assertThrowsLexicell(try ModelFolder.load(dir.path), containing: ["unknown dtype F8_E5M2", "embeddings.word_embeddings.weight"])
    }

    func testSafetensorsHeaderLengthBeyondFile() throws {
        let dir = try Fixtures.copy("tiny-bert-cased")
        let url = dir.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(100).write(to: url)  // the header alone is longer than 92 bytes
        assertThrowsLexicell(try ModelFolder.load(dir.path), containing: ["header length", "beyond", "model.safetensors"])
    }

    func testSafetensorsDataOffsetsBeyondFile() throws {
        let dir = try Fixtures.copy("tiny-bert-cased")
        let url = dir.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 1000).write(to: url)
        assertThrowsLexicell(try ModelFolder.load(dir.path), containing: ["data_offsets", "beyond", "truncated"])
    }

    func testTruncatedPytorchBin() throws {
        let dir = try Fixtures.copy("tiny-bert-cased-bin")
        let url = dir.appendingPathComponent("pytorch_model.bin")
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count / 2).write(to: url)
        assertThrowsLexicell(try ModelFolder.load(dir.path), containing: ["pytorch_model.bin"])
    }

    func testEmptyTextNamesItsIndex() throws {
        let encoder = try ModelFolder.load(Fixtures.folder("tiny-bert-cased").path)
        assertThrowsLexicell(try encoder.embed(["Gene", "DNA", " \t\u{200B} "], progress: nil), containing: ["text 2 is empty"])
        assertThrowsLexicell(try encoder.embed([""], progress: nil), containing: ["text 0 is empty"])
    }

    func testUnsupportedModelType() throws {
        let dir = try Fixtures.copy("tiny-bert-cased")
        let url = dir.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json["hidden_act"] = "relu"
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        assertThrowsLexicell(try ModelFolder.load(dir.path), containing: ["hidden_act", "relu", "config.json"])
    }

    private func safetensors(header: String, data: [UInt8]) -> Data {
        var out = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }
}
