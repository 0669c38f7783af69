import Foundation
import LexicellCore
import LexicellIO

extension Dataset {
    /// The cells named in a file (one barcode per line; a header line that names no cell is ignored), in the
    /// dataset's order. Names that match no cell are an error only if none match.
    public func keepingCells(listedIn path: String) throws -> Dataset {
        let wanted = Set(LineSplitter(try FileData.read(path)).strings().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let keep = expression.cells.indices.filter { wanted.contains(expression.cells[$0]) }
        guard !keep.isEmpty else {
            throw LexicellError(
                "none of its \(wanted.count) names is a cell of the dataset (e.g. '\(wanted.first ?? "")' vs '\(expression.cells.first ?? "")')", file: path)
        }
        var obs = [String: [String]]()
        for (k, v) in self.obs { obs[k] = keep.map { v[$0] } }
        return Dataset(expression: expression.selectingCells(keep), obs: obs, obsColumns: obsColumns)
    }
}
