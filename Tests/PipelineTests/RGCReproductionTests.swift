import XCTest
@testable import Lexicell

/// The paper's RGC reproduction as documented (README "Reproducing the paper's RGC experiment"), on a small file
/// in the layout of GEO GSE133382_AtlasRGCs_CountMatrix.csv.gz (genes × cells, first column gene symbols, header of
/// cell barcodes), made from real Romanov counts; the barcodes and labels are the real bundled Tran 2019 atlas labels.
final class RGCReproductionTests: XCTestCase {
    func testSixClustersWithVulnerabilityGroupsFromGEOLayout() throws {
        setenv("LEXICELL_DATA", repoData, 1)
        let labelsPath = repoData + "/datasets/tran2019_rgc_atlas_labels/tran2019_rgc_atlas_cell_labels.tsv.gz"
        let tran = try LabelTable.read(path: labelsPath, labelColumn: "Cluster")
        let clusters = try String(contentsOfFile: repoData + "/subsets/rgc_paper6.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        // 12 real barcodes from each of the six clusters.
        var barcodes = [String]()
        for c in clusters { barcodes += tran.barcodes.indices.filter { tran.labels[$0] == c }.prefix(12).map { tran.barcodes[$0] } }
        // Their columns: counts of 72 real Romanov cells from six types, so the classes carry real structure.
        let romanov = try DatasetReader.read(path: repoData + "/datasets/romanov2017_hypothalamus_neurons")
        let meta = try LabelTable.read(path: repoData + "/datasets/romanov2017_hypothalamus_neurons/cell_metadata.csv", labelColumn: "Author_CellType")
            .join(cells: romanov.expression.cells, file: "romanov")
        let types = [
            "Neurons_GABA 5 (Calcr, Lhx1)", "Neurons_GABA 7 (Pomc+/-)", "Neurons_Trh 1 (low)", "Neurons_GABA 11 (Nts 1)",
            "Neurons_Hmit+/-", "Neurons_GABA 13 (Galanin)",
        ]
        var source = [Int]()
        for t in types { source += romanov.expression.cells.indices.filter { meta.labels[$0] == t }.prefix(12) }
        XCTAssertEqual(source.count, 72)
        let x = romanov.expression.values.selectingRows(source).toDense()
        let keepGenes = (0..<x.cols).filter { g in (0..<x.rows).contains { x[$0, g] > 0 } }
        var csv = "\"\"," + barcodes.map { "\"\($0)\"" }.joined(separator: ",") + "\n"
        for g in keepGenes {
            csv += "\"\(romanov.expression.genes[g])\"," + (0..<x.rows).map { String(Int(x[$0, g])) }.joined(separator: ",") + "\n"
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lexicell-rgc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/GSE133382_AtlasRGCs_CountMatrix_small.csv.gz"
        try Data(FileData.gzip(Array(csv.utf8))).write(to: URL(fileURLWithPath: path))

        // The documented steps: read the GEO layout, join the atlas labels, select the six clusters, group them.
        let ds = try DatasetReader.read(path: path)
        XCTAssertEqual(ds.expression.cellCount, 72)
        XCTAssertEqual(ds.expression.geneCount, keepGenes.count)
        let join = try tran.join(cells: ds.expression.cells, file: path)
        XCTAssertEqual(join.matched, 72)
        let d = try LabelledDataset(expression: ds.expression, labels: join.labels, classes: clusters)
        XCTAssertEqual(d.classSizes, [12, 12, 12, 12, 12, 12])
        let groups = try GroupMap.load(path: repoData + "/subsets/rgc_vulnerability_groups.csv")
        XCTAssertEqual(Set(clusters.map(groups.group)), ["susceptible", "resilient"])
        let knowledge = try GeneKnowledge.load(species: .mouse)
        var plan = MethodPlan(specs: ["pca", "random"], models: [])
        plan.randomDimension = 64
        var timings = [String: Double]()
        let methods = try plan.methods(dataset: d, knowledge: knowledge, log: { _ in }, timings: &timings)
        let results = try EvaluationRunner(seeds: [0, 1]).run(d, methods: methods)
        XCTAssertEqual(results.map(\.summary.method), ["expression PCA", "random top-20 mean"])
        let md = GroupSummary.markdown(results, classNames: d.classNames, groups: groups)
        XCTAssertTrue(md.contains("recall resilient") && md.contains("recall susceptible"), md)
        // Group accuracy is at least subtype accuracy: a right subtype is always a right group.
        for r in results {
            let g = GroupSummary.metrics(r, classNames: d.classNames, groups: groups)
            for (gm, s) in zip(g, r.splits) { XCTAssertGreaterThanOrEqual(gm.accuracy, s.metrics.accuracy) }
        }
    }
}
