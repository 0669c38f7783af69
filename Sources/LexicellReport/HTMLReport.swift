import Foundation
import LexicellCore

/// One table cell: text, or a number formatted for reading.
public enum TableCell: Equatable, Sendable, ExpressibleByStringLiteral {
    case text(String)
    case number(Double, digits: Int)
    case integer(Int)
    case meanSD(MeanSD, digits: Int)
    /// A short summary that opens to a list (e.g. "12 genes" → the genes), folded by default.
    case expandable(summary: String, items: [String])
    /// Text linking to an anchor of the same page (`id` without the `#`).
    case link(String, anchor: String)

    public init(stringLiteral value: String) { self = .text(value) }

    var isNumeric: Bool {
        switch self {
        case .number, .integer, .meanSD: return true
        case .text, .expandable, .link: return false
        }
    }

    /// The cell's HTML content, escaped.
    var html: String {
        switch self {
        case .expandable(let summary, let items):
            return "<details><summary>\(Plot.escape(summary))</summary>\(Plot.escape(items.joined(separator: ", ")))</details>"
        case .link(let text, let anchor):
            return "<a href=\"#\(Plot.escape(anchor))\">\(Plot.escape(text))</a>"
        default: return Plot.escape(formatted)
        }
    }

    /// Fixed decimals, thousands separated integers, "—" for missing values.
    public var formatted: String {
        switch self {
        case .text(let s): return s
        case .number(let v, let digits): return v.isFinite ? String(format: "%.\(digits)f", v) : "—"
        case .integer(let v): return TableCell.grouped(v)
        case .meanSD(let m, let digits):
            return m.mean.isFinite ? String(format: "%.\(digits)f ± %.\(digits)f", m.mean, m.sd) : "—"
        case .expandable(let summary, let items): return summary + ": " + items.joined(separator: ", ")
        case .link(let text, _): return text
        }
    }

    static func grouped(_ v: Int) -> String {
        let digits = String(v.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return v < 0 ? "-" + out : out
    }
}

/// A self-contained HTML report: inline CSS and SVG, no scripts or external resources; all text escaped.
public struct HTMLReport {
    public let title: String
    public private(set) var sectionTitles: [String] = []
    private var body: [String] = []
    private var figureCount = 0

    public init(title: String) { self.title = title }

    public mutating func section(_ title: String) {
        sectionTitles.append(title)
        body.append("<h2 id=\"s\(sectionTitles.count)\">\(Plot.escape(title))</h2>")
    }

    public mutating func paragraph(_ text: String) { body.append("<p>\(Plot.escape(text))</p>") }

    public mutating func keyValues(_ pairs: [(String, String)]) {
        var s = "<table class=\"kv\">"
        for (k, v) in pairs { s += "<tr><th>\(Plot.escape(k))</th><td>\(Plot.escape(v))</td></tr>" }
        body.append(s + "</table>")
    }

    public mutating func table(headers: [String], rows: [[String]]) {
        table(headers: headers, rows: rows.map { $0.map(TableCell.text) })
    }

    /// Numeric cells are formatted and right-aligned. `rowIDs` (one per row, nil for none) are anchors that
    /// links on the page (e.g. from a figure) can point to.
    public mutating func table(headers: [String], rows: [[TableCell]], rowIDs: [String?]? = nil) {
        var s = "<table class=\"data\"><thead><tr>"
        for h in headers { s += "<th>\(Plot.escape(h))</th>" }
        s += "</tr></thead><tbody>"
        for (i, row) in rows.enumerated() {
            if let id = rowIDs?[i] { s += "<tr id=\"\(Plot.escape(id))\">" } else { s += "<tr>" }
            for cell in row { s += cell.isNumeric ? "<td class=\"num\">\(cell.html)</td>" : "<td>\(cell.html)</td>" }
            s += "</tr>"
        }
        body.append(s + "</tbody></table>")
    }

    /// The answer first: a highlighted list of short statements that opens a report.
    public mutating func answer(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        body.append("<div class=\"answer\"><ul>" + lines.map { "<li>\(Plot.escape($0))</li>" }.joined() + "</ul></div>")
    }

    /// Content folded under a one-line summary (`<details>`), for long tables a reader opens on demand.
    public mutating func folded(_ summary: String, open: Bool = false, _ build: (inout HTMLReport) -> Void) {
        body.append("<details\(open ? " open=\"open\"" : "")><summary>\(Plot.escape(summary))</summary>")
        build(&self)
        body.append("</details>")
    }

    /// An SVG from `Plot` (any leading XML declaration is dropped) with a numbered caption.
    public mutating func figure(svg: String, caption: String) {
        figureCount += 1
        body.append("<figure>\(Self.inlineSVG(svg))<figcaption><b>Figure \(figureCount).</b> \(Plot.escape(caption))</figcaption></figure>")
    }

    /// Two figures side by side (e.g. UMAP before and after refinement), wrapping on narrow screens.
    public mutating func figurePair(
        left: String, leftCaption: String, right: String, rightCaption: String,
        caption: String? = nil
    ) {
        figureCount += 1
        var s = "<figure class=\"pair\"><div class=\"row\">"
        s += "<div class=\"cell\">\(Self.inlineSVG(left))<div class=\"sub\">\(Plot.escape(leftCaption))</div></div>"
        s += "<div class=\"cell\">\(Self.inlineSVG(right))<div class=\"sub\">\(Plot.escape(rightCaption))</div></div>"
        s += "</div><figcaption><b>Figure \(figureCount).</b> \(Plot.escape(caption ?? leftCaption + " | " + rightCaption))</figcaption></figure>"
        body.append(s)
    }

    static func inlineSVG(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return "<pre>\(Plot.escape(svg))</pre>" }
        return String(svg[start.lowerBound...])
    }

    public func render() -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
        html += "<title>\(Plot.escape(title))</title><style>\(Self.css)</style></head><body>\n"
        html += "<h1>\(Plot.escape(title))</h1>\n"
        if sectionTitles.count > 1 {
            html += "<nav><ol>"
            for (i, t) in sectionTitles.enumerated() { html += "<li><a href=\"#s\(i + 1)\">\(Plot.escape(t))</a></li>" }
            html += "</ol></nav>\n"
        }
        html += body.joined(separator: "\n")
        html += "\n<footer>Generated by Lexicell on \(Self.timestamp()).</footer>\n</body></html>\n"
        return html
    }

    private static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime]
        return f.string(from: Date())
    }

    static let css = """
        body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1500px;padding:0 20px;color:#222;line-height:1.45}
        h1{font-size:26px;border-bottom:2px solid #1f77b4;padding-bottom:6px}h2{font-size:20px;margin-top:34px;color:#1f4e79}
        nav ol{columns:2;font-size:14px}table{border-collapse:collapse;margin:10px 0 18px;font-size:13px}
        th,td{border:1px solid #ddd;padding:4px 9px;text-align:left;vertical-align:top}thead th{background:#eef3f8}
        table.kv th{background:#f6f6f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
        tbody tr:nth-child(even){background:#fafafa}figure{margin:14px 0 24px;overflow-x:auto}
        figcaption{font-size:13px;color:#444;margin-top:4px}.pair .row{display:flex;flex-wrap:wrap;gap:16px}
        .pair .cell{flex:1 1 560px;min-width:0;overflow-x:auto}.pair svg{max-width:100%;height:auto}
        .sub{font-size:13px;text-align:center;color:#333}footer{margin-top:40px;font-size:12px;color:#888}
        .answer{background:#f3f8fc;border-left:4px solid #1f77b4;padding:6px 16px;margin:12px 0 20px;font-size:15px}
        .answer li{margin:4px 0}details{margin:8px 0 14px}details>summary{cursor:pointer;color:#1f4e79;font-weight:600}
        td details>summary{font-weight:400}
        """
}
