import Foundation
import XCTest
import LexicellCore
@testable import LexicellIO

final class DelimitedTests: XCTestCase {
    /// Lines streamed through tiny buffers (every chunk boundary case) and through two concatenated gzip
    /// members equal the lines of the whole file.
    func testLineStreamAcrossChunkBoundaries() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = "a,b,c\r\n1,2,3\n\nlong line " + String(repeating: "x", count: 100) + "\nlast"
        let bytes = Array(text.utf8)
        let expected = LineSplitter(bytes).strings()
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/plain.csv"))
        let half = bytes.count / 2
        try Data(FileData.gzip(Array(bytes[..<half])) + FileData.gzip(Array(bytes[half...])))
            .write(to: URL(fileURLWithPath: dir + "/two-members.csv.gz"))
        for name in ["plain.csv", "two-members.csv.gz"] {
            for chunk in [1, 3, 7, 64, 1 << 16] {
                var stream = LineStream(path: dir + "/" + name)
                stream.chunkSize = chunk
                var lines = [String](), numbers = [Int]()
                try stream.forEachLine { line, n in
                    lines.append(String(decoding: line, as: UTF8.self)); numbers.append(n); return true
                }
                XCTAssertEqual(lines, expected, "\(name) chunk \(chunk)")
                XCTAssertEqual(numbers, Array(1...expected.count))
            }
        }
    }

    func testPbmcCellsByGenesCSV() throws {
        let m = try DatasetReader.read(path: TestData.pbmc + "/pbmc68k_reduced_raw_lognorm_cells_x_genes.csv.gz").expression
        XCTAssertEqual(m.cellCount, 700)
        XCTAssertEqual(m.geneCount, 765)
        XCTAssertEqual(m.cells[0], "AAAGCCTGGCTAAC-1")
        XCTAssertEqual(Array(m.genes.prefix(3)), ["HES4", "TNFRSF4", "SSU72"])
        // Row 1 of the file: "AAAGCCTGGCTAAC-1,0.0,0.0,0.0,1.591,1.591,0.0,1.591,2.177,..."
        XCTAssertEqual(entry(m.values, 0, 3), 1.591)
        XCTAssertEqual(entry(m.values, 0, 7), 2.177)
        XCTAssertEqual(entry(m.values, 0, 0), 0)
    }

    /// A GEO-style genes × cells table (quoted "" corner, quoted names) written from real Romanov counts reads
    /// back equal to the MatrixMarket values, gzipped or not, comma or tab, with or without the corner.
    func testGeoLayoutFromRomanovCounts() throws {
        let full = try TestData.romanovMatrix()
        let cells = Array(0..<40)
        // The 30 genes detected in most of these cells.
        var detected = [Int](repeating: 0, count: full.geneCount)
        for c in cells { for k in full.values.indptr[c]..<full.values.indptr[c + 1] { detected[Int(full.values.indices[k])] += 1 } }
        let genes = Array((0..<full.geneCount).sorted { detected[$0] > detected[$1] }.prefix(30))
        let sub = full.selectingCells(cells)
        let dense = sub.values.toDense()

        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func table(_ d: String, corner: Bool, quote: Bool) -> String {
            let q = quote ? "\"" : ""
            var s = (corner ? "\(q)\(q)\(d)" : "") + cells.map { "\(q)\(sub.cells[$0])\(q)" }.joined(separator: d) + "\n"
            for g in genes {
                s += "\(q)\(full.genes[g])\(q)" + cells.map { "\(d)\(Int(dense[$0, g]))" }.joined() + "\n"
            }
            return s
        }
        let variants: [(String, String, Bool)] = [
            ("geo.csv.gz", table(",", corner: true, quote: true), true),
            ("nocorner.tsv", table("\t", corner: false, quote: false), false),
            ("semicolon.txt", table(";", corner: true, quote: false), false),
        ]
        for (name, text, gz) in variants {
            try TestData.write(text, to: dir + "/" + name, gzip: gz)
            let m = try DatasetReader.read(path: dir + "/" + name).expression
            XCTAssertEqual(m.cells, cells.map { sub.cells[$0] }, name)
            XCTAssertEqual(m.genes, genes.map { full.genes[$0] }, name)
            for c in cells { for (j, g) in genes.enumerated() { XCTAssertEqual(entry(m.values, c, j), dense[c, g], name) } }
            // Forcing the other orientation swaps the axes.
            let forced = try DatasetReader.readDelimited(path: dir + "/" + name, orientation: .cellsByGenes)
            XCTAssertEqual(forced.cells, genes.map { full.genes[$0] })
        }
    }

    func testOrientationRule() {
        XCTAssertEqual(try DelimitedReader.decideOrientation(corner: "gene", rowNames: ["x"], columnNames: ["y"], path: "t"), .genesByCells)
        XCTAssertEqual(try DelimitedReader.decideOrientation(corner: "Barcode", rowNames: ["x"], columnNames: ["y"], path: "t"), .cellsByGenes)
        XCTAssertEqual(
            try DelimitedReader.decideOrientation(
                corner: "", rowNames: ["Gad1", "Th", "ENSMUSG00000051951"],
                columnNames: ["aRGC1_AAACCTGAGAATCTCC-1", "aRGC1_AAACCTGAGCGACGTA-1"], path: "t"),
            .genesByCells)
        XCTAssertEqual(
            try DelimitedReader.decideOrientation(
                corner: nil, rowNames: ["AAACCTGAGAATCTCC-1", "1772078014_C09"],
                columnNames: ["CD3E", "RP11-782C8.1", "MT-CO1"], path: "t"),
            .cellsByGenes)
        assertLexicellError(["t: cannot tell whether rows are genes or cells", "give the orientation"]) {
            _ = try DelimitedReader.decideOrientation(corner: "", rowNames: ["Gad1"], columnNames: ["Th"], path: "t")
        }
    }

    func testRaggedRowAndNonNumericValue() throws {
        let dir = try TestData.tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try TestData.write("gene,c1,c2,c3\nGad1,0,1,2\nTh,3,4\n", to: dir + "/ragged.csv")
        assertLexicellError(["ragged.csv, line 3", "ragged row: 3 fields, expected 4"]) {
            _ = try DatasetReader.readDelimited(path: dir + "/ragged.csv")
        }
        try TestData.write("gene,c1,c2,c3\nGad1,0,1,2\nTh,3,4,5,6\n", to: dir + "/long.csv")
        assertLexicellError(["long.csv, line 3", "ragged row: 5 fields, expected 4"]) {
            _ = try DatasetReader.readDelimited(path: dir + "/long.csv")
        }
        try TestData.write("gene,c1,c2,c3\nGad1,0,NA,2\n", to: dir + "/na.csv.gz", gzip: true)
        assertLexicellError(["na.csv.gz, line 2", "column \"c2\"", "expected a number, found \"NA\""]) {
            _ = try DatasetReader.readDelimited(path: dir + "/na.csv.gz")
        }
        try TestData.write("gene,c1\n", to: dir + "/empty.csv")
        assertLexicellError(["empty.csv", "no data rows"]) { _ = try DatasetReader.readDelimited(path: dir + "/empty.csv") }
        try TestData.write("gene,c1,c2\nGad1,1,2\n", to: dir + "/cut.csv")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/cut.csv"))
        bytes = Data(FileData.gzip(Array(bytes)).dropLast(12))
        try bytes.write(to: URL(fileURLWithPath: dir + "/cut.csv.gz"))
        assertLexicellError(["cut.csv.gz", "truncated"]) { _ = try DatasetReader.readDelimited(path: dir + "/cut.csv.gz") }
        assertLexicellError(["nothere.csv", "not found"]) { _ = try DatasetReader.read(path: dir + "/nothere.csv") }
    }
}
