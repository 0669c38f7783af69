import Foundation
import LexicellCore

/// Writes a cells × genes matrix as the text inputs the readers take: a 10x directory or a CSV/TSV table.
public enum TextMatrixFiles {
    /// `matrix.mtx` (genes × cells; entries in cell order as Cell Ranger writes them, or shuffled with
    /// `shuffleSeed`: all of them, or only within each cell), `features.tsv` and `barcodes.tsv` in `dir`, each
    /// gzipped if asked; "integer" when every value is whole, else "real".
    public static func writeTenX(
        _ e: ExpressionMatrix, to dir: String, gzip: Bool = false, shuffleSeed: UInt64? = nil, withinCells: Bool = false
    ) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let m = e.values
        var lines = [String]()
        lines.reserveCapacity(m.nonZeroCount)
        var g = SeededGenerator(seed: shuffleSeed ?? 0)
        for r in 0..<m.rows {
            var cell = (m.indptr[r]..<m.indptr[r + 1]).map { "\(m.indices[$0] + 1) \(r + 1) \(number(m.values[$0]))" }
            if shuffleSeed != nil && withinCells { cell.shuffle(using: &g) }
            lines += cell
        }
        if shuffleSeed != nil && !withinCells { lines.shuffle(using: &g) }
        let field = m.values.allSatisfy { $0 == $0.rounded() } ? "integer" : "real"
        let mtx = "%%MatrixMarket matrix coordinate \(field) general\n%written by a test\n\(m.cols) \(m.rows) \(m.nonZeroCount)\n"
        let suffix = gzip ? ".gz" : ""
        try write(mtx + lines.map { $0 + "\n" }.joined(), to: dir + "/matrix.mtx" + suffix, gzip: gzip)
        try write(e.genes.map { "ID_\($0)\t\($0)\tGene Expression\n" }.joined(), to: dir + "/features.tsv" + suffix, gzip: gzip)
        try write(e.cells.map { $0 + "\n" }.joined(), to: dir + "/barcodes.tsv" + suffix, gzip: gzip)
    }

    /// A table with a corner field (`cell` or `gene`), one cell a line or one gene a line.
    public static func writeTable(_ e: ExpressionMatrix, to path: String, cellsAsRows: Bool, delimiter: String = ",", gzip: Bool = false) throws {
        let dense = e.values.toDense()
        var text = ([cellsAsRows ? "cell" : "gene"] + (cellsAsRows ? e.genes : e.cells)).joined(separator: delimiter) + "\n"
        if cellsAsRows {
            for r in 0..<dense.rows {
                text += ([e.cells[r]] + (0..<dense.cols).map { number(dense[r, $0]) }).joined(separator: delimiter) + "\n"
            }
        } else {
            for c in 0..<dense.cols {
                text += ([e.genes[c]] + (0..<dense.rows).map { number(dense[$0, c]) }).joined(separator: delimiter) + "\n"
            }
        }
        try write(text, to: path, gzip: gzip)
    }

    /// Whole values without a decimal point, others in Swift's shortest exact form.
    private static func number(_ v: Float) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : "\(v)"
    }

    private static func write(_ text: String, to path: String, gzip: Bool) throws {
        let bytes = Array(text.utf8)
        try Data(gzip ? FileData.gzip(bytes) : bytes).write(to: URL(fileURLWithPath: path))
    }
}
