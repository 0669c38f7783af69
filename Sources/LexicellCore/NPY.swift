import Foundation

/// 2-D float arrays in NumPy's .npy format (versions 1–3, little-endian '<f4' or '<f8', C order): the
/// exchange format of the umap-learn comparison script, of `--embeddings` inputs and of reference bundles.
///
/// Reading checks the header before allocating anything: the dtype, the order, every shape entry (a
/// non-negative integer), the element count and byte count (overflow-checked) against the file's real size.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    /// The parsed header.
    public struct Header: Equatable, Sendable {
        public var descr: String
        public var fortranOrder: Bool
        public var shape: [Int]
        /// Offset of the first data byte.
        public var dataOffset: Int
    }

    public static func read(_ path: String) throws -> DenseMatrix {
        let bytes = try FileData.read(path)
        return try decode(bytes, path: path)
    }

    /// Parses `.npy` bytes; `path` names the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> DenseMatrix {
        let header = try parseHeader(bytes, path: path)
        guard header.shape.count == 2 else {
            throw LexicellError(
                ".npy header field 'shape': expected a 2-D array (rows, columns), found \(shapeText(header.shape))",
                file: path)
        }
        let (rows, cols) = (header.shape[0], header.shape[1])
        let width = header.descr == "<f4" ? 4 : 8
        let (count, o1) = rows.multipliedReportingOverflow(by: cols)
        let (need, o2) = count.multipliedReportingOverflow(by: width)
        guard !o1 && !o2 else {
            throw LexicellError(
                ".npy header field 'shape': \(shapeText(header.shape)) × \(width) bytes overflows; the file cannot hold it",
                file: path)
        }
        let found = bytes.count - header.dataOffset
        guard found == need else {
            throw LexicellError(
                ".npy data: expected \(need) data bytes for shape (\(rows), \(cols)) of \(header.descr), found \(found) (\(found < need ? "truncated file" : "trailing bytes"))",
                file: path)
        }
        var values = [Float](repeating: 0, count: count)
        let start = header.dataOffset
        bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                if width == 4 {
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                    }
                } else {
                    for i in 0..<count {
                        out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
                    }
                }
            }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw LexicellError(
                ".npy data: value at row \(bad / max(cols, 1)), column \(bad % max(cols, 1)) is \(values[bad]) (expected finite numbers)",
                file: path)
        }
        return DenseMatrix(rows: rows, cols: cols, values: values)
    }

    /// The header of `.npy` bytes: magic, version, header length and the header dictionary, each checked.
    public static func parseHeader(_ bytes: [UInt8], path: String) throws -> Header {
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw LexicellError("not a .npy file (missing \\x93NUMPY magic)", file: path)
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw LexicellError("truncated .npy header (no header length)", file: path) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw LexicellError(".npy format version \(major).\(bytes[7]) is not supported (expected 1.0, 2.0 or 3.0)", file: path)
        }
        guard headerLength <= bytes.count - headerStart else {
            throw LexicellError(
                "truncated .npy header: it declares \(headerLength) bytes but the file has \(bytes.count - headerStart) after the length field",
                file: path)
        }
        guard let text = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .ascii) else {
            throw LexicellError(".npy header is not \(major == 3 ? "UTF-8" : "ASCII") text", file: path)
        }
        let dict = try dictionary(text, path: path)
        guard let descrValue = dict["descr"] else { throw LexicellError(".npy header has no 'descr' (dtype) field", file: path) }
        let descr = unquote(descrValue)
        guard descr == "<f4" || descr == "<f8" else {
            throw LexicellError(
                ".npy header field 'descr': dtype \(descrValue) is not supported; expected little-endian float32 '<f4' or float64 '<f8' (convert with arr.astype('<f4'))",
                file: path)
        }
        guard let orderValue = dict["fortran_order"] else {
            throw LexicellError(".npy header has no 'fortran_order' field", file: path)
        }
        guard orderValue == "False" else {
            throw LexicellError(
                ".npy header field 'fortran_order': \(orderValue), expected False (C order; save np.ascontiguousarray(arr))",
                file: path)
        }
        guard let shapeValue = dict["shape"] else { throw LexicellError(".npy header has no 'shape' field", file: path) }
        guard shapeValue.hasPrefix("("), shapeValue.hasSuffix(")") else {
            throw LexicellError(".npy header field 'shape': expected a tuple of integers, found \(shapeValue.prefix(80))", file: path)
        }
        var shape = [Int]()
        for part in shapeValue.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false) {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }  // trailing comma of a 1-tuple or before ")"
            guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(t) else {
                throw LexicellError(
                    ".npy header field 'shape': entry \"\(t.prefix(40))\" is not a non-negative integer that fits in 64 bits",
                    file: path)
            }
            shape.append(n)
        }
        return Header(descr: descr, fortranOrder: false, shape: shape, dataOffset: headerStart + headerLength)
    }

    /// The top-level `key: value` pairs of the header's Python dict literal (values as text, brackets kept).
    static func dictionary(_ text: String, path: String) throws -> [String: String] {
        let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard body.hasPrefix("{"), body.hasSuffix("}") else {
            throw LexicellError(".npy header is not a Python dict literal: \(body.prefix(80))", file: path)
        }
        // Split on top-level commas (outside quotes and brackets).
        var entries = [String]()
        var current = ""
        var depth = 0
        var quote: Character?
        for ch in body.dropFirst().dropLast() {
            if let q = quote {
                if ch == q { quote = nil }
                current.append(ch)
                continue
            }
            switch ch {
            case "'", "\"": quote = ch
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth -= 1
            default: break
            }
            if ch == "," && depth == 0 { entries.append(current); current = "" } else { current.append(ch) }
        }
        entries.append(current)
        var dict = [String: String]()
        for entry in entries {
            let e = entry.trimmingCharacters(in: .whitespacesAndNewlines)
            if e.isEmpty { continue }
            guard let colon = colonOutsideQuotes(e) else {
                throw LexicellError(".npy header entry \"\(e.prefix(60))\" is not key: value", file: path)
            }
            let key = unquote(String(e[..<colon]).trimmingCharacters(in: .whitespaces))
            dict[key] = String(e[e.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        }
        return dict
    }

    private static func colonOutsideQuotes(_ s: String) -> String.Index? {
        var quote: Character?
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            if let q = quote { if ch == q { quote = nil } } else if ch == "'" || ch == "\"" { quote = ch } else if ch == ":" { return i }
            i = s.index(after: i)
        }
        return nil
    }

    private static func unquote(_ s: String) -> String {
        if s.count >= 2, let f = s.first, f == "'" || f == "\"", s.last == f { return String(s.dropFirst().dropLast()) }
        return s
    }

    private static func shapeText(_ shape: [Int]) -> String {
        "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }

    public static func write(_ m: DenseMatrix, to path: String) throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(m.rows), \(m.cols)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        m.values.withUnsafeBufferPointer { buf in
            var le = [UInt32](repeating: 0, count: buf.count)
            for i in 0..<buf.count { le[i] = buf[i].bitPattern.littleEndian }
            le.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        try AtomicFile.write(data, to: path)
    }
}
