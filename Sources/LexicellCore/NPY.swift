import Foundation

/// 2-D float arrays in NumPy's .npy format (v1/v2, little-endian '<f4' or '<f8', C order), the exchange
/// format of the umap-learn comparison script.
public enum NPY {
    public static func read(_ path: String) throws -> DenseMatrix {
        let bytes = try FileData.read(path)
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw LexicellError("not a .npy file (missing \\x93NUMPY magic)", file: path)
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw LexicellError("truncated .npy header", file: path) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard bytes.count >= headerStart + headerLength,
              let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .ascii) else {
            throw LexicellError("truncated .npy header", file: path)
        }
        let compact = header.replacingOccurrences(of: " ", with: "")
        let isFloat32 = compact.contains("'descr':'<f4'"), isFloat64 = compact.contains("'descr':'<f8'")
        guard isFloat32 || isFloat64 else {
            throw LexicellError("expected dtype '<f4' or '<f8' in the .npy header, found \(header.trimmingCharacters(in: .whitespacesAndNewlines))", file: path)
        }
        guard compact.contains("'fortran_order':False") else {
            throw LexicellError("expected C-ordered data (fortran_order False)", file: path)
        }
        guard let open = compact.range(of: "'shape':("), let close = compact[open.upperBound...].firstIndex(of: ")") else {
            throw LexicellError("no shape in the .npy header", file: path)
        }
        let dims = compact[open.upperBound..<close].split(separator: ",").compactMap { Int($0) }
        guard dims.count == 2 else { throw LexicellError("expected a 2-D array, found shape \(dims)", file: path) }
        let (rows, cols) = (dims[0], dims[1])
        let width = isFloat32 ? 4 : 8
        let start = headerStart + headerLength
        guard bytes.count - start == rows * cols * width else {
            throw LexicellError("expected \(rows * cols * width) data bytes for shape (\(rows), \(cols)), found \(bytes.count - start)", file: path)
        }
        var values = [Float](repeating: 0, count: rows * cols)
        bytes.withUnsafeBytes { raw in
            for i in 0..<(rows * cols) {
                if isFloat32 {
                    values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                } else {
                    values[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: start + 8 * i, as: UInt64.self))))
                }
            }
        }
        return DenseMatrix(rows: rows, cols: cols, values: values)
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
