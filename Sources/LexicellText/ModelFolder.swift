import Foundation
import LexicellCore

/// A model folder in the Hugging Face layout: `config.json`, `vocab.txt`, weights as `model.safetensors`
/// or `pytorch_model.bin`, and optionally `tokenizer_config.json`, `sentence_bert_config.json`,
/// `1_Pooling/config.json`, `modules.json`.
public struct ModelFolder: Sendable {
    public let url: URL
    public let config: BertConfig
    public let weightsURL: URL
    public let weightFormat: String
    /// Sequence limit: `max_seq_length` of sentence_bert_config.json, else max_position_embeddings.
    public let maxLength: Int
    /// From tokenizer_config.json `do_lower_case`; without it, a vocabulary with upper-case word pieces is
    /// taken as cased (BioBERT ships no tokenizer config).
    public let lowercase: Bool
    /// From 1_Pooling/config.json, else mean.
    public let defaultPooling: BertEncoder.Pooling
    /// Sentence-transformers folders (sentence_bert_config.json or a Normalize module) default to unit vectors.
    public let defaultNormalize: Bool
    public var name: String { url.lastPathComponent }

    /// Reads the folder's configuration (not the weights).
    public init(_ url: URL) throws {
        self.url = url
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw LexicellError("model folder not found", file: url.path)
        }
        config = try BertConfig.read(url.appendingPathComponent("config.json"))
        let vocabURL = url.appendingPathComponent("vocab.txt")
        guard fm.fileExists(atPath: vocabURL.path) else {
            throw LexicellError("vocab.txt is missing from the model folder (WordPiece models need it)", file: url.path)
        }
        let safetensors = url.appendingPathComponent("model.safetensors")
        let bin = url.appendingPathComponent("pytorch_model.bin")
        if fm.fileExists(atPath: safetensors.path) {
            weightsURL = safetensors; weightFormat = "safetensors"
        } else if fm.fileExists(atPath: bin.path) {
            weightsURL = bin; weightFormat = "pytorch_model.bin"
        } else {
            throw LexicellError("no weights: expected model.safetensors or pytorch_model.bin", file: url.path)
        }

        func json(_ relative: String) -> [String: Any]? {
            guard let data = fm.contents(atPath: url.appendingPathComponent(relative).path) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
        let sbert = json("sentence_bert_config.json")
        var limit = config.maxPositions
        if let n = (sbert?["max_seq_length"] as? NSNumber)?.intValue, n > 2 { limit = min(n, config.maxPositions) }
        maxLength = limit

        if let lower = json("tokenizer_config.json")?["do_lower_case"] as? Bool {
            lowercase = lower
        } else {
            lowercase = !(try Self.vocabularyHasUpperCase(vocabURL))
        }
        if let p = json("1_Pooling/config.json"), p["pooling_mode_cls_token"] as? Bool == true,
            p["pooling_mode_mean_tokens"] as? Bool != true
        {
            defaultPooling = .cls
        } else {
            defaultPooling = .mean
        }
        let modules = (try? String(contentsOf: url.appendingPathComponent("modules.json"), encoding: .utf8)) ?? ""
        defaultNormalize = sbert != nil || modules.contains("Normalize")
    }

    private static func vocabularyHasUpperCase(_ url: URL) throws -> Bool {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw LexicellError("vocabulary is not readable UTF-8 text", file: url.path)
        }
        for line in text.split(separator: "\n") where !line.hasPrefix("[") {
            if line.unicodeScalars.contains(where: { $0.properties.isUppercase }) { return true }
        }
        return false
    }

    /// Loads the weights and builds the encoder.
    public func encoder(pooling: BertEncoder.Pooling? = nil, normalize: Bool? = nil) throws -> BertEncoder {
        let tokenizer = try WordPieceTokenizer(vocabURL: url.appendingPathComponent("vocab.txt"), lowercase: lowercase)
        guard tokenizer.vocabularySize <= config.vocabSize else {
            throw LexicellError(
                "vocab.txt has \(tokenizer.vocabularySize) tokens but config.json vocab_size is \(config.vocabSize)",
                file: url.path)
        }
        let file = try WeightFile.open(weightsURL)
        let weights = try BertWeights(file: file, config: config)
        return BertEncoder(
            name: name, config: config, tokenizer: tokenizer, maxLength: maxLength,
            pooling: pooling ?? defaultPooling, normalize: normalize ?? defaultNormalize,
            weightsURL: weightsURL, weights: weights)
    }

    /// `ModelFolder(url).encoder(…)` in one call.
    public static func load(
        _ path: String, pooling: BertEncoder.Pooling? = nil,
        normalize: Bool? = nil
    ) throws -> BertEncoder {
        try ModelFolder(URL(fileURLWithPath: path)).encoder(pooling: pooling, normalize: normalize)
    }
}
