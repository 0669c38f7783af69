import Foundation
import XCTest
@testable import Lexicell

/// A small file in the layout of GEO GSE133382_AtlasRGCs_CountMatrix.csv.gz (genes × cells, first column gene
/// symbols, header of cell barcodes): 12 real atlas barcodes of each of the paper's six clusters, whose columns
/// hold the counts of 72 real Romanov cells from six types (so the clusters carry real structure).
enum RGCTestFile {
    static let labelsPath = repoData + "/datasets/tran2019_rgc_atlas_labels/tran2019_rgc_atlas_cell_labels.tsv.gz"

    /// Writes the file into a fresh temporary folder; returns its path and the number of genes kept.
    static func make() throws -> (path: String, genes: Int) {
        let tran = try LabelTable.read(path: labelsPath, labelColumn: "Cluster")
        let clusters = try String(contentsOfFile: repoData + "/subsets/rgc_paper6.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        var barcodes = [String]()
        for c in clusters { barcodes += tran.barcodes.indices.filter { tran.labels[$0] == c }.prefix(12).map { tran.barcodes[$0] } }
        let romanov = try DatasetReader.read(path: repoData + "/datasets/romanov2017_hypothalamus_neurons")
        let meta = try LabelTable.read(path: repoData + "/datasets/romanov2017_hypothalamus_neurons/cell_metadata.csv", labelColumn: "Author_CellType")
            .join(cells: romanov.expression.cells, file: "romanov")
        let types = [
            "Neurons_GABA 5 (Calcr, Lhx1)", "Neurons_GABA 7 (Pomc+/-)", "Neurons_Trh 1 (low)", "Neurons_GABA 11 (Nts 1)",
            "Neurons_Hmit+/-", "Neurons_GABA 13 (Galanin)",
        ]
        var source = [Int]()
        for t in types { source += romanov.expression.cells.indices.filter { meta.labels[$0] == t }.prefix(12) }
        XCTAssertEqual(source.count, 72)
        let x = romanov.expression.values.selectingRows(source).toDense()
        let keepGenes = (0..<x.cols).filter { g in (0..<x.rows).contains { x[$0, g] > 0 } }
        var csv = "\"\"," + barcodes.map { "\"\($0)\"" }.joined(separator: ",") + "\n"
        for g in keepGenes {
            csv += "\"\(romanov.expression.genes[g])\"," + (0..<x.rows).map { String(Int(x[$0, g])) }.joined(separator: ",") + "\n"
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-rgc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/GSE133382_AtlasRGCs_CountMatrix_small.csv.gz"
        try Data(FileData.gzip(Array(csv.utf8))).write(to: URL(fileURLWithPath: path))
        return (path, keepGenes.count)
    }
}
