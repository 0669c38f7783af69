import Foundation
import LexicellCore

/// Gene symbol → embedding vector, for every gene that has one.
///
/// Sources: a text encoder over gene texts, a file (TSV/CSV or the binary `.lxge` form), or the random control.
public struct GeneEmbeddingTable: Sendable {
    public private(set) var symbols: [String]
    /// One row per symbol.
    public private(set) var vectors: DenseMatrix
    /// Which model made the vectors (e.g. `all-MiniLM-L6-v2@…:mean:norm`, or `random:seed=0:dim=384`).
    public var modelIdentity: String
    private var index: [String: Int]

    public init(symbols: [String], vectors: DenseMatrix, modelIdentity: String) throws {
        guard symbols.count == vectors.rows else {
            throw LexicellError("gene embedding table has \(symbols.count) symbols but \(vectors.rows) vectors")
        }
        var idx = [String: Int]()
        for (i, s) in symbols.enumerated() {
            guard idx[s] == nil else { throw LexicellError("gene embedding table lists '\(s)' twice") }
            idx[s] = i
        }
        self.symbols = symbols
        self.vectors = vectors
        self.modelIdentity = modelIdentity
        index = idx
    }

    public var dimension: Int { vectors.cols }
    public var count: Int { symbols.count }
    public func row(of symbol: String) -> Int? { index[symbol] }
    public var symbolSet: Set<String> { Set(symbols) }

    /// The random control: one seeded standard Gaussian vector per symbol. A gene's vector depends only on
    /// (seed, symbol, dimension), so it is the same whichever other genes are asked for.
    public static func random(symbols: [String], dimension: Int, seed: UInt64) throws -> GeneEmbeddingTable {
        var values = [Float](repeating: 0, count: symbols.count * dimension)
        for (i, s) in symbols.enumerated() {
            var rng = SeededGenerator(seed: Digest.fnv1a(Array(s.utf8), seed: seed ^ 0x5bd1_e995_1234_5678))
            for j in 0..<dimension { values[i * dimension + j] = Float(rng.nextGaussian()) }
        }
        return try GeneEmbeddingTable(
            symbols: symbols, vectors: DenseMatrix(rows: symbols.count, cols: dimension, values: values),
            modelIdentity: "random:seed=\(seed):dim=\(dimension)")
    }

    /// Embeds the texts of `symbols` with `embedder` (only symbols with a text are kept).
    public static func embed(
        _ texts: GeneTexts, symbols: [String]? = nil, with embedder: TextEmbedder,
        progress: ProgressLine? = nil
    ) throws -> GeneEmbeddingTable {
        let wanted = (symbols ?? texts.symbols).filter { texts.contains($0) }
        let unique = Array(NSOrderedSet(array: wanted)) as! [String]
        let vectors = try embedder.embed(unique.map { texts.text(for: $0)! }, progress: progress)
        return try GeneEmbeddingTable(symbols: unique, vectors: vectors, modelIdentity: embedder.modelIdentity)
    }

    // MARK: Files

    /// Reads `.lxge` (binary), or a delimited text file: symbol then the vector's values on each line, an
    /// optional header line whose second field is not a number.
    public static func load(path: String) throws -> GeneEmbeddingTable {
        let bytes = try FileData.read(path)
        if bytes.starts(with: Self.magic) { return try readBinary(bytes, path: path) }
        return try readDelimited(bytes, path: path)
    }

    private static func readDelimited(_ bytes: [UInt8], path: String) throws -> GeneEmbeddingTable {
        var symbols = [String]()
        var values = [Float]()
        var dim = -1
        var firstLineNumber = 0
        try bytes.withUnsafeBufferPointer { p in
            var fields = [Range<Int>]()
            var delimiter: UInt8 = 0x09
            for line in LineSplitter(bytes) where !line.range.isEmpty {
                if firstLineNumber == 0 {
                    firstLineNumber = line.number
                    delimiter = Table.guessDelimiter(bytes[line.range])
                    FieldSplitter.split(p, line.range, delimiter: delimiter, into: &fields)
                    if fields.count > 1 && NumberParser.double(p, fields[1]) == nil { continue }  // header
                }
                FieldSplitter.split(p, line.range, delimiter: delimiter, into: &fields)
                let d = fields.count - 1
                guard d >= 1 else { throw LexicellError("expected a symbol followed by numbers", file: path, line: line.number) }
                if dim < 0 {
                    dim = d
                } else if d != dim {
                    throw LexicellError("vector has \(d) values but earlier lines have \(dim) (mixed dimensions)", file: path, line: line.number)
                }
                symbols.append(FieldSplitter.string(p, fields[0]))
                for f in fields.dropFirst() {
                    guard let v = NumberParser.double(p, f), v.isFinite else {
                        throw LexicellError("'\(FieldSplitter.string(p, f))' is not a finite number", file: path, line: line.number)
                    }
                    values.append(Float(v))
                }
            }
        }
        guard dim > 0 else { throw LexicellError("no gene vectors in file", file: path) }
        do {
            return try GeneEmbeddingTable(
                symbols: symbols, vectors: DenseMatrix(rows: symbols.count, cols: dim, values: values),
                modelIdentity: "file:\((path as NSString).lastPathComponent)")
        } catch let e as LexicellError {
            throw LexicellError(e.message, file: path)
        }
    }

    static let magic: [UInt8] = Array("LXGE1\n".utf8)

    struct Header: Codable { var count: Int; var dimension: Int; var modelIdentity: String; var symbols: [String] }

    /// The binary form: `LXGE1\n`, a little-endian UInt64 header length, a JSON header
    /// {count, dimension, modelIdentity, symbols}, then count × dimension little-endian Float32 values.
    public func write(to path: String) throws {
        var data = Data(Self.magic)
        // Sorted keys: the same table gives the same bytes in every process (dictionary order is seeded per process).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try encoder.encode(Header(count: count, dimension: dimension, modelIdentity: modelIdentity, symbols: symbols))
        var len = UInt64(header.count).littleEndian
        data.append(Data(bytes: &len, count: 8))
        data.append(header)
        vectors.values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        try AtomicFile.write(data, to: path)
    }

    private static func readBinary(_ bytes: [UInt8], path: String) throws -> GeneEmbeddingTable {
        let start = magic.count
        guard bytes.count >= start + 8 else { throw LexicellError(".lxge: truncated file (no header length after the magic)", file: path) }
        var len: UInt64 = 0
        for i in 0..<8 { len |= UInt64(bytes[start + i]) << (8 * UInt64(i)) }
        let hStart = start + 8
        guard len <= UInt64(bytes.count - hStart) else {
            throw LexicellError(
                ".lxge: header length field says \(len) bytes but only \(bytes.count - hStart) bytes follow it (truncated or corrupt file)",
                file: path)
        }
        let hEnd = hStart + Int(len)
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[hStart..<hEnd])) } catch {
            throw LexicellError(".lxge: corrupt JSON header (\(error)); expected {count, dimension, modelIdentity, symbols}", file: path)
        }
        guard header.count >= 0 else { throw LexicellError(".lxge header field 'count': \(header.count), expected a non-negative number of genes", file: path) }
        guard header.dimension >= 1 else {
            throw LexicellError(".lxge header field 'dimension': \(header.dimension), expected a positive vector length", file: path)
        }
        guard header.symbols.count == header.count else {
            throw LexicellError(
                ".lxge header field 'symbols': \(header.symbols.count) symbols but 'count' is \(header.count); expected one symbol per vector",
                file: path)
        }
        let found = bytes.count - hEnd
        let (values, o1) = header.count.multipliedReportingOverflow(by: header.dimension)
        let (need, o2) = values.multipliedReportingOverflow(by: 4)
        guard !o1 && !o2 else {
            throw LexicellError(
                ".lxge header fields 'count' × 'dimension': \(header.count) × \(header.dimension) × 4 bytes overflows; the file has \(found) bytes of vectors",
                file: path)
        }
        guard found == need else {
            throw LexicellError(
                ".lxge: expected \(need) bytes of vectors for 'count' \(header.count) × 'dimension' \(header.dimension) (Float32), found \(found) (\(found < need ? "truncated file" : "trailing bytes"))",
                file: path)
        }
        var floats = [Float](repeating: 0, count: values)
        floats.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[hEnd..<(hEnd + need)])) }
        }
        for i in floats.indices { floats[i] = Float(bitPattern: UInt32(littleEndian: floats[i].bitPattern)) }
        if let bad = floats.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError(
                ".lxge: vector of '\(header.symbols[bad / header.dimension])' (gene \(bad / header.dimension + 1)) has \(floats[bad]) at position \(bad % header.dimension + 1); expected finite numbers",
                file: path)
        }
        do {
            return try GeneEmbeddingTable(
                symbols: header.symbols, vectors: DenseMatrix(rows: header.count, cols: header.dimension, values: floats),
                modelIdentity: header.modelIdentity)
        } catch let e as LexicellError {
            throw LexicellError(".lxge header field 'symbols': " + e.message, file: path)
        }
    }
}
