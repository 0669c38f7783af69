import Foundation
import LexicellCore

extension Plot {
    /// Small multiples of one 2-D layout (e.g. a UMAP), one panel per score column, each point coloured by its
    /// score (viridis-like, from 0 to the panel's largest score; cells scoring exactly 0 in light grey, drawn
    /// first, so the cells that carry a set stand out on top).
    ///
    /// - Parameters:
    ///   - points: n × 2 layout.
    ///   - scores: n × panels, same row order as `points`.
    ///   - names: one title per panel.
    ///   - maxPoints: points drawn per panel; a larger layout is drawn on a seeded subsample (the same cells in
    ///     every panel) so that a report of 20 panels stays a few megabytes.
    public static func scorePanels(
        points: DenseMatrix, scores: DenseMatrix, names: [String], title: String, columns: Int = 3,
        panelSize: Double = 250, maxPoints: Int = 6_000, seed: UInt64 = 7
    ) -> String {
        precondition(points.cols >= 2 && points.rows == scores.rows, "scorePanels: points and scores differ in rows")
        precondition(names.count == scores.cols, "scorePanels: one name per score column")
        var cells = Array(0..<points.rows)
        if cells.count > maxPoints {
            var rng = SeededGenerator(seed: seed)
            cells.shuffle(using: &rng)
            cells = Array(cells.prefix(maxPoints))
        }
        let panels = scores.cols
        let cols = max(1, min(columns, panels))
        let rowsOfPanels = (panels + cols - 1) / cols
        let titleSpace = 34.0, panelTitle = 18.0, gap = 14.0
        let width = 12 + Double(cols) * (panelSize + gap) + 60
        let height = titleSpace + Double(max(rowsOfPanels, 1)) * (panelSize + panelTitle + gap) + 10
        var svg = header(width: width, height: height, title: title)
        var xmin = Float.infinity, xmax = -Float.infinity, ymin = Float.infinity, ymax = -Float.infinity
        for i in cells where points[i, 0].isFinite && points[i, 1].isFinite {
            xmin = min(xmin, points[i, 0]); xmax = max(xmax, points[i, 0])
            ymin = min(ymin, points[i, 1]); ymax = max(ymax, points[i, 1])
        }
        if !(xmin <= xmax) { xmin = 0; xmax = 1; ymin = 0; ymax = 1 }
        let span = Double(max(xmax - xmin, ymax - ymin, 1e-6)) * 1.06
        let cx = Double(xmin + xmax) / 2, cy = Double(ymin + ymax) / 2
        let r = cells.count > 3_000 ? 1.3 : cells.count > 800 ? 1.9 : 2.6
        for p in 0..<panels {
            let ox = 12 + Double(p % cols) * (panelSize + gap)
            let oy = titleSpace + Double(p / cols) * (panelSize + panelTitle + gap)
            let top = Float(cells.map { scores[$0, p] }.filter(\.isFinite).max() ?? 0)
            // Room for the title left of the "max" label (bold capitals are ~7.5 px wide at 11 px).
            let room = max(8, Int((panelSize - 64) / 7.5))
            let name = names[p].count > room ? String(names[p].prefix(room - 1)) + "…" : names[p]
            svg +=
                "<text x=\"\(f(ox))\" y=\"\(f(oy + 12))\" font-size=\"11\" font-weight=\"bold\"><title>\(escape(names[p]))</title>\(escape(name))</text>\n"
            svg +=
                "<text x=\"\(f(ox + panelSize))\" y=\"\(f(oy + 12))\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">max \(String(format: "%.3g", Double(top)))</text>\n"
            let py0 = oy + panelTitle
            svg += "<rect x=\"\(f(ox))\" y=\"\(f(py0))\" width=\"\(f(panelSize))\" height=\"\(f(panelSize))\" fill=\"none\" stroke=\"#ccc\"/>\n"
            // Zeros first, then by increasing score: the highest scores are drawn last, on top.
            let order = cells.filter { points[$0, 0].isFinite && points[$0, 1].isFinite }.sorted {
                let a = scores[$0, p], b = scores[$1, p]
                return a < b || (a == b && $0 < $1)
            }
            svg += "<g stroke=\"none\">"
            for i in order {
                let s = scores[i, p]
                let color = !(s > 0) || !(top > 0) ? "#dddddd" : viridis(Double(s / top))
                let x = ox + panelSize / 2 + (Double(points[i, 0]) - cx) / span * panelSize
                let y = py0 + panelSize / 2 - (Double(points[i, 1]) - cy) / span * panelSize
                svg += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" fill=\"\(color)\"/>"
            }
            svg += "</g>\n"
        }
        // A shared key: each panel runs from 0 to its own maximum.
        let kx = 12 + Double(cols) * (panelSize + gap) + 8
        for k in 0..<20 {
            let t = 1 - (Double(k) + 0.5) / 20
            svg += "<rect x=\"\(f(kx))\" y=\"\(f(titleSpace + 18 + Double(k) * 5))\" width=\"12\" height=\"5.3\" fill=\"\(viridis(t))\"/>"
        }
        svg += "\n<text x=\"\(f(kx))\" y=\"\(f(titleSpace + 12))\" font-size=\"10\">max</text>"
        svg += "<text x=\"\(f(kx))\" y=\"\(f(titleSpace + 130))\" font-size=\"10\">&gt; 0</text>"
        svg += "<rect x=\"\(f(kx))\" y=\"\(f(titleSpace + 138))\" width=\"12\" height=\"8\" fill=\"#dddddd\"/>"
        svg += "<text x=\"\(f(kx))\" y=\"\(f(titleSpace + 158))\" font-size=\"10\">0</text>\n"
        return svg + "</svg>\n"
    }

    /// A viridis-like ramp (5 stops of matplotlib's viridis, linear between them), t in [0, 1].
    static func viridis(_ t: Double) -> String {
        let stops = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
        let v = max(0, min(1, t.isFinite ? t : 0)) * Double(stops.count - 1)
        let i = min(Int(v), stops.count - 2)
        return DotPlot.mix(stops[i], stops[i + 1], v - Double(i))
    }
}
