import XCTest
@testable import Lexicell

/// The paper's RGC reproduction as documented (README "Reproducing the paper's RGC experiment"), on a small file
/// in the layout of GEO GSE133382_AtlasRGCs_CountMatrix.csv.gz (`RGCTestFile`); the barcodes and labels are the
/// real bundled Tran 2019 atlas labels.
final class RGCReproductionTests: XCTestCase {
    func testSixClustersWithVulnerabilityGroupsFromGEOLayout() throws {
        setenv("LEXICELL_DATA", repoData, 1)
        let labelsPath = RGCTestFile.labelsPath
        let tran = try LabelTable.read(path: labelsPath, labelColumn: "Cluster")
        let clusters = try String(contentsOfFile: repoData + "/subsets/rgc_paper6.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let (path, geneCount) = try RGCTestFile.make()

        // The documented steps: read the GEO layout, join the atlas labels, select the six clusters, group them.
        let ds = try DatasetReader.read(path: path)
        XCTAssertEqual(ds.expression.cellCount, 72)
        XCTAssertEqual(ds.expression.geneCount, geneCount)
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
