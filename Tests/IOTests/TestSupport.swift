import Foundation
import XCTest
import LexicellCore
import LexicellIO
@_exported import LexicellTestSupport

/// Paths of the bundled data and a fresh temporary directory per test.
enum TestData {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let romanov = repo + "/data/datasets/romanov2017_hypothalamus_neurons"
    static let pbmc = repo + "/data/datasets/pbmc68k_reduced"
    static let tranLabels = repo + "/data/datasets/tran2019_rgc_atlas_labels/tran2019_rgc_atlas_cell_labels.tsv.gz"
    static let fixtures = repo + "/Tests/IOTests/Fixtures"

    /// The Romanov matrix, read once for the tests that only use its values.
    static func romanovMatrix() throws -> ExpressionMatrix { try romanovResult.get() }
    private static let romanovResult = Result { try DatasetReader.read10x(directory: romanov) }

    static func tempDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "lexicell-io-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, to path: String, gzip: Bool = false) throws {
        let bytes = Array(text.utf8)
        try Data(gzip ? FileData.gzip(bytes) : bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// Value at (row, col) of a CSR matrix.
func entry(_ m: SparseMatrix, _ r: Int, _ c: Int) -> Float {
    for k in m.indptr[r]..<m.indptr[r + 1] where Int(m.indices[k]) == c { return m.values[k] }
    return 0
}
