import Foundation
import LexicellCore
import LexicellIO
@testable import LexicellPathways

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let fixtures = repoRoot + "/Tests/PathwaysTests/Fixtures"
let genesets = repoRoot + "/data/genesets"

/// A comma-separated table with a header (fixtures written by scripts/pathways_reference.py; no quoted fields).
struct CSVTable {
    var header: [String]
    var rows: [[String]]

    init(path: String) throws {
        let text = String(decoding: try FileData.read(path), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func column(_ name: String) -> Int { header.firstIndex(of: name)! }
}

/// pbmc68k_reduced `raw/X` (log-normalised) with `bulk_labels`, read once.
enum PBMC {
    static let data: Dataset = {
        try! DatasetReader.readH5AD(path: repoRoot + "/data/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad", matrix: .raw)
    }()
    static var labels: [String?] { data.obs["bulk_labels"]!.map { $0.isEmpty ? nil : $0 } }
}

/// Romanov 2017 hypothalamus: raw counts log-normalised (counts / total · 1e4, log1p), labels Author_CellType.
enum Romanov {
    static let data: (expression: ExpressionMatrix, labels: [String?]) = {
        let dir = repoRoot + "/data/datasets/romanov2017_hypothalamus_neurons"
        var m = try! DatasetReader.read10x(directory: dir)
        m.values = LogNormalization.log1pPerTarget(m.values)
        let table = try! LabelTable.read(path: dir + "/cell_metadata.csv", labelColumn: "Author_CellType")
        let join = try! table.join(cells: m.cells, file: dir + "/cell_metadata.csv")
        return (m, join.labels)
    }()
}

/// |a − b| ≤ abs + rel·|b|.
func close(_ a: Double, _ b: Double, rel: Double, abs absTol: Double = 0) -> Bool {
    abs(a - b) <= absTol + rel * abs(b)
}
