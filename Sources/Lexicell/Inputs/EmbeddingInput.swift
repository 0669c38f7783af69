import Foundation
import LexicellCore
import LexicellReport

/// Reads an embedding matrix with row names: CSV/TSV with a header (first column names the rows; a `label`
/// column is skipped) or a 2-D `.npy` (rows named by number).
public enum EmbeddingInput {
    public static func read(_ path: String) throws -> (DenseMatrix, [String]) {
        if path.hasSuffix(".npy") {
            let m = try NPY.read(path)
            return (m, (0..<m.rows).map(String.init))
        }
        let bytes = try FileData.read(path)
        var header: [String]?
        var names = [String](), values = [Float]()
        var numeric = [Int]()
        try bytes.withUnsafeBufferPointer { p in
            var fields = [Range<Int>]()
            var delimiter: UInt8 = 0x2C
            for line in LineSplitter(bytes) where !line.range.isEmpty {
                if header == nil {
                    delimiter = bytes[line.range].contains(0x09) ? 0x09 : 0x2C
                    let h = FieldSplitter.strings(bytes, line.range, delimiter: delimiter)
                    header = h
                    numeric = (1..<h.count).filter { h[$0] != "label" }
                    guard !numeric.isEmpty else { throw LexicellError("no value columns in the header", file: path, line: line.number) }
                    continue
                }
                FieldSplitter.split(p, line.range, delimiter: delimiter, into: &fields)
                guard fields.count == header!.count else {
                    throw LexicellError("expected \(header!.count) fields as in the header, found \(fields.count)", file: path, line: line.number)
                }
                names.append(FieldSplitter.string(p, fields[0]))
                for c in numeric {
                    guard let v = NumberParser.double(p, fields[c]), v.isFinite else {
                        throw LexicellError(
                            "column '\(header![c])': '\(FieldSplitter.string(p, fields[c]))' is not a finite number", file: path, line: line.number)
                    }
                    values.append(Float(v))
                }
            }
        }
        guard !names.isEmpty else { throw LexicellError("no rows", file: path) }
        return (DenseMatrix(rows: names.count, cols: numeric.count, values: values), names)
    }
}
