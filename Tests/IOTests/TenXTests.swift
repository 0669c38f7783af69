import Foundation
import XCTest
import LexicellCore
@testable import LexicellIO

final class TenXTests: XCTestCase {
    /// Romanov: every cell's total count and number of detected genes equal the authors' nCount_RNA and
    /// nFeature_RNA in cell_metadata.csv (computed independently of this reader).
    func testRomanovMatchesAuthorsCellTotals() throws {
        let m = try TestData.romanovMatrix()
        XCTAssertEqual(m.cellCount, 845)
        XCTAssertEqual(m.geneCount, 21143)
        XCTAssertEqual(m.values.nonZeroCount, 3_267_116)
        XCTAssertEqual(m.genes[0], "Xkr4")
        XCTAssertEqual(m.cells[0], "1772078014_C09_romanov")
        // First entries of matrix.mtx.gz: "6 1 1" and "8 1 4" (gene, cell, count; 1-based).
        XCTAssertEqual(entry(m.values, 0, 5), 1)
        XCTAssertEqual(entry(m.values, 0, 7), 4)
        XCTAssertTrue(m.looksLikeCounts)

        let meta = TestData.romanov + "/cell_metadata.csv"
        let nCount = try LabelTable.read(path: meta, barcodeColumn: "cell", labelColumn: "nCount_RNA")
        let nFeature = try LabelTable.read(path: meta, barcodeColumn: "cell", labelColumn: "nFeature_RNA")
        let counts = try nCount.join(cells: m.cells, file: TestData.romanov)
        let features = try nFeature.join(cells: m.cells, file: TestData.romanov)
        XCTAssertEqual(counts.matched, 845)
        for c in 0..<m.cellCount {
            let lo = m.values.indptr[c], hi = m.values.indptr[c + 1]
            let total = m.values.values[lo..<hi].reduce(0, +)
            XCTAssertEqual(Double(total), Double(counts.labels[c]!)!, "cell \(m.cells[c])")
            XCTAssertEqual(hi - lo, Int(features.labels[c]!)!, "cell \(m.cells[c])")
            XCTAssertTrue(m.values.indices[lo..<hi].elementsEqual(m.values.indices[lo..<hi].sorted()))
        }
    }

    /// The gzipped files and a decompressed copy give identical matrices; the `.mtx` path finds its siblings.
    func testRomanovGzipAndPlainCopyAgree() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["matrix.mtx", "features.tsv", "barcodes.tsv"] {
            let bytes = try FileData.read(TestData.romanov + "/" + name + ".gz")
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        let gz = try DatasetReader.read10x(directory: TestData.romanov)
        let plain = try DatasetReader.read(path: dir + "/matrix.mtx").expression
        XCTAssertEqual(gz, plain)
    }

    func testHandMadeV2AndV3Directories() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 3 genes × 2 cells; entries out of order and one explicit zero.
        let mtx = """
            %%MatrixMarket matrix coordinate integer general
            % a comment
            3 2 4
            3 2 5
            1 1 2
            2 2 0
            1 2 1

            """
        let v2 = dir + "/v2", v3 = dir + "/v3"
        for d in [v2, v3] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try TestData.write(mtx, to: v2 + "/matrix.mtx")
        try TestData.write("ENSMUSG01\tGad1\nENSMUSG02\tTh\nENSMUSG03\tOxt\n", to: v2 + "/genes.tsv")
        try TestData.write("AAAC-1\nAAAG-1\n", to: v2 + "/barcodes.tsv")
        try TestData.write(mtx, to: v3 + "/matrix.mtx.gz", gzip: true)
        try TestData.write(
            "ENSMUSG01\tGad1\tGene Expression\nENSMUSG02\tTh\tGene Expression\nENSMUSG03\tOxt\tGene Expression\n",
            to: v3 + "/features.tsv.gz", gzip: true)
        try TestData.write("AAAC-1\nAAAG-1\n", to: v3 + "/barcodes.tsv.gz", gzip: true)
        for d in [v2, v3] {
            let m = try DatasetReader.read(path: d).expression
            XCTAssertEqual(m.genes, ["Gad1", "Th", "Oxt"])
            XCTAssertEqual(m.cells, ["AAAC-1", "AAAG-1"])
            let dense = m.values.toDense()
            XCTAssertEqual(
                dense.values,
                [
                    2, 0, 0,
                    1, 0, 5,
                ])
            XCTAssertEqual(m.values.nonZeroCount, 3)  // explicit zero dropped
        }
    }

    func testPatternMatrixReadsAsOnes() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestData.write("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 1\n2 2\n", to: dir + "/matrix.mtx")
        try TestData.write("A\nB\n", to: dir + "/features.tsv")
        try TestData.write("c1\nc2\n", to: dir + "/barcodes.tsv")
        XCTAssertEqual(try DatasetReader.read10x(directory: dir).values.toDense().values, [1, 0, 0, 1])
    }

    func testTruncatedGzipNamesFile() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: TestData.romanov + "/matrix.mtx.gz"))
        try whole.prefix(2_000_000).write(to: URL(fileURLWithPath: dir + "/matrix.mtx.gz"))  // over 1 MB: inflated on the prefetch thread
        for name in ["features.tsv.gz", "barcodes.tsv.gz"] {
            try FileManager.default.copyItem(atPath: TestData.romanov + "/" + name, toPath: dir + "/" + name)
        }
        assertLexicellError(["matrix.mtx.gz", "truncated"]) { _ = try DatasetReader.read10x(directory: dir) }
    }

    /// Each malformed MatrixMarket file gives an error naming the file, the line where known, and the problem.
    func testMalformedMatrixMarket() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestData.write("G1\nG2\n", to: dir + "/features.tsv")
        try TestData.write("c1\nc2\nc3\n", to: dir + "/barcodes.tsv")
        let head = "%%MatrixMarket matrix coordinate integer general\n"
        let cases: [(String, [String])] = [
            (head + "2 3 3\n1 1 1\n2 2 2\n", ["matrix.mtx", "header declares 3 entries but the file has 2"]),
            (head + "2 3 1\n1 1 1\n2 2 2\n", ["matrix.mtx, line 4", "more entries than the 1 given in the header"]),
            (head + "2 3 2\n1 1 1\n3 2 2\n", ["matrix.mtx, line 4", "entry (3, 2) is outside the 2 × 3 size"]),
            (head + "2 3 2\n1 1 1\n2 2 x\n", ["matrix.mtx, line 4", "numeric value", "\"2 2 x\""]),
            (head + "2 3 2\n1 1 1\n2 2 2 9\n", ["matrix.mtx, line 4", "expected 3 fields"]),
            (head + "2 3\n", ["matrix.mtx, line 2", "size line"]),
            ("%%MatrixMarket matrix array real general\n2 3\n", ["matrix.mtx, line 1", "\"array\" is not supported"]),
            ("%%MatrixMarket matrix coordinate complex general\n", ["line 1", "\"complex\" is not supported"]),
            ("%%MatrixMarket matrix coordinate real symmetric\n", ["line 1", "\"symmetric\" is not supported"]),
            ("gene cell value\n", ["line 1", "expected a MatrixMarket header"]),
            (head + "3 3 1\n1 1 1\n", ["matrix.mtx", "3 rows (genes) but features.tsv has 2 lines"]),
            (head + "2 4 1\n1 1 1\n", ["matrix.mtx", "4 columns (cells) but barcodes.tsv has 3 lines"]),
        ]
        for (text, fragments) in cases {
            try TestData.write(text, to: dir + "/matrix.mtx")
            assertLexicellError(fragments) { _ = try DatasetReader.read10x(directory: dir) }
        }
        try FileManager.default.removeItem(atPath: dir + "/barcodes.tsv")
        assertLexicellError(["no barcodes file"]) { _ = try DatasetReader.read10x(directory: dir) }
    }
}
