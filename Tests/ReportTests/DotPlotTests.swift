import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import LexicellCore
@testable import LexicellReport
import XCTest

/// Circles of an SVG as (r, fill, has a dark ring, tooltip), in drawing order.
func circles(_ svg: String) -> [(r: Double, fill: String, ring: Bool, tip: String)] {
    var out = [(r: Double, fill: String, ring: Bool, tip: String)]()
    var rest = Substring(svg)
    while let start = rest.range(of: "<circle ") {
        let end = rest.range(of: ">", range: start.upperBound..<rest.endIndex)!
        let tag = String(rest[start.lowerBound..<end.upperBound])
        func attr(_ name: String) -> String? {
            guard let a = tag.range(of: " \(name)=\"") else { return nil }
            let b = tag.range(of: "\"", range: a.upperBound..<tag.endIndex)!
            return String(tag[a.upperBound..<b.lowerBound])
        }
        var tip = ""
        if !tag.hasSuffix("/>"), let t0 = rest.range(of: "<title>", range: end.upperBound..<rest.endIndex),
            let t1 = rest.range(of: "</title>", range: t0.upperBound..<rest.endIndex)
        {
            tip = String(rest[t0.upperBound..<t1.lowerBound])
        }
        out.append((Double(attr("r")!)!, attr("fill")!, attr("stroke") == "#111", tip))
        rest = rest[end.upperBound...]
    }
    return out
}

final class DotPlotTests: XCTestCase {
    /// 3 sets × 2 groups with one missing value: one dot per present value, area ∝ fraction, colour on the
    /// diverging scale (0 → near-white, ± the limit → the end colours), rings where marked, linked row labels.
    func testDotsEncodeValueAndFraction() {
        var plot = DotPlot(
            title: "Sets \(hostile)", rows: ["set A", "set \(hostile)", "set C"], columns: ["g1", "g2"],
            color: [[2, -2], [0, .nan], [1, -1]], size: [[1, 0.25], [0.5, 0.3], [0, 0.04]],
            colorScale: .diverging(), colorLabel: "NES", sizeLabel: "leading edge / set")
        plot.marked = [[true, false], [false, false], [false, true]]
        plot.markLabel = "FDR ≤ 0.05"
        plot.rowAnchors = ["a-0", "a-1", "a-2"]
        let svg = plot.svg()
        let (error, check) = XMLCheck.parse(svg)
        XCTAssertNil(error)
        XCTAssertTrue(check.text.contains("set \(hostile)"))
        let dots = circles(svg).filter { !$0.tip.isEmpty }
        XCTAssertEqual(dots.count, 5, "the NaN cell draws no dot")
        // Area ∝ fraction: r(1) = 10.5, r(¼) = 5.25; a zero fraction still shows as 1 px.
        XCTAssertEqual(dots[0].r, 10.5, accuracy: 0.01)
        XCTAssertEqual(dots[1].r, 5.25, accuracy: 0.01)
        XCTAssertEqual(dots[3].r, 1, accuracy: 0.01)
        XCTAssertEqual(dots[4].r, 2.1, accuracy: 0.01)
        // Limit = max |NES| = 2: +2 dark red, −2 dark blue, 0 near-white, +1 half way to red.
        XCTAssertEqual(dots[0].fill, "#b2182b")
        XCTAssertEqual(dots[1].fill, "#2166ac")
        XCTAssertEqual(dots[2].fill, "#f7f7f7")
        XCTAssertEqual(dots[3].fill, DotPlot.mix("#f7f7f7", "#b2182b", 0.5))
        XCTAssertEqual(dots.map(\.ring), [true, false, false, false, true])
        XCTAssertTrue(dots[2].tip.contains("NES 0") && dots[2].tip.contains("g1"))
        for k in 0..<3 { XCTAssertTrue(svg.contains("<a href=\"#a-\(k)\"")) }
        XCTAssertEqual(DotPlot.mix("#000000", "#ffffff", 0.5), "#808080")
        // Sequential: 0 → the light end, the maximum → the dark end.
        let seq = DotPlot(
            title: "s", rows: ["x"], columns: ["a", "b"], color: [[0, 4]], size: [[1, 1]], colorScale: .sequential(),
            colorLabel: "mean", sizeLabel: "share")
        XCTAssertEqual(circles(seq.svg()).filter { !$0.tip.isEmpty }.map(\.fill), ["#fff5f0", "#99000d"])
    }

    /// Small multiples: one circle per cell per panel (below the cap), the highest score drawn last, zeros grey;
    /// a larger layout is drawn on the same seeded subsample in every panel.
    func testScorePanelsDrawEveryCellHighestOnTop() {
        var rng = SeededGenerator(seed: 3)
        let n = 200
        let points = DenseMatrix(rows: n, cols: 2, values: (0..<(2 * n)).map { _ in Float(rng.nextGaussian()) })
        var scores = DenseMatrix(rows: n, cols: 2)
        for i in 0..<n {
            scores[i, 0] = i % 4 == 0 ? 0 : Float(i) / Float(n)
            scores[i, 1] = Float(n - i)
        }
        let svg = Plot.scorePanels(points: points, scores: scores, names: ["first \(hostile)", "second"], title: "Scores")
        XCTAssertNil(XMLCheck.parse(svg).error)
        let all = circles(svg)
        XCTAssertEqual(all.count, 2 * n)
        let first = all.prefix(n)
        XCTAssertEqual(first.filter { $0.fill == "#dddddd" }.count, n / 4, "score 0 is grey")
        XCTAssertEqual(first.last!.fill, Plot.viridis(1), "the highest score is drawn last")
        XCTAssertEqual(first.first!.fill, "#dddddd", "zeros first")
        let capped = Plot.scorePanels(points: points, scores: scores, names: ["a", "b"], title: "t", maxPoints: 50)
        XCTAssertEqual(circles(capped).count, 100)
        XCTAssertEqual(Plot.viridis(0), "#440154")
        XCTAssertEqual(Plot.viridis(1), "#fde725")
    }

    /// The answer box, folded content and expandable, linked table cells stay well-formed and escaped.
    func testAnswerFoldedAndExpandableCells() {
        var r = HTMLReport(title: "t")
        r.section("Summary")
        r.answer(["best: \(hostile)", "second line"])
        r.folded("long table \(hostile)") { r in
            r.table(
                headers: ["set", "genes"],
                rows: [[.link("set \(hostile)", anchor: "x-1"), .expandable(summary: "2 of 9 genes", items: ["Cd79a", hostile])]],
                rowIDs: ["x-1"])
        }
        let html = r.render()
        let (error, check) = XMLCheck.parse(html)
        XCTAssertNil(error)
        XCTAssertEqual(check.counts["details"], 2)
        XCTAssertEqual(check.counts["li"], 2)
        XCTAssertTrue(html.contains("<tr id=\"x-1\">"))
        XCTAssertTrue(html.contains("<a href=\"#x-1\">set &lt;b&gt;"))
        XCTAssertTrue(html.contains("<summary>2 of 9 genes</summary>Cd79a, &lt;b&gt;"))
        XCTAssertLessThan(html.range(of: "class=\"answer\"")!.lowerBound, html.range(of: "<details")!.lowerBound)
        XCTAssertFalse(html.contains("<b>&"))
    }
}
