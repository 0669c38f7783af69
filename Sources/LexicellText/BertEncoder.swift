import Foundation
import LexicellCore
import CBLAS

/// A fixed block of Float32 memory that lives as long as its owner (weights, work buffers).
final class FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }
}

/// BERT weights in the layout the forward pass uses: linear weights `[out, in]` as stored by PyTorch
/// (applied as X·Wᵀ), query/key/value fused into one `[3H, H]` matrix.
struct BertWeights: @unchecked Sendable {
    struct Layer {
        var qkvW: FloatBuffer, qkvB: FloatBuffer
        var attnOutW: FloatBuffer, attnOutB: FloatBuffer
        var attnNormG: FloatBuffer, attnNormB: FloatBuffer
        var interW: FloatBuffer, interB: FloatBuffer
        var outW: FloatBuffer, outB: FloatBuffer
        var outNormG: FloatBuffer, outNormB: FloatBuffer
    }

    var wordEmbeddings: FloatBuffer
    var positionEmbeddings: FloatBuffer
    var tokenType0: FloatBuffer
    var embedNormG: FloatBuffer, embedNormB: FloatBuffer
    var layers: [Layer]

    /// Picks the encoder tensors (with or without a `bert.` prefix; heads ignored) and checks every shape
    /// against `config`.
    init(file: WeightFile, config c: BertConfig) throws {
        let prefix = file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func load(_ name: String, _ shape: [Int], alternate: String? = nil) throws -> [Float] {
            var full = prefix + name
            if file.entries[full] == nil, let alternate, file.entries[prefix + alternate] != nil { full = prefix + alternate }
            guard let t = try file.tensor(full) else {
                throw LexicellError("weights lack tensor \(full) (is this a BERT checkpoint?)", file: file.path)
            }
            guard t.shape == shape else {
                throw LexicellError("tensor \(full) has shape \(t.shape) but config.json implies \(shape)", file: file.path)
            }
            return t.values
        }
        // Old TensorFlow-converted checkpoints name LayerNorm parameters gamma/beta.
        func norm(_ base: String) throws -> (FloatBuffer, FloatBuffer) {
            (
                FloatBuffer(try load(base + ".weight", [c.hiddenSize], alternate: base + ".gamma")),
                FloatBuffer(try load(base + ".bias", [c.hiddenSize], alternate: base + ".beta"))
            )
        }
        let h = c.hiddenSize, i = c.intermediateSize
        wordEmbeddings = FloatBuffer(try load("embeddings.word_embeddings.weight", [c.vocabSize, h]))
        positionEmbeddings = FloatBuffer(try load("embeddings.position_embeddings.weight", [c.maxPositions, h]))
        let types = try load("embeddings.token_type_embeddings.weight", [c.typeVocabSize, h])
        tokenType0 = FloatBuffer(Array(types[0..<h]))
        (embedNormG, embedNormB) = try norm("embeddings.LayerNorm")
        layers = []
        for l in 0..<c.layers {
            let p = "encoder.layer.\(l)."
            var qkvW = [Float](), qkvB = [Float]()
            for part in ["query", "key", "value"] {
                qkvW += try load(p + "attention.self.\(part).weight", [h, h])
                qkvB += try load(p + "attention.self.\(part).bias", [h])
            }
            let (ag, ab) = try norm(p + "attention.output.LayerNorm")
            let (og, ob) = try norm(p + "output.LayerNorm")
            layers.append(
                Layer(
                    qkvW: FloatBuffer(qkvW), qkvB: FloatBuffer(qkvB),
                    attnOutW: FloatBuffer(try load(p + "attention.output.dense.weight", [h, h])),
                    attnOutB: FloatBuffer(try load(p + "attention.output.dense.bias", [h])),
                    attnNormG: ag, attnNormB: ab,
                    interW: FloatBuffer(try load(p + "intermediate.dense.weight", [i, h])),
                    interB: FloatBuffer(try load(p + "intermediate.dense.bias", [i])),
                    outW: FloatBuffer(try load(p + "output.dense.weight", [h, i])),
                    outB: FloatBuffer(try load(p + "output.dense.bias", [h])),
                    outNormG: og, outNormB: ob))
        }
    }
}

/// The native BERT encoder: WordPiece → transformer (Float32 on OpenBLAS) → mean or [CLS] pooling.
///
/// Sequences of one batch are packed end to end with no padding: the dense layers see only real tokens and
/// attention runs per sequence over its own length, which is exactly what a padding mask computes.
public final class BertEncoder: TextEmbedder, @unchecked Sendable {
    public enum Pooling: String, Sendable { case mean, cls }

    /// How the two cores are used: OpenBLAS threads inside each product, or independent batches on
    /// worker threads with single-threaded BLAS.
    public enum Parallelism: Sendable, Equatable { case blasThreads(Int), workers(Int) }

    public let name: String
    public let config: BertConfig
    public let tokenizer: WordPieceTokenizer
    /// Longest sequence in tokens, [CLS] and [SEP] included.
    public let maxLength: Int
    public let pooling: Pooling
    public let normalize: Bool
    public let weightsURL: URL
    public var parallelism: Parallelism = .blasThreads(2)
    /// Tokens per forward batch; bounds work-buffer memory.
    public var tokensPerBatch = 4096
    /// libm `expf`/`erff` instead of the vectorised approximations (for timing comparisons).
    public var libmKernels = false
    let weights: BertWeights

    init(
        name: String, config: BertConfig, tokenizer: WordPieceTokenizer, maxLength: Int, pooling: Pooling,
        normalize: Bool, weightsURL: URL, weights: BertWeights
    ) {
        self.name = name
        self.config = config
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        self.pooling = pooling
        self.normalize = normalize
        self.weightsURL = weightsURL
        self.weights = weights
    }

    public var dimension: Int { config.hiddenSize }

    private lazy var weightsDigest: String = WeightsDigest.digest(weightsURL)
    private let digestLock = NSLock()

    /// Model name, the first 12 hex digits of the weights file's SHA-256, pooling and normalisation,
    /// e.g. `all-MiniLM-L6-v2@53aa5117…:mean+l2`.
    public var modelIdentity: String {
        digestLock.lock(); defer { digestLock.unlock() }
        return "\(name)@\(weightsDigest.prefix(12)):\(pooling.rawValue)\(normalize ? "+l2" : "")"
    }

    static func fileDigest(_ url: URL) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "unreadable" }
        defer { try? handle.close() }
        var sha = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 22), !chunk.isEmpty {
            chunk.withUnsafeBytes { sha.update($0) }
        }
        return SHA256.hex(sha.finish())
    }

    /// Token ids of each text, truncated to `maxLength`. An empty or whitespace-only text is an error naming
    /// its index: it has no meaningful embedding.
    public func tokenIDs(_ texts: [String]) throws -> [[Int32]] {
        try texts.enumerated().map { i, text in
            let ids = tokenizer.encode(text, maxLength: maxLength)
            guard ids.count > 2 else {
                throw LexicellError("text \(i) is empty (no tokens after normalisation); give every input a text")
            }
            return ids
        }
    }

    public func embed(_ texts: [String], progress: ProgressLine?) throws -> DenseMatrix {
        try embed(tokenIDs: try tokenIDs(texts), progress: progress)
    }

    /// Embeds pre-tokenised sequences (each `[CLS] … [SEP]`, at most `maxLength` ids).
    public func embed(tokenIDs sequences: [[Int32]], progress: ProgressLine?) throws -> DenseMatrix {
        let h = config.hiddenSize
        for (i, s) in sequences.enumerated() {
            guard !s.isEmpty, s.count <= min(maxLength, config.maxPositions) else {
                throw LexicellError("sequence \(i) has \(s.count) tokens; expected 1…\(min(maxLength, config.maxPositions))")
            }
            if let bad = s.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw LexicellError("sequence \(i) has token id \(bad) outside the vocabulary of \(config.vocabSize)")
            }
        }
        var out = DenseMatrix(rows: sequences.count, cols: h)
        guard !sequences.isEmpty else { return out }

        // Longest first, so batches hold sequences of similar length and the big ones start early.
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var batches = [[Int]]()
        var current = [Int](), tokens = 0
        for i in order {
            if !current.isEmpty && tokens + sequences[i].count > tokensPerBatch {
                batches.append(current); current = []; tokens = 0
            }
            current.append(i); tokens += sequences[i].count
        }
        if !current.isEmpty { batches.append(current) }
        let capacity = batches.map { $0.reduce(0) { $0 + sequences[$1].count } }.max()!
        let longest = sequences[order[0]].count

        let workers: Int
        let savedThreads = LinearAlgebra.threads
        defer { LinearAlgebra.threads = savedThreads }  // leave the process-wide BLAS setting as found
        switch parallelism {
        case .blasThreads(let n): LinearAlgebra.threads = max(1, n); workers = 1
        case .workers(let n): LinearAlgebra.threads = 1; workers = max(1, min(n, batches.count))
        }
        let lock = NSLock()
        var next = 0
        out.values.withUnsafeMutableBufferPointer { outBuf in
            let outPtr = outBuf.baseAddress!
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                let work = Workspace(config: config, tokens: capacity, longest: longest)
                while true {
                    lock.lock()
                    let b = next; next += 1
                    lock.unlock()
                    if b >= batches.count { break }
                    let batch = batches[b]
                    forward(batch.map { sequences[$0] }, work: work)
                    pool(batch.map { sequences[$0].count }, work: work) { k, vector in
                        (outPtr + batch[k] * h).update(from: vector, count: h)
                    }
                    progress?.advance(by: batch.count)
                }
            }
        }
        if normalize { out.normalizeRows() }
        return out
    }

    // MARK: forward pass

    final class Workspace {
        let x, qkv, ctx, h1, inter, scores: FloatBuffer
        init(config c: BertConfig, tokens: Int, longest: Int) {
            x = FloatBuffer(count: tokens * c.hiddenSize)
            qkv = FloatBuffer(count: tokens * 3 * c.hiddenSize)
            ctx = FloatBuffer(count: tokens * c.hiddenSize)
            h1 = FloatBuffer(count: tokens * c.hiddenSize)
            inter = FloatBuffer(count: tokens * c.intermediateSize)
            scores = FloatBuffer(count: longest * longest)
        }
    }

    /// Leaves the last hidden states of the packed sequences in `work.x`.
    private func forward(_ seqs: [[Int32]], work: Workspace) {
        let c = config, h = c.hiddenSize, inner = c.intermediateSize
        let heads = c.heads, d = h / heads
        let total = seqs.reduce(0) { $0 + $1.count }
        let w = weights
        let x = work.x.pointer, qkv = work.qkv.pointer, ctx = work.ctx.pointer, h1 = work.h1.pointer
        let inter = work.inter.pointer, scores = work.scores.pointer

        var t = 0
        for s in seqs {
            for (p, id) in s.enumerated() {
                let row = x + t * h
                let we = w.wordEmbeddings.pointer + Int(id) * h, pe = w.positionEmbeddings.pointer + p * h
                let te = w.tokenType0.pointer
                for j in 0..<h { row[j] = we[j] + pe[j] + te[j] }
                t += 1
            }
        }
        layerNorm(x, rows: total, cols: h, gamma: w.embedNormG.pointer, beta: w.embedNormB.pointer, eps: c.layerNormEps)

        let scale = 1 / Float(d).squareRoot()
        for layer in w.layers {
            linear(x, rows: total, inputs: h, layer.qkvW, layer.qkvB, outputs: 3 * h, into: qkv)
            var offset = 0
            for s in seqs {
                let n = s.count
                for head in 0..<heads {
                    let q = qkv + offset * 3 * h + head * d
                    let k = q + h, v = q + 2 * h
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(d), scale,
                        q, Int32(3 * h), k, Int32(3 * h), 0, scores, Int32(n))
                    softmaxRows(scores, rows: n, cols: n, libm: libmKernels)
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(d), Int32(n), 1,
                        scores, Int32(n), v, Int32(3 * h), 0, ctx + offset * h + head * d, Int32(h))
                }
                offset += n
            }
            linear(ctx, rows: total, inputs: h, layer.attnOutW, layer.attnOutB, outputs: h, into: h1)
            addInPlace(h1, x, count: total * h)
            layerNorm(
                h1, rows: total, cols: h, gamma: layer.attnNormG.pointer, beta: layer.attnNormB.pointer,
                eps: c.layerNormEps)
            linear(h1, rows: total, inputs: h, layer.interW, layer.interB, outputs: inner, into: inter)
            gelu(inter, count: total * inner, tanhApproximation: c.activation == .geluTanh, libm: libmKernels)
            linear(inter, rows: total, inputs: inner, layer.outW, layer.outB, outputs: h, into: x)
            addInPlace(x, h1, count: total * h)
            layerNorm(
                x, rows: total, cols: h, gamma: layer.outNormG.pointer, beta: layer.outNormB.pointer,
                eps: c.layerNormEps)
        }
    }

    /// Calls `emit(k, vector)` with the pooled vector of the k-th packed sequence.
    private func pool(_ lengths: [Int], work: Workspace, emit: (Int, UnsafePointer<Float>) -> Void) {
        let h = config.hiddenSize
        let acc = work.ctx.pointer
        var offset = 0
        for (k, n) in lengths.enumerated() {
            let first = work.x.pointer + offset * h
            switch pooling {
            case .cls:
                emit(k, first)
            case .mean:
                acc.update(repeating: 0, count: h)
                for r in 0..<n { let row = first + r * h; for j in 0..<h { acc[j] += row[j] } }
                let inv = 1 / Float(n)
                for j in 0..<h { acc[j] *= inv }
                emit(k, acc)
            }
            offset += n
        }
    }
}

// MARK: kernels

/// Y = X·Wᵀ + b with W stored `[outputs, inputs]`.
@inline(__always)
private func linear(
    _ x: UnsafePointer<Float>, rows: Int, inputs: Int, _ w: FloatBuffer, _ b: FloatBuffer,
    outputs: Int, into y: UnsafeMutablePointer<Float>
) {
    let bias = b.pointer
    for r in 0..<rows { (y + r * outputs).update(from: bias, count: outputs) }
    cblas_sgemm(
        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs), 1,
        x, Int32(inputs), w.pointer, Int32(inputs), 1, y, Int32(outputs))
}

@inline(__always)
private func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += x[i] }
}

private func layerNorm(
    _ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int, gamma: UnsafePointer<Float>,
    beta: UnsafePointer<Float>, eps: Float
) {
    let inv = 1 / Float(cols)
    for r in 0..<rows {
        let row = x + r * cols
        var sum: Float = 0
        for j in 0..<cols { sum += row[j] }
        let mean = sum * inv
        var sq: Float = 0
        for j in 0..<cols { let v = row[j] - mean; sq += v * v }
        let rstd = 1 / (sq * inv + eps).squareRoot()
        for j in 0..<cols { row[j] = (row[j] - mean) * rstd * gamma[j] + beta[j] }
    }
}

private func softmaxRows(_ s: UnsafeMutablePointer<Float>, rows: Int, cols: Int, libm: Bool) {
    for r in 0..<rows {
        let row = s + r * cols
        var m = -Float.infinity
        for j in 0..<cols { m = max(m, row[j]) }
        if libm {
            for j in 0..<cols { row[j] = expf(row[j] - m) }
        } else {
            for j in 0..<cols { row[j] = FastMath.exp(row[j] - m) }
        }
        var sum: Float = 0
        for j in 0..<cols { sum += row[j] }
        let inv = 1 / sum
        for j in 0..<cols { row[j] *= inv }
    }
}

private func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, tanhApproximation: Bool, libm: Bool) {
    let invSqrt2: Float = 1 / Float(2).squareRoot()
    if tanhApproximation {
        let k: Float = (2 / Float.pi).squareRoot()
        for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + tanhf(k * (v + 0.044715 * v * v * v))) }
    } else if !libm {
        for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + FastMath.erf(v * invSqrt2)) }
    } else {
        for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + erff(v * invSqrt2)) }
    }
}
