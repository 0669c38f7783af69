import Foundation
import LexicellCore

/// BERT's tokenizer: normaliser (clean text, CJK splitting, optional lower-casing with accent stripping),
/// whitespace/punctuation pre-tokeniser, then greedy longest-match WordPiece with `##` continuations.
public struct WordPieceTokenizer: Sendable {
    public let lowercase: Bool
    public let vocabularySize: Int
    public let clsID: Int32
    public let sepID: Int32
    public let unknownID: Int32
    /// Words longer than this (in Unicode scalars) become [UNK], as in BERT.
    public let maxCharactersPerWord = 100
    private let vocab: [String: Int32]

    /// Reads `vocab.txt` (one token per line; the line number is the id).
    public init(vocabURL: URL, lowercase: Bool) throws {
        guard FileManager.default.fileExists(atPath: vocabURL.path) else {
            throw LexicellError("vocabulary file not found (a BERT model folder needs vocab.txt)", file: vocabURL.path)
        }
        guard let text = try? String(contentsOf: vocabURL, encoding: .utf8) else {
            throw LexicellError("vocabulary is not readable UTF-8 text", file: vocabURL.path)
        }
        var tokens = text.components(separatedBy: "\n")
        if tokens.last == "" { tokens.removeLast() }
        try self.init(
            tokens: tokens.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 },
            lowercase: lowercase, source: vocabURL.path)
    }

    /// A tokenizer over `tokens`, where a token's index is its id.
    public init(tokens: [String], lowercase: Bool, source: String = "vocabulary") throws {
        var vocab = [String: Int32](minimumCapacity: tokens.count)
        for (i, t) in tokens.enumerated() where vocab[t] == nil { vocab[t] = Int32(i) }
        func id(_ t: String) throws -> Int32 {
            guard let v = vocab[t] else { throw LexicellError("vocabulary has no \(t) token", file: source) }
            return v
        }
        self.vocab = vocab
        self.lowercase = lowercase
        self.vocabularySize = tokens.count
        self.clsID = try id("[CLS]")
        self.sepID = try id("[SEP]")
        self.unknownID = try id("[UNK]")
    }

    /// Token ids `[CLS] pieces… [SEP]`, keeping at most `maxLength` ids in total (pieces are cut, never the
    /// special tokens).
    public func encode(_ text: String, maxLength: Int = Int.max) -> [Int32] {
        var ids: [Int32] = [clsID]
        let budget = max(0, maxLength - 2)
        for word in words(text) {
            if ids.count - 1 >= budget { break }
            appendPieces(of: word, to: &ids)
        }
        if ids.count - 1 > budget { ids.removeSubrange((budget + 1)...) }
        ids.append(sepID)
        return ids
    }

    /// The word-piece strings of `text` without special tokens (for display and tests).
    public func tokenize(_ text: String) -> [String] {
        var inverse = [Int32: String]()
        for (k, v) in vocab { inverse[v] = k }
        var ids = [Int32]()
        for word in words(text) { appendPieces(of: word, to: &ids) }
        return ids.map { inverse[$0] ?? "?" }
    }

    // MARK: normaliser and pre-tokeniser

    /// Normalised words: whitespace-separated, each punctuation mark and CJK character on its own.
    func words(_ text: String) -> [[Unicode.Scalar]] {
        var out = [[Unicode.Scalar]]()
        var current = [Unicode.Scalar]()
        func flush() { if !current.isEmpty { out.append(current); current.removeAll(keepingCapacity: true) } }
        func push(_ s: Unicode.Scalar) {
            if Self.isWhitespace(s) { flush() } else if Self.isPunctuation(s) || Self.isCJK(s) { flush(); out.append([s]) } else { current.append(s) }
        }
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
            if lowercase {
                // Lower-casing implies accent stripping: decompose (NFD) and drop non-spacing marks.
                for l in s.properties.lowercaseMapping.unicodeScalars {
                    for d in String(l).decomposedStringWithCanonicalMapping.unicodeScalars
                    where d.properties.generalCategory != .nonspacingMark {
                        push(d)
                    }
                }
            } else {
                push(s)
            }
        }
        flush()
        return out
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case " ", "\t", "\n", "\r": return true
        default: return s.properties.generalCategory == .spaceSeparator
        }
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "\t", "\n", "\r": return false
        default:
            switch s.properties.generalCategory {
            case .control, .format, .privateUse, .surrogate, .unassigned: return true
            default: return false
            }
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        // BERT treats all non-alphanumeric ASCII as punctuation, e.g. "$" and "^" (Unicode S*, not P*).
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    // MARK: WordPiece

    private func appendPieces(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        if word.count > maxCharactersPerWord { ids.append(unknownID); return }
        let mark = ids.count
        var start = 0
        var piece = String.UnicodeScalarView()
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                piece.removeAll(keepingCapacity: true)
                if start > 0 { piece.append("#"); piece.append("#") }
                piece.append(contentsOf: word[start..<end])
                if let id = vocab[String(piece)] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                // Any unmatched remainder makes the whole word unknown.
                ids.removeSubrange(mark...)
                ids.append(unknownID)
                return
            }
            ids.append(id)
            start = end
        }
    }
}
