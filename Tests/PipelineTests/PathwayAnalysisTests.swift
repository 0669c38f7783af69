import XCTest
@testable import Lexicell

final class PathwayAnalysisTests: XCTestCase {
    /// PBMC with Hallmark only and 200 permutations: one comparison per type and per group, CSVs written.
    func testSubtypesAndGroupsOnPBMCWriteMarkersAndPathways() throws {
        let ds = try DatasetReader.readH5AD(path: repoData + "/datasets/pbmc68k_reduced/pbmc68k_reduced.h5ad", matrix: .raw)
        let labels = ds.obs["bulk_labels"]!
        let groups = ["CD19+ B": "lymphoid", "CD56+ NK": "lymphoid", "CD14+ Monocyte": "myeloid", "Dendritic": "myeloid"]
        var settings = PathwaySettings()
        settings.permutations = 200
        settings.reportP = 1
        let hallmark = try PathwayAnalysis.collection(repoData + "/genesets/hallmark_human.gmt.gz", species: .human)
        let result = try PathwayAnalysis.run(expression: ds.expression, labels: labels, groups: groups, collections: [hallmark],
                                             resolver: GeneSymbolResolver(), settings: settings)
        XCTAssertEqual(result.comparisons.count, Set(labels).count + 2)
        let myeloid = try XCTUnwrap(result.comparisons.first { $0.group == "myeloid" })
        XCTAssertEqual(myeloid.comparison, "lymphoid")
        XCTAssertEqual(myeloid.markers.groupSize + myeloid.markers.referenceSize,
                       labels.filter { groups[$0] != nil }.count)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pathways-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try OutputFiles.write([("markers.csv", Data(result.markersCSV().utf8)), ("pathways.csv", Data(result.pathwaysCSV().utf8))],
                              to: OutputRequest(directory: dir), log: { _ in })
        let pathways = try String(contentsOfFile: dir + "/pathways.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(pathways.first, "group,comparison,collection,test,set_id,name,set_size,overlap,statistic,nes,p,fdr,leading_genes")
        XCTAssertTrue(pathways.contains { $0.hasPrefix("myeloid,lymphoid,hallmark_human,gsea,") })
        let markers = try String(contentsOfFile: dir + "/markers.csv", encoding: .utf8)
        XCTAssertTrue(markers.contains("\nCD19+ B,rest,CD79A,"))
        XCTAssertThrowsError(try PathwayAnalysis.collection("wikipathways", species: .human))
    }
}
