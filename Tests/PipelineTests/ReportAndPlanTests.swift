import XCTest
#if canImport(FoundationXML)
    import FoundationXML
#endif
@testable import Lexicell

final class ReportAndPlanTests: XCTestCase {
    /// A small real evaluation (Romanov GABA-6 subset, random genes) rendered to HTML: every section is there and
    /// every inline SVG is well-formed XML.
    func testEvaluationReportHasEverySectionAndWellFormedSVG() throws {
        setenv("LEXICELL_DATA", repoData, 1)
        let dir = repoData + "/datasets/romanov2017_hypothalamus_neurons"
        let ds = try DatasetReader.read(path: dir)
        let join = try LabelTable.read(path: dir + "/cell_metadata.csv", labelColumn: "Author_CellType").join(cells: ds.expression.cells, file: dir)
        let classes = try String(contentsOfFile: repoData + "/subsets/romanov_gaba6.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let d = try LabelledDataset(expression: ds.expression, labels: join.labels, classes: classes)
        XCTAssertEqual(d.classSizes.sorted(), [13, 18, 21, 23, 25, 28])
        let k = try GeneKnowledge.load(species: .mouse)
        let needed = TextEmbeddingStage(knowledge: k).neededSymbols(d.expression)
        let cells = TextCellEmbeddings(
            expression: d.expression, labels: d.labelNames,
            table: try GeneEmbeddingTable.random(symbols: needed, dimension: 64, seed: 1),
            knowledge: k, settings: CellEmbeddingSettings())
        let methods: [EvaluationMethod] = [
            KNNMethod(FixedRepresentation(name: "random", matrix: cells.allGenes)),
            GraphClusterMethod(ExpressionRepresentation(name: "expression PCA", kind: .pcs, features: ExpressionFeatures(expression: d.expression))),
        ]
        let results = try EvaluationRunner(seeds: [0, 1]).run(d, methods: methods)
        let doc = EvaluationDocument(
            dataset: d, source: dir,
            parameters: RunParameters(
                methods: ["random"], seeds: [0, 1], cellEmbedding: CellEmbeddingSettings(), evaluation: EvaluationProtocol(),
                selection: SelectionSettings(), knowledge: k), coverage: cells.coverage,
            kGrid: EvaluationProtocol().kGrid, methods: results)
        var builder = EvaluationReport()
        builder.umap.nEpochs = 50
        let html = builder.render(doc, layouts: try builder.layouts(doc), labelNames: d.labelNames)
        for section in ["Summary", "Dataset", "Gene-text coverage", "Parameters", "Metrics", "Per class: random", "UMAP"] {
            XCTAssertTrue(html.contains(">\(section)</h2>"), "missing section \(section)")
        }
        // The answer first: the summary opens the report, before any table; the key figures follow it; every
        // per-class table (one row per class) is folded.
        XCTAssertEqual(offset(of: "<h2", in: html), offset(of: "<h2 id=\"s1\">Summary</h2>", in: html))
        let answer = offset(of: "<div class=\"answer\"", in: html)
        let tables = dataTables(html)
        XCTAssertLessThan(answer, tables[0].offset)
        XCTAssertLessThan(answer, offset(of: "<figure", in: html))
        XCTAssertLessThan(offset(of: "Confusion matrix: ", in: html), tables[0].offset, "the best method's confusion matrix is a key figure")
        XCTAssertLessThan(offset(of: ">Summary</h2>", in: html), offset(of: ">Metrics</h2>", in: html))
        let long = tables.filter { $0.rows >= d.classNames.count }
        XCTAssertGreaterThanOrEqual(long.count, 4, "classes, coverage, 2 × per class")
        XCTAssertTrue(long.allSatisfy(\.folded), "\(tables)")
        let lines = EvaluationHeadline(doc).lines()
        let best = results.max { $0.summary.accuracy.mean < $1.summary.accuracy.mean }!.summary.method
        XCTAssertTrue(lines[1].hasPrefix("Best: \(best) (accuracy "), lines[1])
        XCTAssertTrue(lines.contains { $0.contains("random-gene control random") }, "\(lines)")
        XCTAssertTrue(lines.last!.contains("Unassigned"), lines.last!)
        for l in lines.dropFirst() { XCTAssertTrue(doc.markdown().contains("- " + l), "summary.md opens with the answer too") }
        var rest = Substring(html)
        var count = 0
        while let start = rest.range(of: "<svg"), let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex) {
            let svg = String(rest[start.lowerBound..<end.upperBound])
            let parser = XMLParser(data: Data(svg.utf8))
            XCTAssertTrue(parser.parse(), "SVG \(count) is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
            count += 1
            rest = rest[end.upperBound...]
        }
        // bars ×2, k sweep, 2 confusion matrices, UMAP scatter ×2 methods, 2 predicted/correct pairs.
        XCTAssertGreaterThanOrEqual(count, 11)
        // The JSON document round-trips through a decoder.
        let json = try doc.json()
        let obj = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        XCTAssertNotNil(obj?["methods"])
    }

    func testBenchmarkSpecsAreCheckedWithClearErrors() {
        XCTAssertThrowsError(try MethodSpec.parse("pcaa")) { XCTAssertTrue("\($0)".contains("unknown method 'pcaa'"), "\($0)") }
        XCTAssertThrowsError(try MethodSpec.parse("graph+supcon")) { XCTAssertTrue("\($0)".contains("+supcon applies to"), "\($0)") }
        XCTAssertThrowsError(try MethodSpec.parse("text/sum")) { XCTAssertTrue("\($0)".contains("unknown weighting"), "\($0)") }
        let s = try? MethodSpec.parse("random/genept-w+supcon")
        XCTAssertEqual(s?.base, "random")
        XCTAssertEqual(s?.weighting, .genePTw)
        XCTAssertEqual(s?.refine, true)
    }

    func testPairedComparisonCountsWinsPerSeed() throws {
        func result(_ name: String, _ accs: [Double]) -> EvaluationRunner.MethodResult {
            let splits = accs.enumerated().map { (i, a) -> SplitResult in
                // 10 test cells, round(a·10) correct.
                let correct = Int((a * 10).rounded())
                let truth = [Int](repeating: 0, count: 10) + [1]
                let pred = (0..<10).map { $0 < correct ? 0 : 1 } + [1]
                return SplitResult(
                    seed: UInt64(i), metrics: ClassificationMetrics(truth: truth, predicted: pred, classNames: ["a", "b"]),
                    trainCount: 1, test: Array(0..<11), truth: truth, predicted: pred, confidence: [], seconds: 0)
            }
            return EvaluationRunner.MethodResult(summary: MethodSummary(method: name, splits: splits), splits: splits)
        }
        let p = PairedComparison(method: result("m", [0.5, 0.7, 0.6]), reference: result("r", [0.5, 0.6, 0.7]))
        XCTAssertEqual(p.wins, 1)
        XCTAssertEqual(p.ties, 1)
        XCTAssertEqual(p.losses, 1)
        XCTAssertEqual(p.accuracyDifferences[1], 1.0 / 11, accuracy: 1e-12)
    }
}
