import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import LexicellPathways
import LexicellTestSupport
import XCTest
@testable import Lexicell

/// Where each `<table class="data">` starts, its body rows, and whether it lies inside a `<details>`.
func dataTables(_ html: String) -> [(offset: Int, rows: Int, folded: Bool)] {
    var out = [(offset: Int, rows: Int, folded: Bool)]()
    var depth = 0
    var i = html.startIndex
    while let lt = html[i...].firstIndex(of: "<") {
        let rest = html[lt...]
        if rest.hasPrefix("<details") {
            depth += 1
        } else if rest.hasPrefix("</details>") {
            depth -= 1
        } else if rest.hasPrefix("<table class=\"data\"") {
            let end = html.range(of: "</table>", range: lt..<html.endIndex)!
            let rows = html[lt..<end.lowerBound].components(separatedBy: "<tr").count - 2
            out.append((html.distance(from: html.startIndex, to: lt), rows, depth > 0))
        }
        i = html.index(after: lt)
    }
    return out
}

/// Offset of the first match of `s`, or Int.max.
func offset(of s: String, in html: String) -> Int {
    html.range(of: s).map { html.distance(from: html.startIndex, to: $0.lowerBound) } ?? .max
}

final class PathwayReportTests: XCTestCase {
    override func setUp() { setenv("LEXICELL_DATA", repoData, 1) }

    // MARK: Per-cell scores

    /// Hand case: 4 genes, top fraction 1 (R = 4); a cell [5, 0, 3, 1] ranks genes 0, 2, 3 first to third.
    /// Set {g0, g2}: (4 − 1 + 4 − 2) / (4 · 2) = 0.625. A member the data lack is left out ({g3, missing}:
    /// (4 − 3) / 4 = 0.25); a set with no member in the data scores 0.
    func testScorerHandCaseAndMissingGenes() {
        let sets = PathwayScoreSets(
            entries: [
                .init(collection: "c", id: "S:1", name: "one", group: "a", genes: ["g0", "g2"]),
                .init(collection: "c", id: "S 2", name: "two", group: "a", genes: ["g3", "missing"]),
                .init(collection: "c", id: "S3", name: "three", group: "b", genes: ["missing"]),
            ], topFraction: 1)
        let x = SparseMatrix(dense: DenseMatrix(rows: 1, cols: 4, values: [5, 0, 3, 1]))
        let s = sets.scorer(genes: ["g0", "g1", "g2", "g3"]).scores(x)
        XCTAssertEqual(s.values, [0.625, 0.25, 0])
        XCTAssertEqual(sets.obsNames, ["lexicell_pathway_S_1", "lexicell_pathway_S_2", "lexicell_pathway_S3"])
        let (obs, obsm) = sets.h5adColumns(scores: s)
        XCTAssertEqual(obs.map(\.0), sets.obsNames)
        XCTAssertEqual(obsm.0, "X_lexicell_pathways")
        XCTAssertEqual(obsm.1, s)
        XCTAssertEqual(
            sets.csvHeader + sets.csvRows(cells: ["c,1"], scores: s),
            "cell,lexicell_pathway_S_1,lexicell_pathway_S_2,lexicell_pathway_S3\n\"c,1\",0.625,0.25,0\n")
        // The same id in two collections: the collection tells them apart.
        let twice = PathwayScoreSets(entries: [
            .init(collection: "go_bp", id: "X", name: "x", group: "a", genes: []), .init(collection: "reactome", id: "X", name: "x", group: "a", genes: []),
        ])
        XCTAssertEqual(twice.obsNames, ["lexicell_pathway_X_go_bp", "lexicell_pathway_X_reactome"])
    }

    /// Romanov counts (300 cells), the 10 first Hallmark sets: scoring the cells in chunks gives exactly the rows of the
    /// whole matrix (what the streaming annotate relies on), and log-normalising first changes nothing (a
    /// cell's score depends only on the order of its own values).
    func testScoresPerChunkEqualWholeAndNeedNoNormalisation() throws {
        // 300 cells keep the debug-build test short; every cell is scored on its own anyway.
        let counts = try DatasetReader.read(path: repoData + "/datasets/romanov2017_hypothalamus_neurons").expression.selectingCells(Array(0..<300))
        let hallmark = try PathwayAnalysis.collection("hallmark", species: .mouse)
        let resolver = try GeneKnowledge.resolver(species: .mouse)
        let resolved = resolver.resolve(counts.genes, against: Set(hallmark.sets.flatMap(\.genes)))
        var map = [String: String]()
        for (g, s) in zip(counts.genes, resolved) { if let s { map[g] = s } }
        let matched = hallmark.matched(to: counts.genes, symbol: { map[$0] }, minSize: 15)
        let sets = PathwayScoreSets(
            entries: matched.sets.prefix(10).map {
                .init(collection: "hallmark", id: $0.id, name: $0.name, group: "-", genes: $0.genes.map { counts.genes[Int($0)] })
            })
        XCTAssertEqual(sets.entries.count, 10)
        let scorer = sets.scorer(genes: counts.genes)
        let whole = scorer.scores(counts)
        var stacked = [Float]()
        for start in stride(from: 0, to: counts.cellCount, by: 97) {
            let chunk = counts.values.selectingRows(start..<min(start + 97, counts.cellCount))
            stacked += scorer.scores(chunk).values
        }
        XCTAssertEqual(stacked, whole.values)
        let logged = scorer.scores(LogNormalization.log1pPerTarget(counts.values))
        XCTAssertEqual(zip(logged.values, whole.values).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-6)
        XCTAssertGreaterThan(whole.values.filter { $0 > 0 }.count, whole.values.count / 10, "the sets are expressed")
    }

    // MARK: pathways command

    func pbmcGroups() throws -> String {
        let dir = temporaryDirectory("pbmc-groups")
        let path = dir + "/groups.csv"
        try "subtype,group\nCD19+ B,lymphoid\nCD56+ NK,lymphoid\nCD14+ Monocyte,myeloid\nDendritic,myeloid\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `lexicell pathways` on PBMC (Hallmark, 200 permutations): every file, scores for every cell, and a
    /// report that opens with the answer, links each plotted set to its genes and folds the full tables.
    func testPathwaysRunWritesScoresAndReportAnswerFirst() throws {
        var request = DatasetRequest(data: repoData + "/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad")
        request.raw = true
        request.obsColumn = "bulk_labels"
        let out = temporaryDirectory("pathways-run") + "/out"
        var run = PathwaysRun(dataset: request, output: OutputRequest(directory: out))
        run.groups = try pbmcGroups()
        run.geneSets = ["hallmark"]
        run.settings.permutations = 200
        let summary = try run.run(log: { _ in })
        XCTAssertTrue(summary[0].hasPrefix("9 subtypes, each against the other subtypes (692 cells)"), summary[0])
        XCTAssertTrue(summary.contains { $0.hasPrefix("lymphoid vs myeloid (126 vs 369 cells): up in lymphoid") }, "\(summary)")
        for f in ["markers.csv", "pathways.csv", "group_pathways.csv", "pathway_scores.csv", "pathways.html"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        let groupRows = try String(contentsOfFile: out + "/group_pathways.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        XCTAssertFalse(groupRows.isEmpty)
        XCTAssertTrue(groupRows.allSatisfy { $0.hasPrefix("lymphoid,myeloid,") || $0.hasPrefix("myeloid,lymphoid,") })
        let scores = try String(contentsOfFile: out + "/pathway_scores.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(scores.count, 1 + 692)
        let header = scores[0].split(separator: ",")
        XCTAssertEqual(header.first, "cell")
        XCTAssertTrue(header.dropFirst().allSatisfy { $0.hasPrefix("lexicell_pathway_HALLMARK_") }, "\(header)")
        XCTAssertLessThanOrEqual(header.count - 1, 20)

        let html = try String(contentsOfFile: out + "/pathways.html", encoding: .utf8)
        XCTAssertNil(XMLCheck.parse(html), "pathways.html is well-formed")
        let answer = offset(of: "<div class=\"answer\"", in: html)
        XCTAssertLessThan(offset(of: ">Summary</h2>", in: html), answer)
        XCTAssertLessThan(answer, offset(of: "<figure", in: html))
        let tables = dataTables(html)
        XCTAssertLessThan(answer, tables[0].offset, "the answer comes before the first table")
        XCTAssertLessThan(offset(of: ">Top pathways per subtype</h2>", in: html), offset(of: ">Groups: lymphoid vs myeloid</h2>", in: html))
        XCTAssertLessThan(offset(of: ">Groups: lymphoid vs myeloid</h2>", in: html), offset(of: ">Every comparison</h2>", in: html))
        // Every comparison's table is folded; each plotted set links to the row listing its leading-edge genes.
        let every = offset(of: ">Every comparison</h2>", in: html)
        let late = tables.filter { $0.offset > every }
        XCTAssertEqual(late.count, 11, "9 subtypes + 2 groups")
        XCTAssertTrue(late.allSatisfy(\.folded))
        var links = 0
        for k in 0..<30 where html.contains("href=\"#pw-sub-\(k)\"") {
            XCTAssertTrue(html.contains("<tr id=\"pw-sub-\(k)\">"), "row pw-sub-\(k)")
            links += 1
        }
        XCTAssertGreaterThanOrEqual(links, 2, "PBMC Hallmark: 3 sets at FDR ≤ 0.25 among the subtypes' best two")
        XCTAssertTrue(html.contains(" genes</summary>"), "leading-edge genes are listed, folded")
        XCTAssertTrue(html.contains("Per-cell scores by label"))
        // A missing gene-set file is a clear error before anything is written.
        var bad = run
        bad.geneSets = ["/nonexistent/sets.gmt"]
        bad.output = OutputRequest(directory: out + "-bad")
        XCTAssertThrowsError(try bad.run(log: { _ in })) { XCTAssertTrue("\($0)".contains("/nonexistent/sets.gmt"), "\($0)") }
    }

    /// `--data OUT/annotated.h5ad --obs-column lexicell_label` runs on an `annotate` output: the predicted
    /// subtypes are the groups and Unassigned cells take part in nothing. The annotation report opens with
    /// its answer and folds the label table.
    func testPathwaysOnAnAnnotateOutputLeaveUnassignedOut() throws {
        let dir = RomanovBySample.directory
        let split = try RomanovBySample()
        let knowledge = try GeneKnowledge.load(species: .mouse)
        let bundle = try ReferenceTrainer().train(split.reference, knowledge: knowledge, source: .random(dimension: 128, seed: 0), log: { _ in })
        let tmp = temporaryDirectory("pathways-annotated")
        try bundle.write(to: tmp + "/ref")
        let cellsFile = tmp + "/query_cells.txt"
        try (split.query.cells.joined(separator: "\n") + "\n").write(toFile: cellsFile, atomically: true, encoding: .utf8)
        var query = DatasetRequest(data: dir)
        query.cellsFile = cellsFile
        query.labels = dir + "/cell_metadata.csv"
        var annotate = AnnotationRun(reference: tmp + "/ref", query: query, output: OutputRequest(directory: tmp + "/query"))
        annotate.umap = false
        // Random gene vectors are weak: a lower threshold keeps enough assigned cells per subtype (and some Unassigned).
        annotate.minConfidence = 0.3
        _ = try annotate.run(log: { _ in })

        // The annotation report: the answer first, the long label table folded.
        let report = try String(contentsOfFile: tmp + "/query/report.html", encoding: .utf8)
        XCTAssertNil(XMLCheck.parse(report))
        let answer = offset(of: "<div class=\"answer\"", in: report)
        XCTAssertTrue(report.contains("Unassigned ("), "the answer says how many cells are Unassigned")
        let tables = dataTables(report)
        XCTAssertLessThan(answer, tables.first!.offset)
        XCTAssertTrue(tables.filter { $0.rows >= 10 }.allSatisfy(\.folded), "\(tables)")

        // What annotate predicted, read back from the h5ad.
        let h5ad = tmp + "/query/annotated.h5ad"
        let predicted = try DatasetReader.read(path: h5ad).obs["lexicell_label"]!
        let unassigned = predicted.filter { $0 == LabelTable.unassigned }.count
        XCTAssertGreaterThan(unassigned, 0, "the test needs Unassigned cells")
        var counts = [String: Int]()
        for l in predicted where l != LabelTable.unassigned { counts[l, default: 0] += 1 }
        let kept = counts.filter { $0.value >= 10 }

        var request = DatasetRequest(data: h5ad)
        request.obsColumn = "lexicell_label"
        var run = PathwaysRun(dataset: request, output: OutputRequest(directory: tmp + "/pathways"))
        run.geneSets = ["hallmark"]
        run.settings.permutations = 100
        run.maxScoreSets = 6
        let summary = try run.run(log: { _ in })
        XCTAssertTrue(summary[0].contains("\(kept.values.reduce(0, +)) cells; \(unassigned) Unassigned cells left out"), summary[0])
        let markers = try String(contentsOfFile: tmp + "/pathways/markers.csv", encoding: .utf8)
        XCTAssertFalse(markers.contains("\nUnassigned,"))
        let scores = try String(contentsOfFile: tmp + "/pathways/pathway_scores.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(scores.count, 1 + kept.values.reduce(0, +))
    }

    /// What annotate gets to call: the reading of an annotation's predicted labels, scores for every query cell
    /// (equal when computed chunk by chunk, as a streaming run would), obs columns that round-trip through an
    /// h5ad, and an annotation report that opens with the answer and paints the scores on the UMAP.
    func testAnnotationPathwaysScoresH5ADAndReport() throws {
        let split = try RomanovBySample()
        let query = split.query
        let knowledge = try GeneKnowledge.load(species: .mouse)
        let bundle = try ReferenceTrainer().train(split.reference, knowledge: knowledge, source: .random(dimension: 128, seed: 0), log: { _ in })
        var annotator = Annotator()
        annotator.minConfidence = 0.3
        let a = try annotator.annotate(query, querySpecies: .mouse, with: bundle, knowledge: knowledge, orthologs: nil, log: { _ in })

        var settings = PathwaySettings()
        settings.permutations = 100
        let pathways = try PathwayReport.annotation(
            expression: query, labels: a.labels, groups: nil, species: .mouse, geneSets: ["hallmark"], settings: settings, maxScoreSets: 4)
        let sets = try XCTUnwrap(pathways.scoreSets)
        let scores = try XCTUnwrap(pathways.scores)
        XCTAssertEqual(scores.rows, query.cellCount)
        XCTAssertEqual(scores.cols, sets.entries.count)
        XCTAssertLessThanOrEqual(sets.entries.count, 4)
        XCTAssertEqual(pathways.unassignedCells, a.labels.filter { $0 == Annotation.unassigned }.count)
        XCTAssertFalse(pathways.analysis.comparisons.contains { $0.group == Annotation.unassigned })
        let scorer = sets.scorer(genes: query.genes)
        var stacked = [Float]()
        for start in stride(from: 0, to: query.cellCount, by: 50) {
            stacked += scorer.scores(query.values.selectingRows(start..<min(start + 50, query.cellCount))).values
        }
        XCTAssertEqual(stacked, scores.values)

        let (obs, obsm) = sets.h5adColumns(scores: scores)
        let path = temporaryDirectory("pathway-h5ad") + "/annotated.h5ad"
        try H5ADWriter.write(path: path, expression: query, cells: query.cells, genes: query.genes, obs: obs, obsm: [obsm])
        let back = try DatasetReader.read(path: path)
        for (j, name) in sets.obsNames.enumerated() {
            let column = try XCTUnwrap(back.obs[name], name)
            XCTAssertEqual(column.map { Float($0)! }, (0..<scores.rows).map { scores[$0, j] })
        }

        // The report: the answer (with the pathway lines) first, then the key figures with the score panels.
        let layout = DenseMatrix(rowArrays: (0..<a.embeddings.rows).map { [a.embeddings[$0, 0], a.embeddings[$0, 1]] })
        let summary = TransferSummary(annotation: a, truth: split.queryTruth, classNames: split.reference.classNames, groups: nil)
        let html = summary.report(
            layout: layout, layoutCells: Array(0..<query.cellCount), source: "query", reference: "reference", pathways: pathways)
        XCTAssertNil(XMLCheck.parse(html))
        let answer = offset(of: "<div class=\"answer\"", in: html)
        XCTAssertLessThan(offset(of: ">Summary</h2>", in: html), answer)
        XCTAssertLessThan(answer, dataTables(html).first!.offset)
        XCTAssertLessThan(answer, offset(of: "subtypes have a set enriched at FDR", in: html), "the pathway lines are in the answer")
        XCTAssertLessThan(offset(of: "subtypes have a set enriched at FDR", in: html), offset(of: "</div>", in: html))
        XCTAssertLessThan(offset(of: ">Top pathways per subtype</h2>", in: html), offset(of: ">Labels</h2>", in: html))
        XCTAssertTrue(html.contains("Pathway scores on the UMAP"))
        XCTAssertTrue(dataTables(html).filter { $0.rows >= 10 && $0.offset > offset(of: ">Labels</h2>", in: html) }.allSatisfy(\.folded))
    }

    // MARK: The paper's reading

    /// scripts/rgc_vulnerability.sh in-process on the GEO-layout test file (`RGCTestFile`): the six clusters
    /// one against the other five, and susceptible (28, 35, 36) against resilient (22, 33, 43). The script runs
    /// all four mouse collections with 1,000 permutations; here Hallmark and WikiPathways with 200, for time.
    func testRGCVulnerabilityRecipeOnGEOLayout() throws {
        let script = try String(contentsOfFile: Repository.root + "/scripts/rgc_vulnerability.sh", encoding: .utf8)
        for part in [
            "pathways --data \"$DATA\"", "tran2019_rgc_atlas_cell_labels.tsv.gz\" --label-column Cluster", "--species mouse",
            "--classes-file \"$ROOT/data/subsets/rgc_paper6.txt\"", "--groups \"$ROOT/data/subsets/rgc_vulnerability_groups.csv\"", "group_pathways.csv",
        ] {
            XCTAssertTrue(script.contains(part), "the script and this test drifted apart: \(part)")
        }
        let (path, _) = try RGCTestFile.make()
        var request = DatasetRequest(data: path)
        request.labels = RGCTestFile.labelsPath
        request.labelColumn = "Cluster"
        request.classesFile = repoData + "/subsets/rgc_paper6.txt"
        let out = temporaryDirectory("rgc-vulnerability") + "/out"
        var run = PathwaysRun(dataset: request, output: OutputRequest(directory: out))
        run.species = .mouse
        run.groups = repoData + "/subsets/rgc_vulnerability_groups.csv"
        run.geneSets = ["hallmark", "wikipathways"]
        run.settings.permutations = 200
        run.settings.reportP = 1
        let summary = try run.run(log: { _ in })
        XCTAssertTrue(summary[0].hasPrefix("6 subtypes, each against the other subtypes (72 cells)"), summary[0])
        XCTAssertTrue(summary[1].hasPrefix("susceptible vs resilient (36 vs 36 cells): up in susceptible"), summary[1])
        let rows = try String(contentsOfFile: out + "/group_pathways.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows[0], "group,comparison,collection,test,set_id,name,set_size,overlap,statistic,nes,p,fdr,leading_genes")
        let body = rows.dropFirst()
        XCTAssertTrue(body.contains { $0.hasPrefix("susceptible,resilient,hallmark,gsea,") })
        XCTAssertTrue(body.contains { $0.hasPrefix("susceptible,resilient,wikipathways,gsea,") })
        XCTAssertTrue(body.allSatisfy { $0.hasPrefix("susceptible,resilient,") || $0.hasPrefix("resilient,susceptible,") })
        // With two groups the comparisons mirror each other: the same set has opposite NES.
        func nes(_ group: String, _ id: String) -> Double? {
            body.first { $0.hasPrefix("\(group),") && $0.contains(",gsea,\(id),") }.flatMap { Double($0.split(separator: ",")[9]) }
        }
        let id = "HALLMARK_OXIDATIVE_PHOSPHORYLATION"
        let a = try XCTUnwrap(nes("susceptible", id)), b = try XCTUnwrap(nes("resilient", id))
        XCTAssertNotEqual(a.sign, b.sign, "\(a) vs \(b)")
        let html = try String(contentsOfFile: out + "/pathways.html", encoding: .utf8)
        XCTAssertTrue(html.contains(">Groups: susceptible vs resilient</h2>"))
        XCTAssertNil(XMLCheck.parse(html))
    }
}

/// Parses `s` as XML; returns the error, or nil when well-formed.
enum XMLCheck {
    static func parse(_ s: String) -> String? {
        let parser = XMLParser(data: Data(s.utf8))
        return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)"
    }
}
