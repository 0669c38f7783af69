import Foundation
import XCTest
import LexicellCore
@testable import LexicellIO

final class LabelTests: XCTestCase {
    /// The Tran 2019 atlas labels: the "TYPE" row is skipped, 35,699 cells, 45 types
    /// (counts from `zcat … | cut -f4 | sort | uniq -c`: 3000 × 1_W3D1.1, 2859 × 2_W3D1.2).
    func testTranLabelsSkipTypeRow() throws {
        let t = try LabelTable.read(path: TestData.tranLabels, barcodeColumn: "NAME", labelColumn: "Cluster")
        XCTAssertEqual(t.barcodes.count, 35_699)
        XCTAssertFalse(t.barcodes.contains("TYPE"))
        XCTAssertEqual(t.barcodes[0], "aRGC1_AAACCTGAGAATCTCC-1")
        XCTAssertEqual(t.labels[0], "7_Novel")
        XCTAssertEqual(Set(t.labels).count, 45)
        XCTAssertEqual(t.labels.filter { $0 == "1_W3D1.1" }.count, 3000)
        XCTAssertEqual(t.labels.filter { $0 == "2_W3D1.2" }.count, 2859)
        // Column given by 1-based number; delimiter detected as tab.
        let byNumber = try LabelTable.read(path: TestData.tranLabels, barcodeColumn: "1", labelColumn: "4")
        XCTAssertEqual(byNumber.labels, t.labels)
    }

    /// Exact matches first; R-mangled names ("-" → ".", "X" before a leading digit) only for the rest.
    func testJoinUndoesRNameMangling() throws {
        let t = try LabelTable.read(path: TestData.tranLabels, labelColumn: "Cluster")
        let cells = ["aRGC1_AAACCTGAGAATCTCC-1", "aRGC1_AAACCTGAGCGACGTA.1", "nope-1"]
        let j = try t.join(cells: cells, file: "counts.csv")
        XCTAssertEqual(j.labels, ["7_Novel", "40_M1dup", nil])
        XCTAssertEqual(j.matched, 2)
        XCTAssertEqual(j.normalisedMatches, 1)
        XCTAssertEqual(j.unmatched, 1)
        XCTAssertEqual(j.unmatchedExamples, ["nope-1"])
        XCTAssertTrue(j.summary.contains("2 of 3 cells matched"))

        let r = LabelTable(source: "meta.csv", barcodes: ["1772078014_C09", "A-1", "A.1"], labels: ["Oxt", "dash", "dot"])
        let k = try r.join(cells: ["X1772078014_C09", "A.1", "A-1"], file: "m.csv")
        XCTAssertEqual(k.labels, ["Oxt", "dot", "dash"])  // exact wins over normalised
        XCTAssertEqual(k.normalisedMatches, 1)
    }

    func testLabelsMatchingNoCellNameBothFiles() throws {
        let t = try LabelTable.read(path: TestData.tranLabels, labelColumn: "Cluster")
        let romanov = try TestData.romanovMatrix()
        assertLexicellError([
            "tran2019_rgc_atlas_cell_labels.tsv.gz", "no label matches any cell of romanov2017_hypothalamus_neurons",
            "aRGC1_AAACCTGAGAATCTCC-1", "1772078014_C09_romanov",
        ]) {
            _ = try t.join(cells: romanov.cells, file: TestData.romanov)
        }
    }

    func testBadLabelFiles() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestData.write("cell,type\nA,x\nB\n", to: dir + "/short.csv")
        assertLexicellError(["short.csv, line 3", "expected 2 fields"]) { _ = try LabelTable.read(path: dir + "/short.csv", labelColumn: "type") }
        assertLexicellError(["short.csv, line 1", "no label column \"kind\"", "\"cell\", \"type\""]) {
            _ = try LabelTable.read(path: dir + "/short.csv", labelColumn: "kind")
        }
        try TestData.write("cell,type\nA,x\nA,y\n", to: dir + "/dup.csv")
        assertLexicellError(["dup.csv, line 3", "barcode \"A\" appears again"]) { _ = try LabelTable.read(path: dir + "/dup.csv", labelColumn: "type") }
        // R's write.csv without a corner: the header is one field short; the first column holds barcodes.
        try TestData.write("\"type\",\"n\"\n\"A-1\",\"x\",3\n\"B-1\",\"\",4\n", to: dir + "/rnames.csv")
        let r = try LabelTable.read(path: dir + "/rnames.csv", labelColumn: "type")
        XCTAssertEqual(r.barcodes, ["A-1", "B-1"])
        XCTAssertEqual(try r.join(cells: ["B-1", "A-1"], file: "c").labels, [nil, "x"])  // "" is missing
    }

    /// The loader picks the reader from the path.
    func testLoaderDispatch() throws {
        XCTAssertEqual(try DatasetReader.read(path: TestData.romanov).expression.cellCount, 845)
        XCTAssertEqual(try DatasetReader.read(path: TestData.romanov + "/matrix.mtx.gz").expression.geneCount, 21143)
        let h5 = try DatasetReader.read(path: TestData.pbmc + "/pbmc68k_reduced.h5ad", h5adMatrix: .raw)
        XCTAssertEqual(h5.obs["bulk_labels"]?.count, 700)
        let csv = try DatasetReader.read(path: TestData.pbmc + "/pbmc68k_reduced_raw_lognorm_cells_x_genes.csv.gz").expression
        XCTAssertEqual(csv.cells, h5.expression.cells)
        XCTAssertEqual(csv.genes, h5.expression.genes)
        assertLexicellError(["filtered.h5", "not read"]) {
            let dir = try TestData.tempDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try TestData.write("x", to: dir + "/filtered.h5")
            _ = try DatasetReader.read(path: dir + "/filtered.h5")
        }
        assertLexicellError(["cell_metadata.parquet", "cannot tell the format"]) {
            let dir = try TestData.tempDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try TestData.write("x", to: dir + "/cell_metadata.parquet")
            _ = try DatasetReader.read(path: dir + "/cell_metadata.parquet")
        }
    }
}
