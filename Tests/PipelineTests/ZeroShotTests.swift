import LexicellCells
import LexicellCore
import LexicellGenes
import LexicellText
import LexicellTestSupport
import XCTest

@testable import Lexicell

/// Zero-shot annotation from marker files: parsing, absent types, hand-computed scores, and the weight's provenance.
final class ZeroShotTests: XCTestCase {
    static let markers = Repository.data + "/markers"

    func testMarkerFileParsesCommentsQuotesTabsAndTheBundledFiles() throws {
        let csv = """
            # a comment

            type,positive,negative,description
            "GABA 5 (Calcr, Lhx1)", Calcr ; Lhx1 ,Pomc,"neurons, GABAergic"
            B,Cd19,,
            """
        let f = try MarkerFile.parse(csv, path: "m.csv")
        XCTAssertEqual(
            f.types,
            [
                MarkerType(name: "GABA 5 (Calcr, Lhx1)", positive: ["Calcr", "Lhx1"], negative: ["Pomc"], description: "neurons, GABAergic", line: 4),
                MarkerType(name: "B", positive: ["Cd19"], line: 5),
            ])
        let tsv = try MarkerFile.parse("positive\ttype\nMS4A1;CD79A\tB cell\nCD3E\tT cell\n", path: "m.tsv")
        XCTAssertEqual(tsv.types.map(\.name), ["B cell", "T cell"])
        XCTAssertEqual(tsv.types[0].positive, ["MS4A1", "CD79A"])
        XCTAssertEqual(try MarkerFile.load(path: Self.markers + "/romanov2017_hypothalamus.csv").types.count, 33)
        XCTAssertEqual(try MarkerFile.load(path: Self.markers + "/pbmc68k_reduced.csv").types.count, 10)
        let rgc = try MarkerFile.load(path: Self.markers + "/tran2019_rgc_atlas.csv")
        XCTAssertEqual(rgc.types.count, 45)
        XCTAssertEqual(rgc.types.first { $0.name == "33_M1" }?.negative, ["Nmb"])
    }

    func testEveryMarkerFileErrorNamesFileLineAndField() {
        let h = "type,positive,negative,description\n"
        let cases: [(String, [String])] = [
            ("", ["bad.csv", "no header"]),
            ("type,markers\nA,B\n", ["bad.csv", "line 1", "'markers'", "expected the columns"]),
            ("negative,description\nA,B\n", ["bad.csv", "line 1", "lacks 'type' or 'positive'"]),
            (h + "A,X,,d\nB,Y,,\"d\n", ["bad.csv", "line 3", "unbalanced"]),
            (h + "A,X,,d\nB,Y,Z\n", ["bad.csv", "line 3", "expected 4 fields", "found 3"]),
            (h + "A,X,,d\n,Y,,\n", ["bad.csv", "line 3", "'type' is empty"]),
            (h + "A,X,,d\nB,Y,,\nA,Z,,\n", ["bad.csv", "line 4", "'A' is already defined on line 2"]),
            (h + "Unassigned,X,,\nB,Y,,\n", ["bad.csv", "line 2", "reserved"]),
            (h + "A,X,,\nB,,,\n", ["bad.csv", "line 3", "'positive' of 'B' is empty"]),
            (h + "A,X;;Y,,\nB,Y,,\n", ["bad.csv", "line 2", "'positive' of 'A'", "empty gene"]),
            (h + "A,X Y,,\nB,Y,,\n", ["bad.csv", "line 2", "'X Y' is not a gene symbol"]),
            (h + "A,X;X,,\nB,Y,,\n", ["bad.csv", "line 2", "lists X twice"]),
            (h + "A,X,Y;X,\nB,Y,,\n", ["bad.csv", "line 2", "X is both a positive and a negative marker"]),
            (h + "A,X,,\n", ["bad.csv", "only one cell type"]),
            (h, ["bad.csv", "no cell type"]),
        ]
        for (text, fragments) in cases {
            assertLexicellError(fragments) { _ = try MarkerFile.parse(text, path: "bad.csv") }
        }
        assertLexicellError(["/nonexistent/markers.csv"]) { _ = try MarkerFile.load(path: "/nonexistent/markers.csv") }
    }

    /// 2 cells × 6 genes; with topFraction 0.5, R = 3 and ranks 1 and 2 count (area R − r).
    /// Cell 0 ranks g0 (5) → 1, g1 (3) → 2; cell 1 ranks g2 (4) → 1, g4 (4, tie: higher index) → 2.
    /// P = +{g0, g2} −{g1}: cell 0 (2 + 0)/(3·2) − 1/3 = 0; cell 1 2/6 − 0 = 1/3.
    /// Q = +{g1, g4}: cell 0 1/6; cell 1 1/6.
    func testMarkerScoresMatchHandComputedAUCAndIgnoreDepth() throws {
        let genes = ["g0", "g1", "g2", "g3", "g4", "g5"]
        func matrix(_ scale1: Float) -> ExpressionMatrix {
            let dense = DenseMatrix(rowArrays: [[5, 3, 1, 0, 2, 0], [0, 0, 4 * scale1, 0, 4 * scale1, 1 * scale1]])
            return ExpressionMatrix(values: SparseMatrix(dense: dense), genes: genes, cells: ["c0", "c1"])
        }
        let file = try MarkerFile.parse("type,positive,negative\nP,g0;g2,g1\nQ,g1;g4,\n", path: "m.csv")
        let types = file.matched(to: genes, knowledge: Self.knowledge(genes))
        XCTAssertEqual(types.map(\.positive), [[0, 2], [1, 4]])
        XCTAssertEqual(types.map(\.negative), [[1], []])
        for scale in [Float(1), 10] {
            let s = MarkerScoring.scores(matrix(scale).values, types: types, topFraction: 0.5)
            let expected: [Float] = [0, 1.0 / 6, 1.0 / 3, 1.0 / 6]
            for (a, b) in zip(s.values, expected) { XCTAssertEqual(a, b, accuracy: 1e-6, "scale \(scale)") }
        }
    }

    /// Cells (1,0), (0,1), (1,1): μ = (2/3, 2/3); type (1,0) centred (1/3, −2/3): cosines 1, −0.8, −1/√10.
    func testKnowledgeScoresAndTypeVectorsByHand() throws {
        let cells = DenseMatrix(rowArrays: [[1, 0], [0, 1], [1, 1], [0, 0]])
        let s = KnowledgeScoring.scores(cells: cells, types: DenseMatrix(rowArrays: [[1, 0], [0, 0]]))
        let expected: [Float] = [1, 0, -0.8, 0, -1 / Float(10).squareRoot(), 0, 0, 0]
        for (a, b) in zip(s.values, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        // Markers a = (3, 0), b = (0, 4): unit mean (0.6, 0.8); with description (0, 1): (0.6, 1.8)/√3.6.
        let table = try GeneEmbeddingTable(symbols: ["a", "b"], vectors: DenseMatrix(rowArrays: [[3, 0], [0, 4]]), modelIdentity: "hand")
        let t = MatchedMarkerType(
            type: MarkerType(name: "T", positive: ["a", "b", "c"]), positive: [0], negative: [], missingPositive: [], missingNegative: [],
            positiveTextSymbols: ["a", "b", nil])
        let plain = KnowledgeScoring.typeVectors([t], table: table, descriptions: nil)
        XCTAssertEqual(plain.values[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(plain.values[1], 0.8, accuracy: 1e-6)
        let described = KnowledgeScoring.typeVectors([t], table: table, descriptions: DenseMatrix(rowArrays: [[0, 1]]))
        XCTAssertEqual(described.values[0], 0.6 / Float(3.6).squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(described.values[1], 1.8 / Float(3.6).squareRoot(), accuracy: 1e-6)
    }

    /// Column (1, 2, 3): mean 2, population s.d. √(2/3). Combined at w = 0.25, then the softmax of the best.
    func testZScoresCombinationAndCall() {
        let zm = ZeroShotCombination.zScoredPerType(DenseMatrix(rowArrays: [[1, 5], [2, 5], [3, 5]]))
        let r = Float(1.5).squareRoot()
        for (a, b) in zip(zm.values, [-r, 0, 0, 0, r, 0]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let zk = DenseMatrix(rowArrays: [[0, 2], [0, 0], [1, -1]])
        let c = ZeroShotCombination.combined(marker: zm, knowledge: zk, weight: 0.25)
        for (a, b) in zip(c.values, [-0.75 * r, 0.5, 0, 0, 0.75 * r + 0.25, -0.25]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let (best, conf) = ZeroShotCombination.call(c)
        XCTAssertEqual(best, [1, 0, 0])  // cell 1 ties at 0: the lower index
        XCTAssertEqual(conf[1], 0.5, accuracy: 1e-9)
        XCTAssertEqual(conf[0], 1 / (1 + exp(Double(-0.75 * r) - 0.5)), accuracy: 1e-6)
    }

    /// A type whose positive markers are all missing is logged, listed as absent, never predicted, and its
    /// true cells count as errors.
    func testAbsentTypeIsReportedNotScoredZero() throws {
        let genes = ["A", "B", "C", "D"]
        let dense = DenseMatrix(rowArrays: [[5, 0, 1, 0], [0, 4, 0, 1], [3, 0, 2, 0], [0, 0, 0, 0]])
        let x = ExpressionMatrix(values: SparseMatrix(dense: dense), genes: genes, cells: ["c0", "c1", "c2", "c3"])
        let file = try MarkerFile.parse("type,positive\nTA,A\nTB,B\nGhost,Zzz;Yyy\n", path: "m.csv")
        var lines = [String]()
        var annotator = ZeroShotAnnotator()
        annotator.settings = CellEmbeddingSettings(topN: 2, weighting: .mean)
        annotator.topFraction = 0.5  // R = 2 of 4 genes: each cell's top gene counts
        let s = try annotator.score(x, markers: file, knowledge: Self.knowledge(genes), source: .random(dimension: 8, seed: 1), log: { lines.append($0) })
        XCTAssertEqual(s.absentTypes.map(\.type.name), ["Ghost"])
        XCTAssertEqual(s.candidateNames, ["TA", "TB"])
        XCTAssertTrue(lines.contains { $0.contains("'Ghost'") && $0.contains("line 4") && $0.contains("not scored") }, "\(lines)")
        let labels = s.call(weight: 0).labels
        XCTAssertFalse(labels.contains("Ghost"))
        XCTAssertEqual(Array(labels.prefix(3)), ["TA", "TB", "TA"])
        XCTAssertEqual(s.noSignal(x, weight: 0), [nil, nil, nil, "no counts"])
        let truth: [String?] = ["TA", "TB", "Ghost", nil]
        let m = try XCTUnwrap(s.metrics(labels: labels, truth: truth))
        XCTAssertEqual(m.accuracy, 2.0 / 3, accuracy: 1e-12)
        let report = ZeroShotReport(scores: s, truth: truth, weight: 0, topFraction: 0.05, markers: "m.csv")
        XCTAssertTrue(report.markdown().contains("| Ghost |  | Zzz, Yyy |  | absent: no positive marker in the data, not scored |"), report.markdown())
        XCTAssertTrue(report.markdown().contains("1 type(s) not scored"))
        XCTAssertTrue(report.insertingHTML(into: "<body>\n<footer>x</footer>").contains("<td>Ghost</td>"))
        // Fewer than two scorable types is an error naming the file.
        let one = try MarkerFile.parse("type,positive\nTA,A\nGhost,Zzz\n", path: "one.csv")
        XCTAssertThrowsError(try annotator.score(x, markers: one, knowledge: Self.knowledge(genes), source: .random(dimension: 8, seed: 1), log: { _ in })) {
            XCTAssertTrue("\($0)".contains("one.csv") && "\($0)".contains("only 1 of the 2"), "\($0)")
        }
    }

    func testMarkersMatchThroughTheGeneTextsAliases() throws {
        let knowledge = try GeneKnowledge.load(species: .mouse, housekeeping: .none)
        let file = try MarkerFile.parse("type,positive\nX,Fam19a4;Nonexistentgene1\nY,gad1\n", path: "m.csv")
        let m = file.matched(to: ["Tafa4", "Gad1"], knowledge: knowledge)
        XCTAssertEqual(m[0].positive, [0])
        XCTAssertEqual(m[0].missingPositive, ["Nonexistentgene1"])
        XCTAssertEqual(m[1].positive, [1])
    }

    func testWeightChoiceTakesTheBestMacroF1AndTheSmallerWeightOnTies() {
        typealias P = KnowledgeWeight.Point
        XCTAssertEqual(KnowledgeWeight.choose([P(weight: 0, accuracy: 0.9, macroF1: 0.5), P(weight: 0.5, accuracy: 0.1, macroF1: 0.6)]), 0.5)
        XCTAssertEqual(KnowledgeWeight.choose([P(weight: 0.7, accuracy: 0, macroF1: 0.6), P(weight: 0.2, accuracy: 0, macroF1: 0.6)]), 0.2)
        XCTAssertNil(KnowledgeWeight.choose([]))
        XCTAssertEqual(KnowledgeWeight.grid.count, 11)
    }

    /// The default weight is what GABA-6 alone chooses — its curve is computed on GABA-6's cells with GABA-6's
    /// six types — and those cells are not among the evaluation's (Romanov's other 27 types; pbmc68k is another
    /// dataset).
    func testDefaultWeightWasChosenOnGABA6AndNotOnTheEvaluationCells() throws {
        guard (try? ModelStore().resolve(ModelStore.defaultModelName)) != nil else { throw XCTSkip("all-MiniLM-L6-v2 is not installed (make models-debug)") }
        let gaba6 = Set(try String(contentsOfFile: Repository.data + "/subsets/romanov_gaba6.txt", encoding: .utf8).split(separator: "\n").map(String.init))
        var request = DatasetRequest(data: Repository.romanov)
        request.labels = Repository.romanov + "/cell_metadata.csv"
        let ds = try request.read(log: { _ in })
        let truth = try request.labels(of: ds, log: { _ in }).labels
        let selection = truth.indices.filter { truth[$0].map(gaba6.contains) ?? false }
        XCTAssertEqual(selection.count, 128)
        let all = try MarkerFile.load(path: Self.markers + "/romanov2017_hypothalamus.csv")
        let selectionFile = MarkerFile(path: all.path, types: all.types.filter { gaba6.contains($0.name) })
        let evaluationTypes = all.types.filter { !gaba6.contains($0.name) }.map(\.name)
        XCTAssertEqual(selectionFile.types.count, 6)
        XCTAssertEqual(evaluationTypes.count, 27)
        let evaluation = Set(truth.indices.filter { truth[$0].map(evaluationTypes.contains) ?? false })
        XCTAssertTrue(evaluation.isDisjoint(with: selection))
        let knowledge = try GeneKnowledge.load(species: .mouse, housekeeping: .none)
        var annotator = ZeroShotAnnotator()
        annotator.control = false
        let s = try annotator.score(
            ds.expression.selectingCells(selection), markers: selectionFile, knowledge: knowledge, source: .model(ModelStore.defaultModelName),
            log: { _ in })
        let curve = s.curve(truth: selection.map { truth[$0] })
        XCTAssertEqual(curve.count, KnowledgeWeight.grid.count)
        XCTAssertEqual(KnowledgeWeight.choose(curve), KnowledgeWeight.chosenOnGABA6, "GABA-6 curve: \(curve)")
        let t = try XCTUnwrap(s.fittedTemperature(weight: KnowledgeWeight.chosenOnGABA6, truth: selection.map { truth[$0] }))
        XCTAssertEqual(t, KnowledgeWeight.temperatureOnGABA6, accuracy: 1e-3 * t, "temperature fitted on GABA-6")
    }

    static func knowledge(_ genes: [String]) -> GeneKnowledge {
        GeneKnowledge(
            species: .human, texts: GeneTexts(symbols: genes, texts: genes.map { "text of \($0)" }), resolver: GeneSymbolResolver(), housekeeping: nil)
    }
}
