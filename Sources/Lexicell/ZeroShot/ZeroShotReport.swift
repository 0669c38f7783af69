import Foundation
import LexicellCore
import LexicellReport

/// What a zero-shot run says beyond `TransferSummary`: each marker type's genes found and missing (absent types
/// reported, never silently scored 0), how the scores were combined, and with labels every mode's accuracy.
public struct ZeroShotReport {
    public var scores: ZeroShotScores
    public var truth: [String?]?
    public var weight: Double
    public var topFraction: Double
    public var markers: String
    public var temperature = KnowledgeWeight.temperatureOnGABA6

    /// One labelled comparison of the scoring modes on this query.
    public struct Mode: Codable, Sendable {
        public var mode: String
        public var weight: Double
        public var accuracy: Double
        public var macroF1: Double
        public var cells: Int
    }

    public struct TypeRow: Codable, Sendable {
        public var type: String
        public var line: Int
        public var positiveFound: [String]
        public var positiveMissing: [String]
        public var negativeFound: [String]
        public var negativeMissing: [String]
        public var description: Bool
        public var status: String
    }

    struct Document: Codable {
        var markers: String
        var knowledgeWeight: Double
        var weightRule: String
        var markerTopFraction: Double
        var geneVectors: String
        var descriptionsEmbedded: Int
        var types: [TypeRow]
        var modes: [Mode]
        var curve: [KnowledgeWeight.Point]
        var randomCurve: [KnowledgeWeight.Point]
        /// The weight this query's own labels would choose: used by scripts/zeroshot_compare.sh on the selection
        /// set only.
        var weightChosenHere: Double?
        var temperature: Double
        /// The temperature this query's labels would fit at the run's weight (for the selection set).
        var temperatureFittedHere: Double?
    }

    public init(scores: ZeroShotScores, truth: [String?]?, weight: Double, topFraction: Double, markers: String) {
        self.scores = scores
        self.truth = truth
        self.weight = weight
        self.topFraction = topFraction
        self.markers = markers
    }

    public var typeRows: [TypeRow] {
        scores.types.map { t in
            func found(_ listed: [String], _ missing: [String]) -> [String] { listed.filter { !missing.contains($0) } }
            return TypeRow(
                type: t.type.name, line: t.type.line, positiveFound: found(t.type.positive, t.missingPositive), positiveMissing: t.missingPositive,
                negativeFound: found(t.type.negative, t.missingNegative), negativeMissing: t.missingNegative,
                description: !t.type.description.isEmpty,
                status: t.isAbsent ? "absent: no positive marker in the data, not scored" : "scored")
        }
    }

    /// Marker-only (w = 0; and without z-scoring, the best raw marker score, as AUCell would), knowledge-only
    /// (w = 1), combined (w), and the random-vector control's knowledge-only and combined, on the labelled cells
    /// (best labels, no threshold).
    public func modes() -> [Mode] {
        guard let truth else { return [] }
        var out = [Mode]()
        func add(_ name: String, _ w: Double, random: Bool) {
            guard let m = scores.metrics(labels: scores.call(weight: w, random: random).labels, truth: truth) else { return }
            out.append(Mode(mode: name, weight: w, accuracy: m.accuracy, macroF1: m.macroF1, cells: m.confusion.reduce(0) { $0 + $1.reduce(0, +) }))
        }
        add("marker-only", 0, random: false)
        if let m = scores.metrics(labels: scores.rawMarkerLabels(), truth: truth) {
            out.append(
                Mode(mode: "marker-only, raw AUC", weight: 0, accuracy: m.accuracy, macroF1: m.macroF1, cells: m.confusion.reduce(0) { $0 + $1.reduce(0, +) }))
        }
        add("knowledge-only", 1, random: false)
        add("combined", weight, random: false)
        if scores.randomKnowledgeZ != nil {
            add("random-vector knowledge-only", 1, random: true)
            add("random-vector combined", weight, random: true)
        }
        return out
    }

    public var weightRule: String {
        weight == KnowledgeWeight.chosenOnGABA6
            ? "w = \(weight): chosen on Romanov GABA-6 (highest macro F1 over w = 0, 0.1, …, 1), not on this query"
            : "w = \(weight): given with --knowledge-weight"
    }

    public func markdown() -> String {
        var s = "## Zero-shot scoring\n\n"
        s += "Markers: \(markers). Score per type = (1 − w) · z(marker) + w · z(knowledge), z-scored per type over the cells; \(weightRule). "
        s += String(
            format:
                "Marker score: AUC of the positive markers in each cell's gene ranking (top %.0f %% of genes) minus that of the negatives. Knowledge: cosine of the cell's text embedding and the type's (mean marker gene vector%@), centred on the mean cell. Confidence: softmax over the types at temperature %.3g (fitted on GABA-6).\n\n",
            100 * topFraction, scores.descriptionsEmbedded > 0 ? " + description" : "", temperature)
        s += "| type | positive found | positive missing | negative found | status |\n|---|---|---|---|---|\n"
        for r in typeRows {
            s +=
                "| \(r.type) | \(r.positiveFound.joined(separator: ", ")) | \(r.positiveMissing.joined(separator: ", ")) | \(r.negativeFound.joined(separator: ", ")) | \(r.status) |\n"
        }
        let absent = scores.absentTypes
        if !absent.isEmpty {
            s += "\n**\(absent.count) type(s) not scored** (no positive marker in the data): \(absent.map(\.type.name).joined(separator: ", ")).\n"
        }
        let m = modes()
        if !m.isEmpty {
            s += "\nAgainst the true labels (\(m[0].cells) cells whose type is in the marker file; best label, no threshold):\n\n"
            s += "| scoring | w | accuracy | macro F1 |\n|---|---|---|---|\n"
            for r in m { s += String(format: "| %@ | %.1f | %.3f | %.3f |\n", r.mode, r.weight, r.accuracy, r.macroF1) }
        }
        return s
    }

    /// Per cell the best label of every mode (marker-only, knowledge-only, combined, and the random control's),
    /// so that a comparison can score the modes on any subset of cells (e.g. a benchmark's test cells).
    public func modesCSV(cells: [String]) -> String {
        var calls = [
            ("marker_only", scores.call(weight: 0).labels), ("marker_raw_auc", scores.rawMarkerLabels()), ("knowledge_only", scores.call(weight: 1).labels),
            ("combined", scores.call(weight: weight).labels),
        ]
        if scores.randomKnowledgeZ != nil {
            calls += [
                ("random_knowledge_only", scores.call(weight: 1, random: true).labels), ("random_combined", scores.call(weight: weight, random: true).labels),
            ]
        }
        var csv = "cell," + calls.map(\.0).joined(separator: ",") + (truth != nil ? ",true_label" : "") + "\n"
        for c in cells.indices {
            csv += ([cells[c]] + calls.map { $0.1[c] }).map(EmbeddingTableCSV.quote).joined(separator: ",")
            if let truth { csv += "," + EmbeddingTableCSV.quote(truth[c] ?? "") }
            csv += "\n"
        }
        return csv
    }

    public func json() throws -> Data {
        let curve = truth.map { scores.curve(truth: $0) } ?? []
        let doc = Document(
            markers: markers, knowledgeWeight: weight, weightRule: weightRule, markerTopFraction: topFraction,
            geneVectors: scores.table.modelIdentity, descriptionsEmbedded: scores.descriptionsEmbedded, types: typeRows, modes: modes(),
            curve: curve, randomCurve: truth.flatMap { t in scores.randomKnowledgeZ.map { _ in scores.curve(truth: t, random: true) } } ?? [],
            weightChosenHere: KnowledgeWeight.choose(curve), temperature: temperature,
            temperatureFittedHere: truth.flatMap { scores.fittedTemperature(weight: weight, truth: $0) })
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(doc)
    }

    /// `html` (a rendered `TransferSummary` report) with a section on the marker types and modes before its footer.
    public func insertingHTML(into html: String) -> String {
        func table(_ headers: [String], _ rows: [[String]]) -> String {
            var t = "<table class=\"data\"><thead><tr>" + headers.map { "<th>\(Plot.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            for r in rows { t += "<tr>" + r.map { "<td>\(Plot.escape($0))</td>" }.joined() + "</tr>" }
            return t + "</tbody></table>"
        }
        var s = "<h2>Zero-shot scoring</h2><p>\(Plot.escape(weightRule)). Markers: \(Plot.escape(markers)).</p>"
        s += table(
            ["type", "positive found", "positive missing", "negative found", "description", "status"],
            typeRows.map {
                [
                    $0.type, $0.positiveFound.joined(separator: ", "), $0.positiveMissing.joined(separator: ", "), $0.negativeFound.joined(separator: ", "),
                    $0.description ? "yes" : "", $0.status,
                ]
            })
        let m = modes()
        if !m.isEmpty {
            s += table(
                ["scoring", "w", "accuracy", "macro F1"],
                m.map { [$0.mode, String(format: "%.1f", $0.weight), String(format: "%.3f", $0.accuracy), String(format: "%.3f", $0.macroF1)] })
        }
        guard let r = html.range(of: "\n<footer>") else { return html + s }
        return html.replacingCharacters(in: r.lowerBound..<r.lowerBound, with: "\n" + s)
    }
}
