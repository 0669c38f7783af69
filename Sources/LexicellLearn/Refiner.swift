import Foundation
import LexicellCore

/// A trained SupCon encoder: maps cell embeddings of one gene-embedding model to refined embeddings.
///
/// File format (version 1): one line of UTF-8 JSON (the header: format name and version, configuration,
/// the gene-embedding model identity, tensor names and shapes, weight count), a newline, then the encoder's
/// weights as raw little-endian Float32 in header order. Tensor names follow PyTorch's state_dict of
/// `nn.Sequential(Linear, BatchNorm1d, ReLU, Linear)`. The projection head is not saved: it serves only the loss.
public struct Refiner: Equatable, Sendable {
    public let configuration: SupConConfiguration
    /// Identity of the gene-embedding model whose cell embeddings this refiner takes.
    public let modelIdentity: String
    /// Encoder tensors in `tensorNames` order.
    let tensors: [[Float]]

    public static let formatName = "lexicell-supcon-refiner"
    public static let formatVersion = 1
    static let tensorNames = [
        "encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias",
        "encoder.1.running_mean", "encoder.1.running_var", "encoder.3.weight", "encoder.3.bias",
    ]

    static func shapes(_ c: SupConConfiguration) -> [[Int]] {
        [
            [c.hiddenDim, c.inputDim], [c.hiddenDim], [c.hiddenDim], [c.hiddenDim], [c.hiddenDim], [c.hiddenDim],
            [c.embeddingDim, c.hiddenDim], [c.embeddingDim],
        ]
    }

    init(configuration: SupConConfiguration, modelIdentity: String, tensors: [[Float]]) {
        precondition(tensors.map(\.count) == Self.shapes(configuration).map { $0.reduce(1, *) })
        self.configuration = configuration
        self.modelIdentity = modelIdentity
        self.tensors = tensors
    }

    /// Snapshot of a network's encoder (parameters and BatchNorm running statistics).
    init(network: SupConNetwork<Float>, configuration: SupConConfiguration, modelIdentity: String) {
        let n = network
        self.init(
            configuration: configuration, modelIdentity: modelIdentity,
            tensors: [
                n.encoder1.weight, n.encoder1.bias, n.encoderNorm.gamma, n.encoderNorm.beta,
                n.encoderNorm.runningMean, n.encoderNorm.runningVar, n.encoder2.weight,
                n.encoder2.bias,
            ].map(\.values))
    }

    public var inputDim: Int { configuration.inputDim }
    public var outputDim: Int { configuration.embeddingDim }

    /// Refined embeddings (n × embeddingDim) of cell embeddings `x` (n × inputDim), BatchNorm in inference mode.
    public func embed(_ x: DenseMatrix) throws -> DenseMatrix {
        guard x.cols == inputDim else {
            throw LexicellError(
                "refiner expects \(inputDim)-d cell embeddings from gene-embedding model "
                    + "\"\(modelIdentity)\", got \(x.cols)-d input; embed the cells with that model")
        }
        let c = configuration, n = x.rows
        var hidden = [Float](repeating: 0, count: n * c.hiddenDim)
        var out = DenseMatrix(rows: n, cols: c.embeddingDim)
        guard n > 0 else { return out }
        let t = tensors
        x.values.withUnsafeBufferPointer { xp in
            hidden.withUnsafeMutableBufferPointer { hp in
                let h = hp.baseAddress!
                linear(xp.baseAddress!, rows: n, inputs: c.inputDim, weight: t[0], bias: t[1], into: h)
                t[2].withUnsafeBufferPointer { g in
                    t[3].withUnsafeBufferPointer { b in
                        t[4].withUnsafeBufferPointer { m in
                            t[5].withUnsafeBufferPointer { v in
                                BatchNorm<Float>.inference(
                                    h, rows: n, features: c.hiddenDim, mean: m.baseAddress!,
                                    variance: v.baseAddress!, gamma: g.baseAddress!,
                                    beta: b.baseAddress!, epsilon: 1e-5, into: h)
                            }
                        }
                    }
                }
                for i in 0..<(n * c.hiddenDim) where h[i] < 0 { h[i] = 0 }
                out.values.withUnsafeMutableBufferPointer { op in
                    linear(h, rows: n, inputs: c.hiddenDim, weight: t[6], bias: t[7], into: op.baseAddress!)
                }
            }
        }
        return out
    }

    private func linear(
        _ x: UnsafePointer<Float>, rows n: Int, inputs: Int, weight: [Float], bias: [Float],
        into y: UnsafeMutablePointer<Float>
    ) {
        let outputs = bias.count
        bias.withUnsafeBufferPointer { b in
            for r in 0..<n { (y + r * outputs).update(from: b.baseAddress!, count: outputs) }
        }
        weight.withUnsafeBufferPointer { w in
            LinearAlgebra.gemm(
                x, rowsA: n, colsA: inputs, transposeA: false, w.baseAddress!, rowsB: outputs,
                colsB: inputs, transposeB: true, into: y, alpha: 1, beta: 1)
        }
    }

    // MARK: Persistence

    struct Header: Codable {
        struct TensorShape: Codable { var name: String; var shape: [Int] }
        var format: String
        var formatVersion: Int
        var modelIdentity: String
        var inputDim: Int
        var configuration: SupConConfiguration
        var tensors: [TensorShape]
        var weightCount: Int
        var byteOrder: String
    }

    public func save(to path: String) throws {
        let shapes = Self.shapes(configuration)
        let header = Header(
            format: Self.formatName, formatVersion: Self.formatVersion, modelIdentity: modelIdentity,
            inputDim: inputDim, configuration: configuration,
            tensors: zip(Self.tensorNames, shapes).map { .init(name: $0, shape: $1) },
            weightCount: tensors.reduce(0) { $0 + $1.count }, byteOrder: "little-endian")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(header)
        data.append(0x0A)
        var bytes = [UInt8]()
        bytes.reserveCapacity(header.weightCount * 4)
        for t in tensors { for v in t { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } } }
        data.append(contentsOf: bytes)
        try AtomicFile.write(data, to: path)
    }

    public static func load(from path: String) throws -> Refiner {
        let bytes = try FileData.read(path)
        guard bytes.first == UInt8(ascii: "{"), let newline = bytes.firstIndex(of: 0x0A) else {
            throw LexicellError("not a Lexicell refiner file (expected a JSON header line first)", file: path)
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[0..<newline]))
        } catch {
            if let object = try? JSONSerialization.jsonObject(with: Data(bytes[0..<newline])) as? [String: Any],
                object["format"] as? String == formatName,
                let version = object["formatVersion"] as? Int, version != formatVersion
            {
                throw LexicellError(
                    "refiner format version \(version) is not supported (this build reads version "
                        + "\(formatVersion))", file: path)
            }
            throw LexicellError("refiner header is not valid (\(error))", file: path)
        }
        guard header.format == formatName else {
            throw LexicellError(
                "not a Lexicell refiner file (format \"\(header.format)\", expected \"\(formatName)\")",
                file: path)
        }
        guard header.formatVersion == formatVersion else {
            throw LexicellError(
                "refiner format version \(header.formatVersion) is not supported (this build reads "
                    + "version \(formatVersion))", file: path)
        }
        guard header.byteOrder == "little-endian" else {
            throw LexicellError("refiner byteOrder \"\(header.byteOrder)\": expected \"little-endian\"", file: path)
        }
        let c = header.configuration
        do { try c.validate() } catch let e as LexicellError { throw LexicellError(e.message, file: path) }
        guard header.inputDim == c.inputDim else {
            throw LexicellError(
                "refiner header inputDim \(header.inputDim) differs from its configuration's "
                    + "\(c.inputDim)", file: path)
        }
        let expected = zip(tensorNames, shapes(c)).map { Header.TensorShape(name: $0, shape: $1) }
        guard header.tensors.map(\.name) == expected.map(\.name), header.tensors.map(\.shape) == expected.map(\.shape)
        else {
            throw LexicellError(
                "refiner tensors \(header.tensors.map { "\($0.name)\($0.shape)" }) do not match the "
                    + "configuration (expected \(expected.map { "\($0.name)\($0.shape)" }))", file: path)
        }
        let count = expected.reduce(0) { $0 + $1.shape.reduce(1, *) }
        guard header.weightCount == count else {
            throw LexicellError("refiner weightCount \(header.weightCount): expected \(count)", file: path)
        }
        let body = bytes.count - newline - 1
        guard body == count * 4 else {
            let what = body < count * 4 ? "truncated" : "longer than its header says"
            throw LexicellError(
                "refiner file is \(what): expected \(count) Float32 weights (\(count * 4) bytes) after "
                    + "the header, found \(body) bytes", file: path)
        }
        var tensors = [[Float]]()
        var offset = newline + 1
        for shape in expected.map(\.shape) {
            let n = shape.reduce(1, *)
            var t = [Float](repeating: 0, count: n)
            bytes.withUnsafeBytes { raw in
                for i in 0..<n {
                    let bits = raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)
                    t[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            guard t.allSatisfy(\.isFinite) else {
                throw LexicellError("refiner weights contain non-finite values", file: path)
            }
            tensors.append(t)
            offset += 4 * n
        }
        return Refiner(configuration: c, modelIdentity: header.modelIdentity, tensors: tensors)
    }
}
