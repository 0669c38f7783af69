import Foundation
import LexicellCore

/// The sizes in a Hugging Face BERT `config.json`.
public struct BertConfig: Sendable, Equatable {
    public enum Activation: String, Sendable { case gelu, geluTanh }

    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var vocabSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var activation: Activation

    public static func read(_ url: URL) throws -> BertConfig {
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LexicellError("config.json not found (a BERT model folder needs one)", file: path)
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LexicellError("not a JSON object", file: path)
        }
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let n = json[key] as? NSNumber, n.intValue > 0 { return n.intValue }
            if json[key] == nil, let value { return value }
            throw LexicellError("field \(key) must be a positive integer", file: path)
        }
        if let type = json["model_type"] as? String, !["bert", "BertModel"].contains(type) {
            throw LexicellError("model_type \"\(type)\" is not supported; expected \"bert\"", file: path)
        }
        if let pos = json["position_embedding_type"] as? String, pos != "absolute" {
            throw LexicellError("position_embedding_type \"\(pos)\" is not supported; expected \"absolute\"", file: path)
        }
        let act: Activation
        switch json["hidden_act"] as? String ?? "gelu" {
        case "gelu": act = .gelu
        case "gelu_new", "gelu_pytorch_tanh": act = .geluTanh
        case let other:
            throw LexicellError("hidden_act \"\(other)\" is not supported; expected \"gelu\"", file: path)
        }
        let config = BertConfig(
            hiddenSize: try int("hidden_size"), layers: try int("num_hidden_layers"),
            heads: try int("num_attention_heads"), intermediateSize: try int("intermediate_size"),
            vocabSize: try int("vocab_size"), maxPositions: try int("max_position_embeddings", default: 512),
            typeVocabSize: try int("type_vocab_size", default: 2),
            layerNormEps: (json["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12, activation: act)
        guard config.hiddenSize % config.heads == 0 else {
            throw LexicellError(
                "hidden_size \(config.hiddenSize) is not a multiple of num_attention_heads \(config.heads)",
                file: path)
        }
        return config
    }
}
