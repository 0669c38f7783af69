import Foundation
import LexicellCore

/// A dot plot as scanpy's `pl.dotplot` draws one: a grid of rows × columns where each dot's colour is one
/// value (e.g. NES, −log10 FDR, mean score) and its area another, a fraction in [0, 1] (e.g. the share of a
/// set carried by the leading edge, or of the cells with a non-zero score). Dot area is proportional to the
/// fraction, so a dot of fraction ½ has half the ink of a full one.
///
/// Rows are the long names (gene sets), written on the left; columns the short ones (groups), written at an
/// angle on top. A missing value (NaN colour) draws no dot; `marked` cells get a dark ring (e.g. FDR ≤ 0.05).
public struct DotPlot {
    public enum ColorScale: Sendable, Equatable {
        /// Blue–white–red around 0, symmetric up to the largest |value| (or `limit`): signed scores such as NES.
        case diverging(limit: Double? = nil)
        /// White → dark red from 0 to the largest value (or `limit`): −log10 FDR, mean scores.
        case sequential(limit: Double? = nil)
    }

    public var title: String
    public var rows: [String]
    public var columns: [String]
    /// rows × columns; NaN: no dot.
    public var color: [[Double]]
    /// rows × columns, fractions in [0, 1] (clamped).
    public var size: [[Double]]
    public var colorScale: ColorScale
    public var colorLabel: String
    public var sizeLabel: String
    /// Cells drawn with a ring, and what the ring means.
    public var marked: [[Bool]]? = nil
    public var markLabel = ""
    /// Per row, an anchor on the same page the row label links to (e.g. the table row listing its genes).
    public var rowAnchors: [String?]? = nil
    /// Per cell, the tooltip (default: row, column and both values).
    public var tooltips: [[String]]? = nil

    static let cell = 24.0
    static let maxRadius = 10.5

    public init(
        title: String, rows: [String], columns: [String], color: [[Double]], size: [[Double]],
        colorScale: ColorScale, colorLabel: String, sizeLabel: String
    ) {
        precondition(color.count == rows.count && color.allSatisfy { $0.count == columns.count }, "DotPlot: color must be rows × columns")
        precondition(size.count == rows.count && size.allSatisfy { $0.count == columns.count }, "DotPlot: size must be rows × columns")
        self.title = title
        self.rows = rows
        self.columns = columns
        self.color = color
        self.size = size
        self.colorScale = colorScale
        self.colorLabel = colorLabel
        self.sizeLabel = sizeLabel
    }

    /// Approximate width in px of `s` at 11 px Helvetica (capitals and digits wider than lower case), for margins.
    static func textWidth(_ s: String, size: Double = 11) -> Double {
        s.unicodeScalars.reduce(0) { w, c in
            let k: Double =
                CharacterSet.uppercaseLetters.contains(c) || CharacterSet.decimalDigits.contains(c)
                ? 0.68
                : c == " " ? 0.28 : CharacterSet.lowercaseLetters.contains(c) ? 0.53 : 0.6
            return w + k * size
        }
    }

    /// Radius of a dot of fraction `f`: area ∝ f; a present dot is never smaller than 1 px.
    static func radius(_ f: Double) -> Double {
        let v = f.isFinite ? max(0, min(1, f)) : 0
        return max(1, maxRadius * v.squareRoot())
    }

    /// The colour limit: the largest |value| (diverging) or value (sequential), unless fixed.
    var limit: Double {
        let finite = color.flatMap { $0 }.filter(\.isFinite)
        switch colorScale {
        case .diverging(let l): return l ?? max(finite.map(abs).max() ?? 1, 1e-12)
        case .sequential(let l): return l ?? max(finite.max() ?? 1, 1e-12)
        }
    }

    /// The fill of value `v`.
    func fill(_ v: Double) -> String {
        let L = limit
        switch colorScale {
        case .diverging:
            let t = max(-1, min(1, v / L))
            return t < 0
                ? Self.mix("#f7f7f7", "#2166ac", -t) : Self.mix("#f7f7f7", "#b2182b", t)
        case .sequential:
            return Self.mix("#fff5f0", "#99000d", max(0, min(1, v / L)))
        }
    }

    static func mix(_ a: String, _ b: String, _ t: Double) -> String {
        func rgb(_ h: String) -> [Double] {
            let v = Int(h.dropFirst(), radix: 16)!
            return [Double((v >> 16) & 255), Double((v >> 8) & 255), Double(v & 255)]
        }
        let x = rgb(a), y = rgb(b)
        let c = (0..<3).map { Int((x[$0] + (y[$0] - x[$0]) * t).rounded()) }
        return String(format: "#%02x%02x%02x", c[0], c[1], c[2])
    }

    public func svg() -> String {
        let f = Plot.f
        let longestRow = rows.map { Self.textWidth(String($0.prefix(56))) }.max() ?? 10
        let longestColumn = columns.map { Self.textWidth(String($0.prefix(24))) }.max() ?? 10
        let left = 20 + longestRow, top = 44 + longestColumn * 0.87
        let gridW = Self.cell * Double(columns.count), gridH = Self.cell * Double(rows.count)
        let legendX = left + gridW + 28
        let width = legendX + 190
        let height = max(top + gridH + 24, top + 250)
        var svg = Plot.header(width: width, height: height, title: title)
        // Light guides make rows readable across many columns.
        for i in 0..<rows.count where i % 2 == 1 {
            svg += "<rect x=\"\(f(left))\" y=\"\(f(top + Double(i) * Self.cell))\" width=\"\(f(gridW))\" height=\"\(f(Self.cell))\" fill=\"#f6f6f6\"/>\n"
        }
        for (i, name) in rows.enumerated() {
            let y = top + (Double(i) + 0.5) * Self.cell
            let short = Plot.escape(name.count > 56 ? String(name.prefix(55)) + "…" : name)
            let label = "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" font-size=\"11\" text-anchor=\"end\"><title>\(Plot.escape(name))</title>\(short)</text>"
            if let anchor = rowAnchors?[i] {
                svg += "<a href=\"#\(Plot.escape(anchor))\" fill=\"#1f4e79\">\(label)</a>\n"
            } else {
                svg += label + "\n"
            }
        }
        for (j, name) in columns.enumerated() {
            let x = left + (Double(j) + 0.5) * Self.cell
            let short = Plot.escape(name.count > 24 ? String(name.prefix(23)) + "…" : name)
            svg +=
                "<text x=\"\(f(x + 3))\" y=\"\(f(top - 8))\" font-size=\"11\" transform=\"rotate(-60 \(f(x + 3)) \(f(top - 8)))\"><title>\(Plot.escape(name))</title>\(short)</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(gridW))\" height=\"\(f(gridH))\" fill=\"none\" stroke=\"#ccc\"/>\n"
        for i in 0..<rows.count {
            for j in 0..<columns.count where color[i][j].isFinite {
                let cx = left + (Double(j) + 0.5) * Self.cell, cy = top + (Double(i) + 0.5) * Self.cell
                let ring = marked?[i][j] == true ? " stroke=\"#111\" stroke-width=\"1.4\"" : " stroke=\"#999\" stroke-width=\"0.5\""
                let tip =
                    tooltips?[i][j]
                    ?? "\(rows[i]) — \(columns[j]): \(colorLabel) \(String(format: "%.3g", color[i][j])), \(sizeLabel) \(String(format: "%.2f", size[i][j]))"
                svg +=
                    "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"\(f(Self.radius(size[i][j])))\" fill=\"\(fill(color[i][j]))\"\(ring)><title>\(Plot.escape(tip))</title></circle>\n"
            }
        }
        svg += legend(x: legendX, y: top)
        return svg + "</svg>\n"
    }

    /// Colour bar with its range, the size key (fractions ¼ … 1) and the ring's meaning.
    private func legend(x: Double, y: Double) -> String {
        let f = Plot.f
        var s = "<text x=\"\(f(x))\" y=\"\(f(y + 4))\" font-size=\"11\" font-weight=\"bold\">\(Plot.escape(colorLabel))</text>\n"
        let barTop = y + 12, barH = 90.0, steps = 30
        let L = limit
        let lo: Double
        if case .diverging = colorScale { lo = -L } else { lo = 0 }
        for k in 0..<steps {
            let v = L - (L - lo) * (Double(k) + 0.5) / Double(steps)
            s +=
                "<rect x=\"\(f(x))\" y=\"\(f(barTop + barH * Double(k) / Double(steps)))\" width=\"14\" height=\"\(f(barH / Double(steps) + 0.3))\" fill=\"\(fill(v))\"/>"
        }
        s += "\n<rect x=\"\(f(x))\" y=\"\(f(barTop))\" width=\"14\" height=\"\(f(barH))\" fill=\"none\" stroke=\"#888\"/>\n"
        for (v, yy) in [(L, barTop), ((L + lo) / 2, barTop + barH / 2), (lo, barTop + barH)] {
            s += "<text x=\"\(f(x + 20))\" y=\"\(f(yy + 4))\" font-size=\"10\">\(String(format: "%.3g", v))</text>\n"
        }
        var yy = barTop + barH + 24
        s += "<text x=\"\(f(x))\" y=\"\(f(yy))\" font-size=\"11\" font-weight=\"bold\">\(Plot.escape(sizeLabel))</text>\n"
        yy += 6
        var xx = x + Self.maxRadius
        for frac in [0.25, 0.5, 0.75, 1.0] {
            let r = Self.radius(frac)
            s += "<circle cx=\"\(f(xx))\" cy=\"\(f(yy + Self.maxRadius))\" r=\"\(f(r))\" fill=\"#888\"/>"
            s += "<text x=\"\(f(xx))\" y=\"\(f(yy + 2 * Self.maxRadius + 12))\" font-size=\"10\" text-anchor=\"middle\">\(Plot.number(frac * 100))%</text>\n"
            xx += 2 * Self.maxRadius + 14
        }
        if marked != nil && !markLabel.isEmpty {
            yy += 2 * Self.maxRadius + 30
            s += "<circle cx=\"\(f(x + 7))\" cy=\"\(f(yy - 4))\" r=\"6\" fill=\"#fff\" stroke=\"#111\" stroke-width=\"1.4\"/>"
            s += "<text x=\"\(f(x + 18))\" y=\"\(f(yy))\" font-size=\"10\">\(Plot.escape(markLabel))</text>\n"
        }
        return s
    }
}
