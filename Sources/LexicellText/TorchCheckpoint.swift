import Foundation
import LexicellCore
import ZIPFoundation

/// Reads `pytorch_model.bin` in the zip format of torch ≥ 1.6: `<archive>/data.pkl` (a pickle of the state
/// dict) plus one raw little-endian file per storage, `<archive>/data/<key>`.
enum TorchCheckpoint {
    static func open(_ url: URL) throws -> WeightFile {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw LexicellError("file not found", file: path) }
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .read) } catch {
            throw LexicellError(
                "not a zip archive; only the zip checkpoint format of torch ≥ 1.6 is supported (re-save the model with a recent torch or as safetensors)",
                file: path)
        }
        guard let pickleEntry = archive.first(where: { $0.path.hasSuffix("data.pkl") }) else {
            throw LexicellError("zip archive has no data.pkl: not a PyTorch checkpoint", file: path)
        }
        let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
        let pickle = try readEntry(archive, pickleEntry, path: path)
        var machine = PickleMachine(bytes: [UInt8](pickle), file: path)
        let root = try machine.run()
        var tensors = [(String, TensorRef)]()
        collectTensors(root, into: &tensors)
        guard !tensors.isEmpty else { throw LexicellError("checkpoint holds no tensors", file: path) }

        var entries = [String: WeightFile.Entry]()
        var storages = [String: Data]()
        for (name, t) in tensors {
            if storages[t.key] == nil, t.dtype.isFloat {
                guard let entry = archive[prefix + "data/" + t.key] else {
                    throw LexicellError("tensor \(name): storage data/\(t.key) is missing from the archive", file: path)
                }
                storages[t.key] = try readEntry(archive, entry, path: path)
            }
            entries[name] = WeightFile.Entry(
                dtype: t.dtype, shape: t.shape, strides: t.strides,
                byteOffset: t.offset * t.dtype.byteCount, storage: t.key)
        }
        return WeightFile(path: path, format: .pytorch, entries: entries, mapped: nil, storages: storages)
    }

    private static func readEntry(_ archive: Archive, _ entry: Entry, path: String) throws -> Data {
        var data = Data()
        data.reserveCapacity(Int(entry.uncompressedSize))
        do {
            _ = try archive.extract(entry, skipCRC32: true) { data.append($0) }
        } catch {
            throw LexicellError("cannot read \(entry.path) from the archive (\(error))", file: path)
        }
        return data
    }

    private static func collectTensors(_ value: PickleValue, into out: inout [(String, TensorRef)]) {
        guard case .dict(let d) = value else { return }
        for (k, v) in d.items {
            guard case .string(let name) = k else { continue }
            if case .tensor(let t) = v { out.append((name, t)) }
        }
        // A checkpoint wrapping the weights as {"state_dict": …} or {"model": …}.
        if out.isEmpty {
            for (_, v) in d.items { if case .dict = v { collectTensors(v, into: &out) } }
        }
    }
}

struct TensorRef {
    var key: String
    var dtype: WeightDType
    var offset: Int
    var shape: [Int]
    var strides: [Int]
}

final class PickleDict { var items: [(PickleValue, PickleValue)] = [] }
final class PickleList { var items: [PickleValue] = [] }

indirect enum PickleValue {
    case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
    case tuple([PickleValue]), list(PickleList), dict(PickleDict)
    case global(String, String)
    case storage(key: String, dtype: WeightDType?)
    case tensor(TensorRef)
    /// The result of a call we do not model (e.g. backward hooks); harmless unless used as a tensor.
    case opaque(String)
    case mark
}

/// Enough of the pickle virtual machine (protocols 2–4) to rebuild a torch state dict's tensor table.
/// Only whitelisted globals are "called"; nothing is ever executed.
struct PickleMachine {
    let bytes: [UInt8]
    let file: String
    private var pos = 0
    private var stack: [PickleValue] = []
    private var memo: [Int: PickleValue] = [:]

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private func fail(_ what: String) -> LexicellError {
        LexicellError("data.pkl at byte \(pos): \(what)", file: file)
    }

    private mutating func byte() throws -> UInt8 {
        guard pos < bytes.count else { throw fail("pickle ends before its STOP opcode") }
        defer { pos += 1 }
        return bytes[pos]
    }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, pos + n <= bytes.count else { throw fail("pickle ends inside an argument") }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    private mutating func uint(_ n: Int) throws -> Int {
        var v = 0
        for (i, b) in try take(n).enumerated() { v |= Int(b) << (8 * i) }
        return v
    }

    private mutating func line() throws -> String {
        guard let end = bytes[pos...].firstIndex(of: 0x0a) else { throw fail("unterminated text argument") }
        defer { pos = end + 1 }
        return String(decoding: bytes[pos..<end], as: UTF8.self)
    }

    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw fail("stack underflow") }
        return v
    }

    /// Pops everything above the topmost MARK.
    private mutating func popToMark() throws -> [PickleValue] {
        guard
            let m = stack.lastIndex(where: {
                if case .mark = $0 { return true }; return false
            })
        else {
            throw fail("no MARK on the stack")
        }
        let items = Array(stack[(m + 1)...])
        stack.removeSubrange(m...)
        return items
    }

    mutating func run() throws -> PickleValue {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2e: return try pop()  // STOP
            case 0x28: stack.append(.mark)  // MARK
            case 0x4e: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4b: stack.append(.int(try uint(1)))  // BININT1
            case 0x4d: stack.append(.int(try uint(2)))  // BININT2
            case 0x4a: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
            case 0x8a:  // LONG1
                let n = Int(try byte())
                let raw = try take(n)
                var v: Int64 = 0
                for (i, b) in raw.enumerated() where i < 8 { v |= Int64(b) << (8 * Int64(i)) }
                if n > 0 && n < 8 && raw.last! & 0x80 != 0 { v -= Int64(1) << (8 * Int64(n)) }
                stack.append(.int(Int(v)))
            case 0x47:  // BINFLOAT (big-endian)
                var v: UInt64 = 0
                for b in try take(8) { v = v << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: v)))
            case 0x58: stack.append(.string(String(decoding: try take(try uint(4)), as: UTF8.self)))  // BINUNICODE
            case 0x8c: stack.append(.string(String(decoding: try take(try uint(1)), as: UTF8.self)))  // SHORT_BINUNICODE
            case 0x8d: stack.append(.string(String(decoding: try take(try uint(8)), as: UTF8.self)))  // BINUNICODE8
            case 0x54: stack.append(.string(String(decoding: try take(try uint(4)), as: UTF8.self)))  // BINSTRING
            case 0x55: stack.append(.string(String(decoding: try take(try uint(1)), as: UTF8.self)))  // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(Array(try take(try uint(4)))))  // BINBYTES
            case 0x43: stack.append(.bytes(Array(try take(try uint(1)))))  // SHORT_BINBYTES
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x5d: stack.append(.list(PickleList()))  // EMPTY_LIST
            case 0x7d: stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case 0x74: stack.append(.tuple(try popToMark()))  // TUPLE
            case 0x85: let a = try pop(); stack.append(.tuple([a]))  // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))  // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))  // TUPLE3
            case 0x6c: let l = PickleList(); l.items = try popToMark(); stack.append(.list(l))  // LIST
            case 0x64:  // DICT
                let d = PickleDict(); d.items = try pairs(try popToMark()); stack.append(.dict(d))
            case 0x61:  // APPEND
                let v = try pop()
                guard case .list(let l) = stack.last else { throw fail("APPEND to a non-list") }
                l.items.append(v)
            case 0x65:  // APPENDS
                let vs = try popToMark()
                guard case .list(let l) = stack.last else { throw fail("APPENDS to a non-list") }
                l.items.append(contentsOf: vs)
            case 0x73:  // SETITEM
                let v = try pop(), k = try pop()
                guard case .dict(let d) = stack.last else { throw fail("SETITEM on a non-dict") }
                d.items.append((k, v))
            case 0x75:  // SETITEMS
                let kv = try pairs(try popToMark())
                guard case .dict(let d) = stack.last else { throw fail("SETITEMS on a non-dict") }
                d.items.append(contentsOf: kv)
            case 0x71: memo[try uint(1)] = stack.last  // BINPUT
            case 0x72: memo[try uint(4)] = stack.last  // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last  // MEMOIZE
            case 0x68, 0x6a:  // BINGET, LONG_BINGET
                let k = try uint(op == 0x68 ? 1 : 4)
                guard let v = memo[k] else { throw fail("memo slot \(k) is empty") }
                stack.append(v)
            case 0x63:  // GLOBAL
                let module = try line(), name = try line()
                stack.append(.global(module, name))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                stack.append(.global(module, name))
            case 0x51:  // BINPERSID
                stack.append(try persistentLoad(try pop()))
            case 0x52:  // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try call(callable, args))
            case 0x81:  // NEWOBJ
                let args = try pop(), cls = try pop()
                stack.append(try call(cls, args))
            case 0x62: _ = try pop()  // BUILD: state (e.g. _metadata) unused
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popToMark()  // POP_MARK
            case 0x32: guard let t = stack.last else { throw fail("DUP on empty stack") }; stack.append(t)
            default:
                throw fail(String(format: "unsupported pickle opcode 0x%02x", op))
            }
        }
    }

    private func pairs(_ flat: [PickleValue]) throws -> [(PickleValue, PickleValue)] {
        guard flat.count % 2 == 0 else { throw fail("odd number of dict items") }
        return stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) }
    }

    /// `('storage', torch.FloatStorage, key, location, numel)` → a storage reference.
    private func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard case .tuple(let t) = pid, t.count >= 3, case .string("storage") = t[0],
            case .string(let key) = t[2]
        else {
            throw fail("unrecognised persistent id (expected ('storage', type, key, …))")
        }
        var dtype: WeightDType?
        if case .global(_, let typeName) = t[1] {
            switch typeName {
            case "FloatStorage": dtype = .f32
            case "HalfStorage": dtype = .f16
            case "BFloat16Storage": dtype = .bf16
            case "DoubleStorage": dtype = .f64
            case "LongStorage": dtype = .i64
            case "IntStorage": dtype = .i32
            case "ShortStorage": dtype = .i16
            case "CharStorage": dtype = .i8
            case "ByteStorage": dtype = .u8
            case "BoolStorage": dtype = .bool
            default: dtype = nil
            }
        }
        return .storage(key: key, dtype: dtype)
    }

    private func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable else { return .opaque("call of a non-global") }
        let a: [PickleValue]
        if case .tuple(let t) = args { a = t } else { a = [] }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard a.count >= 4, case .storage(let key, let dtype) = a[0], case .int(let offset) = a[1],
                case .tuple(let shapeV) = a[2], case .tuple(let strideV) = a[3]
            else {
                throw fail("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, …)")
            }
            guard let dtype else {
                throw fail("tensor storage in key \(key) has an unknown dtype (supported: Float, Half, BFloat16, Double; integer storages skipped)")
            }
            let shape = try shapeV.map { v -> Int in
                guard case .int(let i) = v else { throw fail("non-integer size") }; return i
            }
            let strides = try strideV.map { v -> Int in
                guard case .int(let i) = v else { throw fail("non-integer stride") }; return i
            }
            return .tensor(TensorRef(key: key, dtype: dtype, offset: offset, shape: shape, strides: strides))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            return a.first ?? .none
        default:
            return .opaque("\(module).\(name)")
        }
    }
}
