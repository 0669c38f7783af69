import Foundation
@testable import Lexicell

/// The bundled Romanov cells split by C1 chip, the label-transfer split of several tests: alternate Sample_IDs (in
/// sorted order) are the reference, keeping types with at least 5 reference cells; the other chips are the query.
struct RomanovBySample {
    static let directory = repoData + "/datasets/romanov2017_hypothalamus_neurons"
    let reference: LabelledDataset
    let query: ExpressionMatrix
    /// Author_CellType of each query cell.
    let queryTruth: [String?]

    init() throws {
        setenv("LEXICELL_DATA", repoData, 1)
        let dir = Self.directory, meta = dir + "/cell_metadata.csv"
        let ds = try DatasetReader.read(path: dir)
        let labels = try LabelTable.read(path: meta, labelColumn: "Author_CellType").join(cells: ds.expression.cells, file: dir)
        let samples = try LabelTable.read(path: meta, labelColumn: "Sample_ID").join(cells: ds.expression.cells, file: dir)
        let ids = Array(Set(samples.labels.compactMap { $0 })).sorted()
        let refSamples = Set(ids.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
        let refCells = (0..<ds.expression.cellCount).filter { refSamples.contains(samples.labels[$0]!) }
        let queryCells = (0..<ds.expression.cellCount).filter { !refSamples.contains(samples.labels[$0]!) }
        reference = try LabelledDataset(
            expression: ds.expression.selectingCells(refCells), labels: refCells.map { labels.labels[$0] }, minCellsPerClass: 5)
        query = ds.expression.selectingCells(queryCells)
        queryTruth = queryCells.map { labels.labels[$0] }
    }
}
