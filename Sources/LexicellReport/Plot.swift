import Foundation
import LexicellCore

/// Figures as standalone SVG strings (no XML declaration, so they can be inlined in HTML).
public enum Plot {
    /// 20 categorical colours (Tableau 20 order, dark then light); combined with 4 marker shapes this gives
    /// 80 distinct category markers.
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
        "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ]

    enum Shape: Int, CaseIterable { case circle, square, triangle, diamond }

    /// Colour and shape of the i-th category.
    static func style(_ i: Int) -> (color: String, shape: Shape) {
        (palette[i % palette.count], Shape(rawValue: (i / palette.count) % Shape.allCases.count)!)
    }

    /// Text safe for XML/HTML content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" && ch != "\r" { out += " " } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// Categories in natural order ("GABA2" before "GABA10").
    static func categories(_ labels: [String]) -> [String] {
        Array(Set(labels)).sorted { $0.compare($1, options: [.numeric, .caseInsensitive]) == .orderedAscending }
    }

    // MARK: Scatter

    /// 2-D points coloured by label, with a legend (several columns when there are many classes).
    public static func scatter(
        points: DenseMatrix, labels: [String], title: String, width: Int = 720,
        height: Int = 560
    ) -> String {
        precondition(points.cols >= 2 && points.rows == labels.count, "scatter: points and labels differ")
        let cats = categories(labels)
        var index = [String: Int]()
        for (i, c) in cats.enumerated() { index[c] = i }
        var counts = [Int](repeating: 0, count: cats.count)
        for l in labels { counts[index[l]!] += 1 }
        let entries = cats.enumerated().map { (i, c) in LegendEntry(label: "\(c) (\(counts[i]))", style: i) }
        return scatterSVG(
            points: points, styleOf: { index[labels[$0]]! }, order: Array(0..<points.rows),
            legend: entries, title: title, width: width, height: height)
    }

    /// Points coloured by whether the prediction is right: grey correct, red wrong (drawn on top).
    public static func correctness(
        points: DenseMatrix, truth: [String], predicted: [String], title: String,
        width: Int = 720, height: Int = 560
    ) -> String {
        precondition(points.rows == truth.count && truth.count == predicted.count, "correctness: lengths differ")
        let wrong = (0..<truth.count).filter { truth[$0] != predicted[$0] }
        let right = (0..<truth.count).filter { truth[$0] == predicted[$0] }
        let entries = [
            LegendEntry(label: "correct (\(right.count))", style: -1, color: "#b8b8b8"),
            LegendEntry(label: "incorrect (\(wrong.count))", style: -1, color: "#d62728"),
        ]
        return scatterSVG(
            points: points, styleOf: { truth[$0] == predicted[$0] ? -1 : -2 }, order: right + wrong,
            legend: entries, title: title, width: width, height: height)
    }

    struct LegendEntry {
        var label: String
        var style: Int
        var color: String?
    }

    private static func scatterSVG(
        points: DenseMatrix, styleOf: (Int) -> Int, order: [Int], legend: [LegendEntry],
        title: String, width: Int, height: Int
    ) -> String {
        let n = points.rows
        let rowHeight = 15.0
        let top = 36.0, bottom = 16.0, left = 16.0
        let perColumn = max(1, Int((Double(height) - top - bottom) / rowHeight))
        let columns = (legend.count + perColumn - 1) / perColumn
        let columnWidth = 170.0
        let plotSize = Double(min(width, height)) - top - bottom
        let totalWidth = left + plotSize + 20 + Double(columns) * columnWidth + 10
        var svg = header(width: totalWidth, height: Double(height), title: title)
        var xmin = Float.infinity, xmax = -Float.infinity, ymin = Float.infinity, ymax = -Float.infinity
        for i in 0..<n where points[i, 0].isFinite && points[i, 1].isFinite {
            xmin = min(xmin, points[i, 0]); xmax = max(xmax, points[i, 0])
            ymin = min(ymin, points[i, 1]); ymax = max(ymax, points[i, 1])
        }
        if !(xmin <= xmax) { xmin = 0; xmax = 1; ymin = 0; ymax = 1 }
        let span = Double(max(xmax - xmin, ymax - ymin, 1e-6)) * 1.04
        let cx = Double(xmin + xmax) / 2, cy = Double(ymin + ymax) / 2
        func px(_ v: Float) -> Double { left + plotSize / 2 + (Double(v) - cx) / span * plotSize }
        func py(_ v: Float) -> Double { top + plotSize / 2 - (Double(v) - cy) / span * plotSize }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotSize))\" height=\"\(f(plotSize))\" fill=\"none\" stroke=\"#ccc\"/>\n"
        let r = n > 20_000 ? 1.4 : n > 5_000 ? 2.0 : n > 1_000 ? 2.6 : 3.4
        svg += "<g stroke=\"none\" fill-opacity=\"0.85\">\n"
        for i in order where points[i, 0].isFinite && points[i, 1].isFinite {
            let s = styleOf(i)
            let color = s == -1 ? "#b8b8b8" : s == -2 ? "#d62728" : style(s).color
            let shape = s < 0 ? Shape.circle : style(s).shape
            svg += marker(shape, px(points[i, 0]), py(points[i, 1]), r, color) + "\n"
        }
        svg += "</g>\n"
        for (e, entry) in legend.enumerated() {
            let col = e / perColumn, row = e % perColumn
            let x = left + plotSize + 20 + Double(col) * columnWidth
            let y = top + Double(row) * rowHeight + rowHeight / 2
            let st = entry.style >= 0 ? style(entry.style) : (entry.color ?? "#000", Shape.circle)
            let text = entry.label.count > 26 ? String(entry.label.prefix(25)) + "…" : entry.label
            svg += marker(st.1, x + 5, y, 4.5, entry.color ?? st.0)
            svg += "<text x=\"\(f(x + 14))\" y=\"\(f(y + 4))\" font-size=\"11\"><title>\(escape(entry.label))</title>\(escape(text))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func marker(_ shape: Shape, _ x: Double, _ y: Double, _ r: Double, _ color: String) -> String {
        switch shape {
        case .circle:
            return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" fill=\"\(color)\"/>"
        case .square:
            let s = r * 1.7
            return "<rect x=\"\(f(x - s / 2))\" y=\"\(f(y - s / 2))\" width=\"\(f(s))\" height=\"\(f(s))\" fill=\"\(color)\"/>"
        case .triangle:
            let h = r * 1.25
            return "<path d=\"M\(f(x)) \(f(y - h))L\(f(x + h)) \(f(y + h * 0.8))L\(f(x - h)) \(f(y + h * 0.8))Z\" fill=\"\(color)\"/>"
        case .diamond:
            let h = r * 1.3
            return "<path d=\"M\(f(x)) \(f(y - h))L\(f(x + h)) \(f(y))L\(f(x)) \(f(y + h))L\(f(x - h)) \(f(y))Z\" fill=\"\(color)\"/>"
        }
    }

    // MARK: Confusion matrix

    /// Row-normalised heatmap (colour = fraction of the true class) with the counts written in the cells.
    public static func confusionMatrix(counts: [[Int]], labels: [String], title: String) -> String {
        let k = labels.count
        precondition(counts.count == k && counts.allSatisfy { $0.count == k }, "confusionMatrix: counts must be k × k")
        let cell = max(14.0, min(44.0, 640.0 / Double(max(k, 1))))
        let longest = Double(labels.map { min($0.count, 24) }.max() ?? 1)
        let labelSpace = 12 + longest * 6.2
        let left = labelSpace + 24, top = 40 + labelSpace
        let width = left + cell * Double(k) + 80, height = top + cell * Double(k) + 40
        var svg = header(width: width, height: height, title: title)
        let fontSize = min(12.0, cell * 0.38)
        for (i, row) in counts.enumerated() {
            let total = row.reduce(0, +)
            for (j, c) in row.enumerated() {
                let fraction = total > 0 ? Double(c) / Double(total) : 0
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                let tip = "true \(labels[i]) → predicted \(labels[j]): \(c) (\(String(format: "%.1f", 100 * fraction))% of row)"
                svg +=
                    "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(blues(fraction))\" stroke=\"#fff\" stroke-width=\"0.5\"><title>\(escape(tip))</title></rect>\n"
                if c > 0 && cell >= 16 {
                    let color = fraction > 0.55 ? "#fff" : "#222"
                    svg +=
                        "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + fontSize * 0.35))\" font-size=\"\(f(fontSize))\" text-anchor=\"middle\" fill=\"\(color)\">\(c)</text>\n"
                }
            }
        }
        for (i, name) in labels.enumerated() {
            let short = escape(name.count > 24 ? String(name.prefix(23)) + "…" : name)
            let y = top + (Double(i) + 0.5) * cell
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" font-size=\"11\" text-anchor=\"end\"><title>\(escape(name))</title>\(short)</text>\n"
            let x = left + (Double(i) + 0.5) * cell
            svg +=
                "<text x=\"\(f(x + 4))\" y=\"\(f(top - 6))\" font-size=\"11\" transform=\"rotate(-60 \(f(x + 4)) \(f(top - 6)))\"><title>\(escape(name))</title>\(short)</text>\n"
        }
        svg +=
            "<text x=\"\(f(left + cell * Double(k) / 2))\" y=\"\(f(height - 12))\" font-size=\"12\" text-anchor=\"middle\">predicted label (columns); colour = share of the true label's row</text>\n"
        svg +=
            "<text x=\"14\" y=\"\(f(top + cell * Double(k) / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + cell * Double(k) / 2)))\">true label (rows)</text>\n"
        return svg + "</svg>\n"
    }

    /// White → dark blue.
    static func blues(_ t: Double) -> String {
        let t = max(0, min(1, t))
        let r = Int((247 + (8 - 247) * t).rounded()), g = Int((251 + (48 - 251) * t).rounded())
        let b = Int((255 + (107 - 255) * t).rounded())
        return String(format: "#%02x%02x%02x", r, g, b)
    }

    // MARK: Line chart

    /// Lines with markers, e.g. accuracy against k for several embeddings.
    public static func lineChart(
        x: [Double], series: [(name: String, y: [Double])], title: String, xLabel: String,
        yLabel: String, width: Int = 640, height: Int = 400
    ) -> String {
        precondition(series.allSatisfy { $0.y.count == x.count }, "lineChart: every series needs one y per x")
        let frame = Frame(width: Double(width), height: Double(height), legendWidth: series.count > 1 ? 170 : 0)
        let ys = series.flatMap { $0.y }.filter { $0.isFinite }
        let xr = niceRange(x.filter { $0.isFinite }), yr = niceRange(ys)
        var svg = header(width: Double(width), height: Double(height), title: title)
        svg += frame.axes(xTicks: xr, yTicks: yr, xLabel: xLabel, yLabel: yLabel)
        for (s, line) in series.enumerated() {
            let color = palette[s % palette.count]
            var d = ""
            for (i, v) in line.y.enumerated() where v.isFinite && x[i].isFinite {
                d += (d.isEmpty ? "M" : "L") + "\(f(frame.px(x[i], xr))) \(f(frame.py(v, yr)))"
            }
            svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            for (i, v) in line.y.enumerated() where v.isFinite && x[i].isFinite {
                svg +=
                    "<circle cx=\"\(f(frame.px(x[i], xr)))\" cy=\"\(f(frame.py(v, yr)))\" r=\"3.5\" fill=\"\(color)\"><title>\(escape(line.name)): \(escape(number(x[i]))) → \(String(format: "%.4f", v))</title></circle>\n"
            }
            if series.count > 1 {
                let lx = frame.right + 16, ly = frame.top + 8 + Double(s) * 16
                svg += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 18))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                svg += "<text x=\"\(f(lx + 24))\" y=\"\(f(ly + 4))\" font-size=\"11\">\(escape(line.name))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    // MARK: Bars

    /// Bars of means with ±1 s.d. error bars, value written above each bar.
    public static func bars(
        groups: [(name: String, mean: Double, sd: Double)], title: String, yLabel: String,
        width: Int? = nil, height: Int = 400
    ) -> String {
        let w = Double(width ?? max(420, 90 + 70 * groups.count))
        let longest = Double(groups.map { min($0.name.count, 28) }.max() ?? 1)
        var frame = Frame(width: w, height: Double(height), legendWidth: 0)
        frame.bottomSpace = 30 + longest * 5.2
        let tops = groups.map { $0.mean + ($0.sd.isFinite ? $0.sd : 0) }.filter { $0.isFinite }
        let yr = niceRange([0] + tops)
        var svg = header(width: w, height: Double(height), title: title)
        svg += frame.axes(xTicks: nil, yTicks: yr, xLabel: "", yLabel: yLabel)
        let slot = (frame.right - frame.left) / Double(max(groups.count, 1))
        for (i, g) in groups.enumerated() {
            let cx = frame.left + slot * (Double(i) + 0.5)
            let bw = slot * 0.62
            if g.mean.isFinite {
                let y0 = frame.py(0, yr), y1 = frame.py(g.mean, yr)
                svg +=
                    "<rect x=\"\(f(cx - bw / 2))\" y=\"\(f(min(y0, y1)))\" width=\"\(f(bw))\" height=\"\(f(abs(y0 - y1)))\" fill=\"\(palette[i % 10])\"><title>\(escape(g.name)): \(String(format: "%.4f ± %.4f", g.mean, g.sd))</title></rect>\n"
                if g.sd.isFinite && g.sd > 0 {
                    let ya = frame.py(g.mean - g.sd, yr), yb = frame.py(g.mean + g.sd, yr)
                    svg +=
                        "<path d=\"M\(f(cx)) \(f(ya))V\(f(yb))M\(f(cx - 6)) \(f(ya))H\(f(cx + 6))M\(f(cx - 6)) \(f(yb))H\(f(cx + 6))\" stroke=\"#222\" stroke-width=\"1.3\" fill=\"none\"/>\n"
                }
                let label = g.sd > 0 ? String(format: "%.3f±%.3f", g.mean, g.sd) : String(format: "%.3f", g.mean)
                svg += "<text x=\"\(f(cx))\" y=\"\(f(frame.py(g.mean + max(g.sd, 0), yr) - 5))\" font-size=\"10\" text-anchor=\"middle\">\(label)</text>\n"
            }
            let name = g.name.count > 28 ? String(g.name.prefix(27)) + "…" : g.name
            let ty = frame.bottom + 14
            svg +=
                "<text x=\"\(f(cx))\" y=\"\(f(ty))\" font-size=\"11\" text-anchor=\"end\" transform=\"rotate(-35 \(f(cx)) \(f(ty)))\"><title>\(escape(g.name))</title>\(escape(name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    // MARK: Shared pieces

    static func header(width: Double, height: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
            + "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
    }

    /// Coordinates with two decimals, no exponent.
    static func f(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(format: "%.3g", v)
    }

    /// Evenly spaced round tick values covering `values`.
    static func niceRange(_ values: [Double]) -> [Double] {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if lo == hi { lo -= lo == 0 ? 1 : abs(lo) * 0.1; hi += hi == 0 ? 1 : abs(hi) * 0.1 }
        let raw = (hi - lo) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let start = floor(lo / step + 1e-9) * step, end = ceil(hi / step - 1e-9) * step
        var ticks = [Double]()
        var t = start
        while t <= end + step * 1e-6 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return ticks
    }

    struct Frame {
        var width: Double, height: Double, legendWidth: Double
        var bottomSpace = 52.0
        var left: Double { 68 }
        var top: Double { 40 }
        var right: Double { width - 20 - legendWidth }
        var bottom: Double { height - bottomSpace }

        func px(_ v: Double, _ ticks: [Double]) -> Double {
            left + (v - ticks.first!) / (ticks.last! - ticks.first!) * (right - left)
        }

        func py(_ v: Double, _ ticks: [Double]) -> Double {
            bottom - (v - ticks.first!) / (ticks.last! - ticks.first!) * (bottom - top)
        }

        func axes(xTicks: [Double]?, yTicks: [Double], xLabel: String, yLabel: String) -> String {
            var s = ""
            for t in yTicks {
                let y = py(t, yTicks)
                s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"#e5e5e5\"/>"
                s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" font-size=\"11\" text-anchor=\"end\">\(escape(number(t)))</text>\n"
            }
            if let xTicks {
                for t in xTicks {
                    let x = px(t, xTicks)
                    s += "<line x1=\"\(f(x))\" y1=\"\(f(bottom))\" x2=\"\(f(x))\" y2=\"\(f(bottom + 5))\" stroke=\"#444\"/>"
                    s += "<text x=\"\(f(x))\" y=\"\(f(bottom + 18))\" font-size=\"11\" text-anchor=\"middle\">\(escape(number(t)))</text>\n"
                }
            }
            s += "<path d=\"M\(f(left)) \(f(top))V\(f(bottom))H\(f(right))\" fill=\"none\" stroke=\"#444\"/>\n"
            if !xLabel.isEmpty {
                s += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(height - 12))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
            }
            let my = (top + bottom) / 2
            s += "<text x=\"16\" y=\"\(f(my))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(my)))\">\(escape(yLabel))</text>\n"
            return s
        }
    }
}
