import XCTest
@testable import LexicellText

final class TokenizerTests: XCTestCase {
    /// Cased vocabulary of the tiny fixture; ids from the `tokenizers` reference (scripts/text_make_fixtures.py):
    /// accents and case kept, CJK split, control/format characters dropped, ASCII symbols split, long words [UNK].
    func testCasedTokenizerMatchesReference() throws {
        let tok = try WordPieceTokenizer(
            vocabURL: Fixtures.folder("tiny-bert-cased").appendingPathComponent("vocab.txt"),
            lowercase: false)
        for c in Fixtures.expected.tokenizer_cased {
            XCTAssertEqual(tok.encode(c.text), c.ids, "text \(c.text.debugDescription)")
        }
        let t = Fixtures.expected.truncation_cased
        XCTAssertEqual(tok.encode(t.text, maxLength: t.max_length), t.ids)
    }

    func testCasingIsReadFromTokenizerConfigOrInferredFromVocabulary() throws {
        XCTAssertFalse(try ModelFolder(Fixtures.folder("tiny-bert-cased")).lowercase)  // do_lower_case false
        XCTAssertFalse(try ModelFolder(Fixtures.folder("tiny-bert-cased-bin")).lowercase)  // "The", "BRCA" in vocab
        XCTAssertTrue(try MiniLM.folder().lowercase)
    }

    /// Uncased (MiniLM) vocabulary: lower-casing, accent stripping, CJK, punctuation, 100-character limit.
    func testUncasedTokenizerMatchesReference() throws {
        let tok = try MiniLM.encoder(pooling: .mean, normalize: true).tokenizer
        XCTAssertTrue(tok.lowercase)
        for c in Fixtures.expected.tokenizer_uncased_minilm {
            XCTAssertEqual(tok.encode(c.text), c.ids, "text \(c.text.debugDescription)")
        }
    }

    /// Ids from /work/shared/reference/minilm-reference-vectors.md.
    func testMiniLMReferenceIDsAndTruncation() throws {
        let encoder = try MiniLM.encoder(pooling: .mean, normalize: true)
        let tok = encoder.tokenizer
        XCTAssertEqual(tok.encode(Reference.s1), Reference.s1IDs)
        XCTAssertEqual(tok.encode(Reference.s2), Reference.s2IDs)
        XCTAssertEqual(
            tok.tokenize(Reference.s2),
            [
                "the", "protein", "encoded", "by", "this", "gene", "is", "a",
                "tumor", "suppress", "##or", ".",
            ])
        XCTAssertEqual(encoder.maxLength, 256)  // sentence_bert_config.json, not tokenizer.json's 128
        let long = tok.encode(Reference.long)
        XCTAssertEqual(long.count, 362)  // [CLS] + 30 × 12 pieces + [SEP]
        let cut = try encoder.tokenIDs([Reference.long])[0]
        XCTAssertEqual(cut.count, 256)
        XCTAssertEqual(cut.first, 101)
        XCTAssertEqual(cut.last, 102)
        XCTAssertEqual(Array(cut[1..<255]), Array(long[1..<255]))
    }
}

enum Reference {
    static let s1 = "BRCA1 encodes a nuclear phosphoprotein that plays a role in maintaining genomic stability."
    static let s2 = "The protein encoded by this gene is a tumor suppressor."
    static let long = Array(repeating: s2, count: 30).joined(separator: " ")
    static let s1IDs: [Int32] = [
        101, 7987, 3540, 2487, 4372, 23237, 1037, 4517, 6887, 2891, 8458, 7361, 21709, 12377,
        2008, 3248, 1037, 2535, 1999, 8498, 8991, 22026, 9211, 1012, 102,
    ]
    static let s2IDs: [Int32] = [101, 1996, 5250, 12359, 2011, 2023, 4962, 2003, 1037, 13656, 16081, 2953, 1012, 102]
    static let s1CLS: [Float] = [0.099962, -0.238078, -0.140005, -0.161906, 0.073452]
    static let s2CLS: [Float] = [0.060688, 0.253729, -0.143648, -0.252252, 0.018957]
    static let s1Mean: [Float] = [-0.211789, -0.166029, -0.099088, -0.166472, 0.123680]
    static let s2Mean: [Float] = [-0.244352, 0.384541, -0.349163, 0.008659, 0.043992]
    static let s1Norm: [Float] = [-0.048468, -0.037996, -0.022676, -0.038097, 0.028304]
    static let s2Norm: [Float] = [-0.050496, 0.079466, -0.072155, 0.001789, 0.009091]
    static let longNorm: [Float] = [-0.001287, 0.043589, -0.011869, 0.010958, -0.018813]
}
