import Foundation
import LexicellCore

/// Cell labels keyed by barcode, from a CSV/TSV column or an h5ad obs column.
public struct LabelTable: Sendable {
    /// Where the labels came from (for messages).
    public var source: String
    public var barcodes: [String]
    /// One label per barcode; "" is missing.
    public var labels: [String]

    /// The label Lexicell gives a cell it declines to classify. A class of that name in training labels
    /// would be indistinguishable from an abstention, so label files using it are refused.
    public static let unassigned = "Unassigned"

    public init(source: String, barcodes: [String], labels: [String]) {
        precondition(barcodes.count == labels.count)
        self.source = source
        self.barcodes = barcodes
        self.labels = labels
    }

    /// Reads `labelColumn` of a delimited table (optionally gzipped). `barcodeColumn` is a column name or a
    /// 1-based column number; nil means the first column. A second line whose first field is `TYPE`
    /// (Single Cell Portal metadata) is skipped. A header one field shorter than the rows (R's write.csv
    /// without a corner) means the first column holds row names.
    ///
    /// Refused: a barcode listed twice (both line numbers are named), and, unless `allowUnassignedLabel`,
    /// a label equal to `LabelTable.unassigned`.
    public static func read(
        path: String, barcodeColumn: String? = nil, labelColumn: String,
        delimiter: UInt8? = nil, allowUnassignedLabel: Bool = false
    ) throws -> LabelTable {
        let bytes = try FileData.read(path)
        var barcodes = [String](), labels = [String]()
        var header = [String]()
        var delim: UInt8 = delimiter ?? 0
        var barcodeIndex = 0, labelIndex = 0
        var width = 0
        var firstSeen = [String: Int]()
        var lineNumbers = [Int]()
        try bytes.withUnsafeBufferPointer { p in
            var fields = [Range<Int>]()
            for line in LineSplitter(bytes) {
                if line.range.isEmpty { continue }
                if header.isEmpty {
                    var r = line.range
                    if r.count >= 3 && p[r.lowerBound] == 0xEF && p[r.lowerBound + 1] == 0xBB && p[r.lowerBound + 2] == 0xBF {
                        r = (r.lowerBound + 3)..<r.upperBound  // UTF-8 byte order mark
                    }
                    if delimiter == nil {
                        delim = try DelimitedReader.detectDelimiter(UnsafeBufferPointer(rebasing: p[r]), path: path)
                    }
                    header = FieldSplitter.strings(bytes, r, delimiter: delim)
                    continue
                }
                FieldSplitter.split(p, line.range, delimiter: delim, into: &fields)
                if width == 0 {
                    if fields.count == header.count + 1 { header.insert("", at: 0) }
                    width = header.count
                    barcodeIndex = try columnIndex(barcodeColumn, header: header, path: path, role: "barcode") ?? 0
                    labelIndex = try columnIndex(labelColumn, header: header, path: path, role: "label")!
                    if FieldSplitter.string(p, fields[0]).uppercased() == "TYPE" { continue }
                }
                guard fields.count == width else {
                    throw LexicellError("expected \(width) fields like the header, found \(fields.count)", file: path, line: line.number)
                }
                let barcode = FieldSplitter.string(p, fields[barcodeIndex])
                let label = FieldSplitter.string(p, fields[labelIndex])
                if let previous = firstSeen[barcode] {
                    let same =
                        labels[previous] == label
                        ? "the same label \"\(label)\"" : "label \"\(label)\" (line \(lineNumbers[previous]) says \"\(labels[previous])\")"
                    throw LexicellError(
                        "barcode \"\(barcode)\" appears again with \(same); it was first on line \(lineNumbers[previous]). Each barcode must appear once",
                        file: path, line: line.number)
                }
                if !allowUnassignedLabel && label == Self.unassigned {
                    throw LexicellError(
                        "column \"\(header[labelIndex])\": the class \"\(Self.unassigned)\" (barcode \"\(barcode)\") is Lexicell's abstention marker for cells it declines to classify; rename that class (e.g. \"Unassigned_type\") or leave those cells' labels empty",
                        file: path, line: line.number)
                }
                firstSeen[barcode] = barcodes.count
                barcodes.append(barcode)
                labels.append(label)
                lineNumbers.append(line.number)
            }
        }
        guard !header.isEmpty else { throw LexicellError("empty file, expected a header line", file: path) }
        guard !barcodes.isEmpty else { throw LexicellError("no rows after the header", file: path) }
        return LabelTable(source: path, barcodes: barcodes, labels: labels)
    }

    /// Labels from an obs column of an h5ad file (missing categorical values are "").
    /// Refused like `read`: a cell name listed twice in obs, and a label equal to `LabelTable.unassigned`.
    public static func readH5AD(path: String, column: String, allowUnassignedLabel: Bool = false) throws -> LabelTable {
        let (cells, values) = try H5ADReader.readObsColumn(path: path, column: column)
        var first = [String: Int](minimumCapacity: cells.count)
        for (i, c) in cells.enumerated() {
            if let j = first[c] {
                throw LexicellError(
                    "obs index: cell \"\(c)\" appears twice (rows \(j) and \(i), 0-based); each cell name must be unique (anndata: adata.obs_names_make_unique())",
                    file: path)
            }
            first[c] = i
            if !allowUnassignedLabel && values[i] == unassigned {
                throw LexicellError(
                    "obs column \"\(column)\", row \(i) (cell \"\(c)\"): the class \"\(unassigned)\" is Lexicell's abstention marker for cells it declines to classify; rename that class or leave those labels missing",
                    file: path)
            }
        }
        return LabelTable(source: path, barcodes: cells, labels: values)
    }

    private static func columnIndex(_ spec: String?, header: [String], path: String, role: String) throws -> Int? {
        guard let spec else { return nil }
        if let i = header.firstIndex(of: spec) { return i }
        if let i = header.firstIndex(where: { $0.lowercased() == spec.lowercased() }) { return i }
        if let n = Int(spec), n >= 1, n <= header.count { return n - 1 }
        throw LexicellError(
            "no \(role) column \"\(spec)\"; the header has: \(header.map { "\"\($0)\"" }.joined(separator: ", "))",
            file: path, line: 1)
    }

    /// The label of each cell. Exact barcode matches first; cells left unmatched are then tried with R's
    /// name mangling undone (`-` read as `.`, a leading `X` before a digit dropped).
    public func join(cells: [String], file cellsFile: String) throws -> LabelJoin {
        var exact = [String: Int](minimumCapacity: barcodes.count)
        for (i, b) in barcodes.enumerated() {
            if let j = exact[b] {
                throw LexicellError("barcode \"\(b)\" is listed twice (entries \(j + 1) and \(i + 1)); each barcode must appear once", file: source)
            }
            exact[b] = i
        }
        var out = [String?](repeating: nil, count: cells.count)
        var unmatched = [Int]()
        for (c, cell) in cells.enumerated() {
            if let i = exact[cell] { out[c] = labels[i] } else { unmatched.append(c) }
        }
        var normalisedMatches = 0
        if !unmatched.isEmpty {
            // Several label barcodes may read the same once unmangled ("A-1" and "A.1"): a cell matching
            // such a name is ambiguous and refused rather than given one of their labels at random.
            var loose = [String: [Int]](minimumCapacity: barcodes.count)
            for (i, b) in barcodes.enumerated() { loose[Self.normalised(b), default: []].append(i) }
            unmatched = try unmatched.filter { c in
                guard let candidates = loose[Self.normalised(cells[c])] else { return true }
                if candidates.count > 1, Set(candidates.map { labels[$0] }).count > 1 {
                    throw LexicellError(
                        "cell \"\(cells[c])\" of \((cellsFile as NSString).lastPathComponent) matches several label barcodes once R's name mangling is undone (\(candidates.prefix(3).map { "\"\(barcodes[$0])\" → \"\(labels[$0])\"" }.joined(separator: ", "))); rename the cells or the barcodes so each cell matches one",
                        file: source)
                }
                out[c] = labels[candidates[0]]
                normalisedMatches += 1
                return false
            }
        }
        // Cells listed twice would share a label silently; they must be unique to be joined.
        var seenCell = [String: Int](minimumCapacity: cells.count)
        for (c, cell) in cells.enumerated() {
            if let first = seenCell[cell] {
                throw LexicellError(
                    "cell \"\(cell)\" appears twice (cells \(first + 1) and \(c + 1)); cell names must be unique to join labels",
                    file: cellsFile)
            }
            seenCell[cell] = c
        }
        let matched = cells.count - unmatched.count
        guard matched > 0 else {
            throw LexicellError(
                "no label matches any cell of \((cellsFile as NSString).lastPathComponent): label barcodes look like \"\(barcodes.first ?? "")\", cells look like \"\(cells.first ?? "")\"",
                file: source)
        }
        // Missing labels ("") count as matched cells without a label.
        for c in 0..<out.count where out[c] == "" { out[c] = nil }
        return LabelJoin(
            labels: out, matched: matched, normalisedMatches: normalisedMatches,
            unmatched: unmatched.count, unmatchedExamples: unmatched.prefix(5).map { cells[$0] })
    }

    static func normalised(_ s: String) -> String {
        var u = Array(s.utf8)
        if u.count > 1 && u[0] == 0x58 && u[1] >= 0x30 && u[1] <= 0x39 { u.removeFirst() }
        for i in u.indices where u[i] == 0x2D { u[i] = 0x2E }
        return String(decoding: u, as: UTF8.self)
    }
}

/// The result of joining labels to cells.
public struct LabelJoin: Sendable {
    /// Per cell: its label, or nil when unmatched or missing.
    public var labels: [String?]
    /// Cells whose barcode was found (exactly or after normalisation).
    public var matched: Int
    /// Of those, found only after undoing R's name mangling.
    public var normalisedMatches: Int
    public var unmatched: Int
    /// Up to five unmatched cell barcodes.
    public var unmatchedExamples: [String]

    /// One line for the log, e.g. `labels: 845 of 845 cells matched`.
    public var summary: String {
        var s = "labels: \(matched) of \(matched + unmatched) cells matched"
        if normalisedMatches > 0 { s += " (\(normalisedMatches) after reading '-' as '.')" }
        if unmatched > 0 { s += "; unmatched e.g. \(unmatchedExamples.joined(separator: ", "))" }
        return s
    }
}
