import XCTest
@testable import LexicellText
import LexicellCore

final class MiniLMEncoderTests: XCTestCase {
    /// Reference values (PyTorch fp32, checked in fp64) rounded to 6 decimals; tolerance 1e-4.
    func testCLSMeanAndNormalisedVectorsMatchReference() throws {
        let texts = [Reference.s1, Reference.s2]
        let cls = try MiniLM.encoder(pooling: .cls, normalize: false).embed(texts, progress: nil)
        let mean = try MiniLM.encoder(pooling: .mean, normalize: false).embed(texts, progress: nil)
        let norm = try MiniLM.encoder(pooling: .mean, normalize: true).embed(texts, progress: nil)
        XCTAssertEqual(norm.cols, 384)
        assertClose(cls.row(0).prefix(5), Reference.s1CLS, tolerance: 1e-4, "S1 CLS")
        assertClose(cls.row(1).prefix(5), Reference.s2CLS, tolerance: 1e-4, "S2 CLS")
        assertClose(mean.row(0).prefix(5), Reference.s1Mean, tolerance: 1e-4, "S1 mean")
        assertClose(mean.row(1).prefix(5), Reference.s2Mean, tolerance: 1e-4, "S2 mean")
        assertClose(norm.row(0).prefix(5), Reference.s1Norm, tolerance: 1e-4, "S1 norm")
        assertClose(norm.row(1).prefix(5), Reference.s2Norm, tolerance: 1e-4, "S2 norm")
    }

    func testTruncatedLongTextMatchesReference() throws {
        let norm = try MiniLM.encoder(pooling: .mean, normalize: true).embed([Reference.long], progress: nil)
        assertClose(norm.row(0).prefix(5), Reference.longNorm, tolerance: 1e-4, "L norm")
    }

    /// Packed batches of different lengths, both parallel strategies and small batch budgets, against one
    /// text at a time.
    func testBatchEqualsOneByOne() throws {
        let encoder = try MiniLM.encoder(pooling: .mean, normalize: false)
        let texts = [
            Reference.s1, Reference.s2, "Gene.", Reference.long, "Kinase activity in neurons.",
            Reference.s2 + " " + Reference.s1,
        ]
        var singles = [[Float]]()
        for t in texts { singles.append(Array(try encoder.embed([t], progress: nil).row(0))) }
        let saved = (encoder.parallelism, encoder.tokensPerBatch)
        defer { (encoder.parallelism, encoder.tokensPerBatch) = saved }
        for (p, budget) in [(BertEncoder.Parallelism.workers(2), 300), (.blasThreads(2), 4096), (.workers(1), 50)] {
            encoder.parallelism = p
            encoder.tokensPerBatch = budget
            let batch = try encoder.embed(texts, progress: nil)
            for i in texts.indices { assertClose(batch.row(i), singles[i], tolerance: 1e-5, "text \(i), \(p)") }
        }
    }

    func testModelIdentityNamesModelDigestAndPooling() throws {
        let e = try MiniLM.encoder(pooling: .mean, normalize: true)
        let parts = e.modelIdentity.split(separator: "@")
        XCTAssertEqual(parts.first, "all-MiniLM-L6-v2")
        XCTAssertTrue(e.modelIdentity.hasSuffix(":mean+l2"), e.modelIdentity)
        XCTAssertEqual(parts[1].prefix(12).count, 12)
        XCTAssertNotEqual(e.modelIdentity, try MiniLM.encoder(pooling: .cls, normalize: false).modelIdentity)
    }
}

final class FixtureModelTests: XCTestCase {
    private func check(_ folder: String, _ vectors: Fixtures.Vectors, tolerance: Float) throws {
        let exp = Fixtures.expected
        for pooling in [BertEncoder.Pooling.cls, .mean] {
            let encoder = try ModelFolder.load(Fixtures.folder(folder).path, pooling: pooling, normalize: false)
            XCTAssertEqual(try encoder.tokenIDs(exp.forward_texts), exp.forward_ids)
            let out = try encoder.embed(exp.forward_texts, progress: nil)
            let want = pooling == .cls ? vectors.cls : vectors.mean
            for i in want.indices { assertClose(out.row(i), want[i], tolerance: tolerance, "\(folder) \(pooling) text \(i)") }
        }
    }

    /// model.safetensors written by transformers' save_pretrained (F32, no prefix).
    func testSafetensorsFixtureMatchesTransformers() throws {
        try check("tiny-bert-cased", Fixtures.expected.f32, tolerance: 1e-5)
    }

    /// pytorch_model.bin (torch zip + pickle) of BertForPreTraining: `bert.` prefix, MLM/NSP heads ignored,
    /// a storage shared by the tied decoder.
    func testPytorchBinFixtureMatchesTransformers() throws {
        let file = try WeightFile.open(Fixtures.folder("tiny-bert-cased-bin").appendingPathComponent("pytorch_model.bin"))
        XCTAssertEqual(file.format, .pytorch)
        XCTAssertNotNil(file.entries["cls.predictions.transform.dense.weight"])
        XCTAssertEqual(file.entries["bert.encoder.layer.1.intermediate.dense.weight"]?.shape, [48, 24])
        try check("tiny-bert-cased-bin", Fixtures.expected.f32, tolerance: 1e-5)
    }

    /// BF16 safetensors with a `bert.` prefix; expected outputs from the same rounded weights in fp32.
    func testBF16SafetensorsFixture() throws {
        try check("tiny-bert-cased-bf16", Fixtures.expected.bf16, tolerance: 1e-5)
    }

    func testHalfPrecisionConversion() {
        XCTAssertEqual(WeightFile.halfToFloat(0x3c00), 1)
        XCTAssertEqual(WeightFile.halfToFloat(0xc000), -2)
        XCTAssertEqual(WeightFile.halfToFloat(0x3555), 0.333251953125)
        XCTAssertEqual(WeightFile.halfToFloat(0x0001), 0x1p-24)  // smallest subnormal
        XCTAssertEqual(WeightFile.halfToFloat(0x7bff), 65504)  // largest finite
        XCTAssertEqual(WeightFile.halfToFloat(0xfc00), -.infinity)
        XCTAssertTrue(WeightFile.halfToFloat(0x7e00).isNaN)
    }

    func testSHA256KnownAnswers() {
        XCTAssertEqual(
            SHA256.hex(SHA256.digest(Array("abc".utf8))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            SHA256.hex(SHA256.digest([UInt8]())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            SHA256.hex(SHA256.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(
            SHA256.hex(SHA256.digest([UInt8](repeating: 0x61, count: 1_000_000))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

final class FastMathTests: XCTestCase {
    /// Against libm on a dense grid, covering the clamped tails.
    func testExpAndErfAgainstLibm() {
        var worstExp: Float = 0, worstErf: Float = 0
        for i in -100_000...100_000 {
            let x = Float(i) * 1e-3
            if x >= -80 && x <= 80 {
                worstExp = max(worstExp, abs(FastMath.exp(x) - expf(x)) / expf(x))
            }
            worstErf = max(worstErf, abs(FastMath.erf(x) - erff(x)))
        }
        XCTAssertLessThan(worstExp, 5e-7)
        XCTAssertLessThan(worstErf, 5e-7)
        XCTAssertEqual(FastMath.exp(-1000), 0, accuracy: 1e-37)
        XCTAssertEqual(FastMath.exp(0), 1)
    }
}
