import Foundation
import LexicellCore

/// Cell embeddings as CSV: `cell[,label],e0,e1,…`, one row per cell.
public enum EmbeddingTableCSV {
    public static func render(_ x: DenseMatrix, cells: [String], labels: [String]? = nil) -> String {
        precondition(cells.count == x.rows)
        var s = "cell" + (labels == nil ? "" : ",label") + (0..<x.cols).map { ",e\($0)" }.joined() + "\n"
        s.reserveCapacity(x.rows * x.cols * 10)
        for r in 0..<x.rows {
            s += quote(cells[r])
            if let labels { s += "," + quote(labels[r]) }
            for v in x.row(r) { s += "," + String(v) }
            s += "\n"
        }
        return s
    }

    public static func quote(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
