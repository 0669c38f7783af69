import Foundation
import LexicellCore

/// Element types found in checkpoints. Floating types are converted to Float32 on load; integer tensors
/// (e.g. `position_ids`) are indexed but never read.
enum WeightDType: String, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    var byteCount: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    var isFloat: Bool { self == .f64 || self == .f32 || self == .f16 || self == .bf16 }
}

/// A Float32 tensor, row-major.
struct Tensor {
    var shape: [Int]
    var values: [Float]
}

/// The tensors of one checkpoint file (safetensors or PyTorch zip), read on demand.
struct WeightFile {
    enum Format: String, Sendable { case safetensors, pytorch = "pytorch_model.bin" }

    struct Entry {
        var dtype: WeightDType
        var shape: [Int]
        var strides: [Int]
        /// Byte offset of element 0 within `storage`.
        var byteOffset: Int
        /// Safetensors: always "" (the mapped file). PyTorch: the storage key.
        var storage: String
    }

    let path: String
    let format: Format
    private(set) var entries: [String: Entry]
    private let mapped: Data?
    private let storages: [String: Data]

    var names: [String] { entries.keys.sorted() }

    static func open(_ url: URL) throws -> WeightFile {
        if url.lastPathComponent.hasSuffix(".safetensors") { return try openSafetensors(url) }
        return try TorchCheckpoint.open(url)
    }

    init(path: String, format: Format, entries: [String: Entry], mapped: Data?, storages: [String: Data]) {
        self.path = path
        self.format = format
        self.entries = entries
        self.mapped = mapped
        self.storages = storages
    }

    /// The tensor converted to Float32 (contiguous, row-major), or nil if absent.
    func tensor(_ name: String) throws -> Tensor? {
        guard let e = entries[name] else { return nil }
        guard e.dtype.isFloat else {
            throw LexicellError(
                "tensor \(name) has integer type \(e.dtype.rawValue), expected a floating type",
                file: path)
        }
        guard let data = e.storage.isEmpty ? mapped : storages[e.storage] else {
            throw LexicellError("tensor \(name) refers to missing storage data/\(e.storage)", file: path)
        }
        let count = e.shape.reduce(1, *)
        var last = e.byteOffset
        for (n, s) in zip(e.shape, e.strides) where n > 0 { last += (n - 1) * s * e.dtype.byteCount }
        guard e.byteOffset >= 0, count == 0 || last + e.dtype.byteCount <= data.count else {
            throw LexicellError("tensor \(name) extends beyond its data (file truncated?)", file: path)
        }
        var out = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + e.byteOffset
            out.withUnsafeMutableBufferPointer { dst in
                if Self.isContiguous(shape: e.shape, strides: e.strides) {
                    Self.convert(base, e.dtype, count: count, into: dst.baseAddress!)
                } else {
                    // Rare (views saved without cloning): gather element by element.
                    var index = [Int](repeating: 0, count: e.shape.count)
                    for k in 0..<count {
                        var off = 0
                        for d in 0..<index.count { off += index[d] * e.strides[d] }
                        Self.convert(base + off * e.dtype.byteCount, e.dtype, count: 1, into: dst.baseAddress! + k)
                        var d = index.count - 1
                        while d >= 0 { index[d] += 1; if index[d] < e.shape[d] { break }; index[d] = 0; d -= 1 }
                    }
                }
            }
        }
        return Tensor(shape: e.shape, values: out)
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) { s[d] = acc; acc *= shape[d] }
        return s
    }

    private static func isContiguous(shape: [Int], strides: [Int]) -> Bool {
        let c = contiguousStrides(shape)
        for d in 0..<shape.count where shape[d] > 1 && strides[d] != c[d] { return false }
        return true
    }

    private static func convert(
        _ src: UnsafeRawPointer, _ dtype: WeightDType, count: Int,
        into dst: UnsafeMutablePointer<Float>
    ) {
        switch dtype {
        case .f32:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f64:
            for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        case .bf16:
            for i in 0..<count {
                let h = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                dst[i] = Float(bitPattern: UInt32(h) << 16)
            }
        case .f16:
            for i in 0..<count {
                dst[i] = halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        default:
            preconditionFailure("integer tensors are not converted")
        }
    }

    /// IEEE binary16 → binary32, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1f)
        let mant = UInt32(h & 0x3ff)
        if exp == 0 {
            if mant == 0 { return Float(bitPattern: sign) }
            let v = Float(mant) * 0x1p-24
            return sign == 0 ? v : -v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }

    // MARK: safetensors

    /// Layout: u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}}, raw data.
    private static func openSafetensors(_ url: URL) throws -> WeightFile {
        let path = url.path
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else {
            throw LexicellError("cannot read weights file", file: path)
        }
        guard data.count >= 8 else {
            throw LexicellError(
                "safetensors file is \(data.count) bytes, shorter than its 8-byte header length",
                file: path)
        }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw LexicellError(
                "safetensors header length \(headerLength) runs beyond the file's \(data.count) bytes (file truncated?)",
                file: path)
        }
        let dataStart = 8 + Int(headerLength)
        let header = data.subdata(in: 8..<dataStart)
        guard let json = (try? JSONSerialization.jsonObject(with: header)) as? [String: Any] else {
            throw LexicellError("safetensors header is not a JSON object", file: path)
        }
        let dataLength = data.count - dataStart
        var entries = [String: Entry]()
        for (name, value) in json where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                let shape = (info["shape"] as? [NSNumber])?.map({ $0.intValue }),
                let offsets = (info["data_offsets"] as? [NSNumber])?.map({ $0.intValue }), offsets.count == 2
            else {
                throw LexicellError("safetensors header entry \(name) lacks dtype/shape/data_offsets", file: path)
            }
            guard let dtype = WeightDType(rawValue: dtypeName) else {
                throw LexicellError(
                    "tensor \(name) has unknown dtype \(dtypeName) (supported: F32, F16, BF16, F64; integer tensors are skipped)",
                    file: path)
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength else {
                throw LexicellError(
                    "tensor \(name) data_offsets \(offsets[0])..<\(offsets[1]) lie beyond the \(dataLength) data bytes (file truncated?)",
                    file: path)
            }
            let needed = shape.reduce(1, *) * dtype.byteCount
            guard offsets[1] - offsets[0] == needed else {
                throw LexicellError(
                    "tensor \(name) has \(offsets[1] - offsets[0]) bytes, its shape \(shape) of \(dtype.rawValue) needs \(needed)",
                    file: path)
            }
            entries[name] = Entry(
                dtype: dtype, shape: shape, strides: contiguousStrides(shape),
                byteOffset: dataStart + offsets[0], storage: "")
        }
        return WeightFile(path: path, format: .safetensors, entries: entries, mapped: data, storages: [:])
    }
}
