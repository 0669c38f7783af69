import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import LexicellCore
@testable import LexicellReport
import LexicellNeighbors
import LexicellBench
import XCTest

/// Parses `text` as XML; returns the parser error, or nil when well-formed. Also counts elements by name.
final class XMLCheck: NSObject, XMLParserDelegate {
    var counts = [String: Int]()
    var text = ""

    static func parse(_ s: String) -> (error: String?, check: XMLCheck) {
        let check = XMLCheck()
        let parser = XMLParser(data: Data(s.utf8))
        parser.delegate = check
        let ok = parser.parse()
        return (ok ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)", check)
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
    ) {
        counts[elementName, default: 0] += 1
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

let hostile = "<b>&\"x'</b>"

final class PlotTests: XCTestCase {
    func testEscape() {
        XCTAssertEqual(Plot.escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
        XCTAssertEqual(Plot.escape("tab\tok\u{1}"), "tab\tok ")
    }

    func testScatterWith45ClassesIsWellFormedAndDistinct() {
        var rng = SeededGenerator(seed: 1)
        let labels = (0..<900).map { i in i % 45 == 7 ? hostile : "Type \(i % 45)" }
        let points = DenseMatrix(rows: 900, cols: 2, values: (0..<1800).map { _ in Float(rng.nextGaussian()) })
        let svg = Plot.scatter(points: points, labels: labels, title: "UMAP by \(hostile)")
        let (error, check) = XMLCheck.parse(svg)
        XCTAssertNil(error)
        XCTAssertTrue(check.text.contains(hostile), "label text survives escaping")
        // 45 legend entries: one <text> each plus the title.
        XCTAssertEqual(check.counts["text"], 46)
        XCTAssertEqual(Set((0..<45).map { "\(Plot.style($0))" }).count, 45, "every class has its own marker")
        XCTAssertEqual(Plot.categories(["GABA10", "GABA2", "Avp1"]), ["Avp1", "GABA2", "GABA10"])
    }

    func testCorrectnessDrawsWrongOnTop() {
        let points = DenseMatrix(rows: 4, cols: 2, values: [0, 0, 1, 1, 2, 2, 3, 3])
        let svg = Plot.correctness(points: points, truth: ["a", "b", "a", "b"], predicted: ["a", "a", "a", "b"], title: "t")
        XCTAssertNil(XMLCheck.parse(svg).error)
        XCTAssertTrue(svg.contains("incorrect (1)") && svg.contains("correct (3)"))
        let group = svg[svg.range(of: "<g ")!.lowerBound..<svg.range(of: "</g>")!.lowerBound]
        let lastGrey = group.range(of: "#b8b8b8", options: .backwards)!.lowerBound
        let firstRed = group.range(of: "#d62728")!.lowerBound
        XCTAssertLessThan(lastGrey, firstRed, "the red point is drawn after the grey ones")
    }

    func testConfusionMatrixShowsCountsAndRowShares() {
        let counts = [[8, 2, 0], [1, 9, 0], [0, 5, 5]]
        let svg = Plot.confusionMatrix(counts: counts, labels: ["A", hostile, "C"], title: "Confusion")
        let (error, check) = XMLCheck.parse(svg)
        XCTAssertNil(error)
        XCTAssertEqual(check.counts["rect"], 1 + 9)
        for c in ["8", "2", "1", "9", "5"] { XCTAssertTrue(svg.contains(">\(c)</text>")) }
        XCTAssertTrue(svg.contains("true C → predicted \(Plot.escape(hostile)): 5 (50.0% of row)"))
        XCTAssertEqual(Plot.blues(0), "#f7fbff")
        XCTAssertEqual(Plot.blues(1), "#08306b")
    }

    func testLineChartAndBarsWellFormed() {
        let line = Plot.lineChart(
            x: [4, 6, 8, 10, 12, 14],
            series: [("ada-002", [0.803, 0.803, 0.831, 0.859, 0.845, 0.817]), (hostile, [0.7, 0.72, 0.74, 0.75, 0.75, 0.74])],
            title: "k sweep", xLabel: "k", yLabel: "accuracy")
        let (e1, c1) = XMLCheck.parse(line)
        XCTAssertNil(e1)
        XCTAssertEqual(c1.counts["circle"], 12)
        let bars = Plot.bars(
            groups: [("Seurat", 0.648, 0.02), ("ada-002", 0.859, 0.01), (hostile, .nan, .nan)],
            title: "Accuracy", yLabel: "accuracy")
        let (e2, c2) = XMLCheck.parse(bars)
        XCTAssertNil(e2)
        XCTAssertEqual(c2.counts["rect"], 1 + 2, "background plus two finite bars")
        XCTAssertTrue(bars.contains("0.648±0.020"))
    }

    func testNiceTicks() {
        XCTAssertEqual(Plot.niceRange([0.03, 0.97]), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        XCTAssertEqual(Plot.niceRange([4, 14]), [4, 6, 8, 10, 12, 14])
        let flat = Plot.niceRange([5, 5])
        XCTAssertLessThan(flat.first!, 5)
        XCTAssertGreaterThan(flat.last!, 5)
    }
}

final class HTMLReportTests: XCTestCase {
    func testReportIsSelfContainedWellFormedAndHasEverySection() {
        var report = HTMLReport(title: "Lexicell report \(hostile)")
        report.section("Data")
        report.keyValues([("cells", "845"), ("label \(hostile)", "value \(hostile)")])
        report.paragraph("Text with <tags> & ampersands.")
        report.section("Results")
        report.table(
            headers: ["model", "accuracy", "cells", "over seeds"],
            rows: [
                [.text("ada-002"), .number(0.85912, digits: 3), .integer(1_234_567), .meanSD(MeanSD([0.8, 0.9]), digits: 2)],
                [.text(hostile), .number(.nan, digits: 3), .integer(-42), "plain"],
            ])
        report.table(headers: ["a"], rows: [["x"]])
        report.section("Figures")
        let points = DenseMatrix(rows: 3, cols: 2, values: [0, 0, 1, 1, 2, 0])
        report.figure(svg: "<?xml version=\"1.0\"?>\n" + Plot.scatter(points: points, labels: ["a", "b", "a"], title: "s"), caption: "UMAP")
        report.figurePair(
            left: Plot.scatter(points: points, labels: ["a", "b", "a"], title: "before"), leftCaption: "unrefined",
            right: Plot.scatter(points: points, labels: ["a", "b", "b"], title: "after"), rightCaption: "refined")
        let html = report.render()
        let (error, check) = XMLCheck.parse(html)
        XCTAssertNil(error, "report parses as XML (XHTML-compatible)")
        XCTAssertEqual(report.sectionTitles, ["Data", "Results", "Figures"])
        for title in report.sectionTitles { XCTAssertTrue(html.contains("\">\(title)</h2>")) }
        XCTAssertEqual(check.counts["svg"], 3)
        XCTAssertEqual(check.counts["figure"], 2)
        XCTAssertFalse(html.contains("<?xml"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<b>&"), "raw hostile text never reaches the page")
        XCTAssertTrue(check.text.contains(hostile))
        XCTAssertTrue(html.contains("<td class=\"num\">0.859</td>"))
        XCTAssertTrue(html.contains("<td class=\"num\">1,234,567</td>"))
        XCTAssertTrue(html.contains("<td class=\"num\">0.85 ± 0.07</td>"))
        XCTAssertTrue(html.contains("<td class=\"num\">—</td>"))
        // No external resources: the only URL is the SVG namespace.
        let urls = html.components(separatedBy: "http").count - 1
        XCTAssertEqual(urls, html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1)
        XCTAssertFalse(html.contains("src="))
    }
}

final class NPYTests: XCTestCase {
    func testRoundTripAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-npy-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let m = DenseMatrix(rows: 3, cols: 2, values: [1, -2.5, 3e-8, .greatestFiniteMagnitude, 0, 7])
        let path = dir.appendingPathComponent("m.npy").path
        try NPY.write(m, to: path)
        XCTAssertEqual(try NPY.read(path), m)
        let bytes = try FileData.read(path)
        XCTAssertEqual((bytes.count - 3 * 2 * 4) % 64, 0, "header padded to 64 bytes as numpy does")
        // A float64 file, built by hand.
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var f8 = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
        for v in [0.5, -4.0] { withUnsafeBytes(of: v.bitPattern.littleEndian) { f8.append(contentsOf: $0) } }
        let p8 = dir.appendingPathComponent("d.npy").path
        try f8.write(to: URL(fileURLWithPath: p8))
        XCTAssertEqual(try NPY.read(p8).values, [0.5, -4])
        let bad = dir.appendingPathComponent("bad.npy").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try NPY.read(bad)) { XCTAssertTrue("\($0)".contains("bad.npy")) }
        try f8.prefix(f8.count - 3).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try NPY.read(bad)) { XCTAssertTrue("\($0)".contains("data bytes")) }
    }

    func testBenchmarkRunEndToEnd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (x, _) = gaussianClusters(centers: [[0, 0, 0], [5, 0, 0], [0, 5, 0]], perCluster: 40, sd: 0.7, seed: 1)
        let input = dir.appendingPathComponent("x.npy").path, output = dir.appendingPathComponent("e.npy").path
        try NPY.write(x, to: input)
        let r = try UMAPBenchmark.run(
            inputPath: input, outputPath: output,
            configuration: UMAPConfiguration(nEpochs: 100), trustworthinessK: 10)
        XCTAssertEqual(try NPY.read(output), r.embedding)
        XCTAssertGreaterThan(r.trustworthiness ?? 0, 0.9)
        XCTAssertTrue(r.summary.hasPrefix("rows=120 cols=3 embed_seconds="))
    }
}
