import ArgumentParser
import Foundation
import Lexicell
import LexicellText
import LexicellTestSupport
import XCTest

@testable import LexicellCLI

/// `annotate --markers`: exactly one of --reference and --markers, checked before any data is read; and one
/// zero-shot run end to end on the bundled pbmc68k.
final class AnnotateMarkersTests: XCTestCase {
    static let pbmc = Repository.pbmc + "/pbmc68k_reduced.h5ad"
    static let markers = Repository.data + "/markers/pbmc68k_reduced.csv"

    func testMarkersAndReferenceAreExclusive() throws {
        let query = ["--data", Self.pbmc, "--raw"]
        XCTAssertTrue(refusal(["annotate"] + query).contains("exactly one of --reference DIR and --markers FILE"))
        XCTAssertTrue(refusal(["annotate", "--markers", Self.markers, "--reference", Repository.romanov] + query).contains("exactly one of"))
        XCTAssertTrue(refusal(["annotate", "--markers", "/nonexistent/m.csv"] + query).contains("--markers /nonexistent/m.csv"))
        XCTAssertTrue(refusal(["annotate", "--markers", Self.markers, "--knowledge-weight", "1.5"] + query).contains("--knowledge-weight"))
        let a = try XCTUnwrap(try LexicellCommand.parseAsRoot(["annotate", "--markers", Self.markers] + query) as? Annotate)
        XCTAssertEqual(a.markers, Self.markers)
        XCTAssertNil(a.reference)
        XCTAssertEqual(a.knowledgeWeight, KnowledgeWeight.chosenOnGABA6)
        let r = try XCTUnwrap(try LexicellCommand.parseAsRoot(["annotate", "--reference", Repository.romanov] + query) as? Annotate)
        XCTAssertNil(r.markers)
    }

    /// pbmc68k's 10 classes: zero-shot must be far above chance (0.1 uniform; 0.343 always saying the largest
    /// class, Dendritic); it measured 0.483 at the default weight.
    func testAnnotateWithMarkersOnPBMCEndToEnd() throws {
        guard (try? ModelStore().resolve(ModelStore.defaultModelName)) != nil else { throw XCTSkip("all-MiniLM-L6-v2 is not installed (make models-debug)") }
        let dir = temporaryDirectory("zeroshot")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out"
        var command = try XCTUnwrap(
            try LexicellCommand.parseAsRoot([
                "annotate", "--markers", Self.markers, "--data", Self.pbmc, "--raw", "--obs-column", "bulk_labels", "--out", out, "--no-umap",
            ]) as? Annotate)
        try command.validate()
        try command.run()
        for f in ["predictions.csv", "summary.md", "report.html", "annotated.h5ad", "zeroshot.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        let rows = try String(contentsOfFile: out + "/predictions.csv", encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        XCTAssertEqual(rows[0].joined(separator: ","), "cell,predicted_label,best_label,confidence,mean_similarity,reason,true_label,correct")
        XCTAssertEqual(rows.count, 701)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/zeroshot.json"))) as! [String: Any]
        let modes = json["modes"] as! [[String: Any]]
        let combined = try XCTUnwrap(modes.first { $0["mode"] as? String == "combined" })
        XCTAssertEqual(combined["cells"] as? Int, 700)
        let accuracy = try XCTUnwrap(combined["accuracy"] as? Double)
        XCTAssertGreaterThan(accuracy, 0.42, "combined zero-shot accuracy on pbmc68k")
        XCTAssertEqual(
            modes.map { $0["mode"] as! String },
            ["marker-only", "marker-only, raw AUC", "knowledge-only", "combined", "random-vector knowledge-only", "random-vector combined"])
        let summary = try String(contentsOfFile: out + "/summary.md", encoding: .utf8)
        XCTAssertTrue(summary.contains("## Zero-shot scoring") && summary.contains("| CD34+ |"), summary)
    }
}
