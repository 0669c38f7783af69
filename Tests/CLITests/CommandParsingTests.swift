import ArgumentParser
import Foundation
import Lexicell
@testable import LexicellCLI
import LexicellTestSupport
import XCTest

/// The command line parsed and validated in-process, as swift-argument-parser's own end-to-end tests do: every
/// check runs before any data is read (the data paths exist but are never opened here).
/// The parse error's message (what the tool prints), or a failure when the arguments were accepted.
func refusal(_ args: [String], file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
        _ = try LexicellCommand.parseAsRoot(args)
        XCTFail("accepted: \(args.joined(separator: " "))", file: file, line: line)
        return ""
    } catch {
        return LexicellCommand.message(for: error)
    }
}

final class CommandParsingTests: XCTestCase {
    static let romanov = Repository.romanov
    let base = ["--data", romanov, "--labels", romanov + "/cell_metadata.csv"]

    func parse<T: ParsableCommand>(_ type: T.Type, _ args: [String]) throws -> T {
        let command = try LexicellCommand.parseAsRoot(args)
        return try XCTUnwrap(command as? T, "parsed \(Swift.type(of: command)), expected \(T.self)")
    }

    func testEvaluateDefaultsComeFromTheLibrary() throws {
        let e = try parse(Evaluate.self, ["evaluate"] + base)
        let request = e.embeddingOptions.request
        XCTAssertEqual(request.settings, CellEmbeddingSettings())
        XCTAssertEqual(request.settings.topN, CellEmbeddingSettings.defaultTopN)
        XCTAssertEqual(request.randomDimension, GeneTableSource.defaultRandomDimension)
        XCTAssertEqual(e.protocolOptions.evaluation.kGrid, HeadGrids.defaultKGrid)
        XCTAssertEqual(e.protocolOptions.seedList, [0, 1, 2, 3, 4])
        XCTAssertEqual(e.dataOptions.request.data, Self.romanov)
        XCTAssertEqual(e.dataOptions.request.minCellsPerClass, 10)
        XCTAssertEqual(e.geneOptions.request.species, .auto)
        XCTAssertEqual(e.geneOptions.request.housekeeping, .bundled(.hrt))
        XCTAssertEqual(e.methodOptions.selection.calibration, .auto)
        XCTAssertFalse(e.refine)
    }

    func testTypedOptionsReachTheLibrary() throws {
        let e = try parse(
            Evaluate.self,
            ["evaluate"] + base + [
                "--top-n", "7", "--weighting", "genept-w", "--species", "mouse", "--housekeeping", "none", "--orientation", "cells-by-genes",
                "--calibration", "platt", "--class-weight", "balanced", "--min-confidence", "0.4", "--k-grid", "3,5", "--seeds", "2",
                "--seed", "10", "--method", "hvg:svm", "--refine", "--max-epochs", "3",
            ])
        XCTAssertEqual(e.embeddingOptions.request.settings, CellEmbeddingSettings(topN: 7, weighting: .genePTw))
        XCTAssertEqual(e.geneOptions.request.species, .mouse)
        XCTAssertEqual(e.geneOptions.request.housekeeping, .bundled(.none))
        XCTAssertEqual(e.dataOptions.request.orientation, .cellsByGenes)
        let s = e.methodOptions.selection
        XCTAssertEqual(s.calibration, .platt)
        XCTAssertEqual(s.classWeight, .balanced)
        XCTAssertEqual(s.minConfidence, 0.4)
        XCTAssertEqual(e.protocolOptions.evaluation.kGrid, [3, 5])
        XCTAssertEqual(e.protocolOptions.seedList, [10, 11])
        XCTAssertEqual(e.methodOptions.methods, ["hvg:svm"])
        XCTAssertTrue(e.refine)
        XCTAssertEqual(e.refineOptions.settings.maxEpochs, 3)
    }

    /// `pathways` on an annotate output: --data annotated.h5ad --obs-column lexicell_label; its own options
    /// are checked before reading.
    func testPathwaysOptions() throws {
        let h5ad = Repository.pbmc + "/pbmc68k_reduced.h5ad"
        let p = try parse(Pathways.self, ["pathways", "--data", h5ad, "--obs-column", "lexicell_label", "--score-sets", "5", "--no-report", "--out", "o"])
        XCTAssertEqual(p.dataOptions.request.obsColumn, "lexicell_label")
        XCTAssertEqual(p.scoreSets, 5)
        XCTAssertFalse(p.report)
        XCTAssertTrue(refusal(["pathways", "--data", h5ad, "--obs-column", "x", "--score-sets=-1", "--out", "o"]).contains("--score-sets must be at least 0"))
        XCTAssertTrue(refusal(["pathways", "--data", h5ad, "--out", "o"]).contains("--obs-column"))
    }

    func testNonPositiveSizesAreRefusedBeforeReading() {
        XCTAssertTrue(refusal(["evaluate"] + base + ["--top-n", "0"]).contains("--top-n must be at least 1"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--top-n", "-1"]).contains("--top-n"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--random-dimension", "0"]).contains("--random-dimension must be between 1 and 65536"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--random-dimension=-5"]).contains("--random-dimension"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--k-grid", "0,4"]).contains("--k-grid must list positive integers"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--folds", "1"]).contains("--folds must be at least 2"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--seeds", "0"]).contains("--seeds must be between 1 and 10000"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--min-cells-per-class", "0"]).contains("--min-cells-per-class"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--batch-size", "1"]).contains("--batch-size must be at least 2"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--temperature", "0"]).contains("--temperature must be a positive number"))
        XCTAssertTrue(refusal(["embed-genes", "--species", "mouse", "--top-n", "0", "--out", "x.lxge"]).contains("--top-n"))
    }

    /// auto's selection subsample and the PCA solver reach the library; bad values stop before reading.
    func testSelectionSampleAndPCASolverOptions() throws {
        let d = try parse(Evaluate.self, ["evaluate"] + base)
        XCTAssertEqual(d.methodOptions.selection.selectionSample, SelectionSample())
        XCTAssertNil(d.dataOptions.request.pcaSolver)
        let t = try parse(
            Train.self,
            ["train"] + base + ["--selection-cells", "3000", "--selection-per-class", "100", "--pca-solver", "randomized", "--out", "b"])
        XCTAssertEqual(t.methodOptions.selection.selectionSample, SelectionSample(perClass: 100, total: 3000))
        XCTAssertEqual(t.dataOptions.request.pcaSolver, .randomized)
        let all = try parse(Evaluate.self, ["evaluate"] + base + ["--selection-cells", "0", "--selection-per-class", "0"])
        XCTAssertEqual(all.methodOptions.selection.selectionSample, .all)
        XCTAssertTrue(refusal(["evaluate"] + base + ["--selection-cells=-1"]).contains("--selection-cells"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--selection-per-class", "1"]).contains("--selection-per-class"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--pca-solver", "fast"]).contains("fast"))
        // Repeated cross-validation reaches the selecting methods; 0 or more than 10 repetitions are refused.
        XCTAssertEqual(d.methodOptions.selection.cvRepeats, SelectedMethod.defaultCVRepeats)
        let repeated = try parse(Train.self, ["train"] + base + ["--cv-repeats", "2", "--out", "b"])
        XCTAssertEqual(repeated.methodOptions.selection.method(name: "auto", candidates: []).cvRepeats, 2)
        XCTAssertTrue(refusal(["evaluate"] + base + ["--cv-repeats", "0"]).contains("--cv-repeats"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--cv-repeats", "11"]).contains("--cv-repeats"))
        // The LR grid: default HeadGrids', one value fixes C; anything not a positive number is refused.
        XCTAssertEqual(d.methodOptions.selection.grids.logisticC, HeadGrids().logisticC)
        XCTAssertEqual(repeated.methodOptions.selection.grids.logisticC, HeadGrids().logisticC)
        let fixed = try parse(Evaluate.self, ["evaluate"] + base + ["--lr-c-grid", "1"])
        XCTAssertEqual(fixed.methodOptions.selection.method(name: "auto", candidates: []).grids.logisticC, [1])
        XCTAssertEqual(try parse(Evaluate.self, ["evaluate"] + base + ["--lr-c-grid", "0.1, 3e1"]).methodOptions.selection.grids.logisticC, [0.1, 30])
        for bad in ["0", "1,,3", "x", "-1", "inf"] {
            XCTAssertTrue(refusal(["evaluate"] + base + ["--lr-c-grid=\(bad)"]).contains("--lr-c-grid"), bad)
        }
        // The HVG count reaches the expression baseline of every run that fits one.
        XCTAssertEqual(d.dataOptions.request.expressionConfiguration.nTopGenes, 2000)
        let fewer = try parse(Train.self, ["train"] + base + ["--n-top-genes", "500", "--out", "b"])
        XCTAssertEqual(fewer.dataOptions.request.expressionConfiguration.nTopGenes, 500)
        XCTAssertTrue(refusal(["evaluate"] + base + ["--n-top-genes", "0"]).contains("--n-top-genes"))
    }

    func testSeedRangeCannotOverflow() {
        let message = refusal(["evaluate"] + base + ["--seed", "18446744073709551615", "--seeds", "2"])
        XCTAssertTrue(message.contains("runs past the largest seed"), message)
        XCTAssertNoThrow(try LexicellCommand.parseAsRoot(["evaluate"] + base + ["--seed", "18446744073709551615", "--seeds", "1"]))
    }

    func testEnumeratedValuesAreCheckedWhileParsing() {
        // `annotate --species mose` used to guess silently.
        let species = refusal(["annotate", "--reference", Self.romanov, "--data", Self.romanov, "--species", "mose"])
        XCTAssertTrue(species.contains("mose"), species)
        XCTAssertTrue(refusal(["evaluate"] + base + ["--weighting", "sum"]).contains("sum"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--orientation", "sideways"]).contains("sideways"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--calibration", "magic"]).contains("magic"))
        XCTAssertTrue(refusal(["evaluate"] + base + ["--class-weight", "heavy"]).contains("heavy"))
        XCTAssertTrue(refusal(["umap", "--input", Self.romanov + "/cell_metadata.csv", "--out", "y.csv", "--metric", "manhattan"]).contains("manhattan"))
    }

    func testMethodSpecsAreCheckedBeforeReading() {
        let m = refusal(["evaluate"] + base + ["--method", "pcaa"])
        XCTAssertTrue(m.contains("unknown method 'pcaa'"), m)
        XCTAssertTrue(refusal(["benchmark"] + base + ["--method", "graph+supcon"]).contains("+supcon applies to"))
    }

    func testTrainTakesEverySpecABundleCanStore() throws {
        for spec in ["auto", "paper", "text", "text/weighted", "text+supcon", "random", "hvg:lr", "hvg:svm", "pca:knn", "pca:lr", "hvg"] {
            let t = try parse(Train.self, ["train"] + base + ["--method", spec, "--out", "/tmp/unused-bundle"])
            XCTAssertEqual(t.methodOptions.methods, [spec])
        }
        for spec in ["graph", "hybrid", "crossview+supcon", "pca+supcon", "text:lr"] {
            let m = refusal(["train"] + base + ["--method", spec, "--out", "/tmp/unused-bundle"])
            XCTAssertTrue(m.contains("train stores"), "\(spec): \(m)")
        }
        XCTAssertTrue(refusal(["train"] + base + ["--method", "auto", "--method", "paper", "--out", "x"]).contains("one method"))
    }

    func testMissingInputsAreNamed() {
        let m = refusal(["evaluate", "--data", "/nonexistent/cells.h5ad", "--obs-column", "type"])
        XCTAssertTrue(m.contains("--data /nonexistent/cells.h5ad: no such file or directory"), m)
        XCTAssertTrue(refusal(["evaluate", "--data", Self.romanov]).contains("give --labels FILE"))
        XCTAssertTrue(refusal(["annotate", "--reference", "/nonexistent/bundle", "--data", Self.romanov]).contains("--reference /nonexistent/bundle"))
        XCTAssertTrue(refusal(["annotate", "--reference", Self.romanov, "--data", Self.romanov, "--min-confidence", "2"]).contains("--min-confidence"))
    }

    func testRefineFlagOnlyWhereItMeansSomething() {
        // `benchmark --refine` and `refine --refine` were accepted and ignored.
        XCTAssertTrue(refusal(["benchmark"] + base + ["--refine"]).contains("--refine"))
        XCTAssertTrue(refusal(["refine"] + base + ["--refine"]).contains("--refine"))
    }

    func testBenchmarkConfigExpandsIntoOptions() throws {
        let dir = temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/bench.json"
        try #"{"data": "\#(Self.romanov)", "labels": "\#(Self.romanov)/cell_metadata.csv", "method": ["pca", "hvg:lr"], "seeds": 2, "report": false}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let args = try LexicellCommand.expandingConfig(["benchmark", "--config", config, "--top-n", "9"])
        let b = try parse(Benchmark.self, args)
        XCTAssertEqual(b.methodOptions.methods, ["pca", "hvg:lr"])
        XCTAssertEqual(b.protocolOptions.seeds, 2)
        XCTAssertFalse(b.report)
        XCTAssertEqual(b.topN, 9)
    }
}

/// `annotate --shard I/N`, `--chunk-cells` and `merge`: checked before any data is read.
final class ShardParsingTests: XCTestCase {
    static let romanov = Repository.romanov
    let base = ["annotate", "--reference", romanov, "--data", romanov]

    func testShardIsParsedIntoIndexAndCount() throws {
        let a = try XCTUnwrap(try LexicellCommand.parseAsRoot(base + ["--shard", "0/3"]) as? Annotate)
        XCTAssertEqual(a.shardSpec, ShardSpec(index: 0, count: 3))
        let last = try XCTUnwrap(try LexicellCommand.parseAsRoot(base + ["--shard", "2/3", "--chunk-cells", "7"]) as? Annotate)
        XCTAssertEqual(last.shardSpec, ShardSpec(index: 2, count: 3))
        XCTAssertEqual(last.chunkCells, 7)
        XCTAssertNil(try XCTUnwrap(try LexicellCommand.parseAsRoot(base) as? Annotate).shardSpec)
        XCTAssertEqual(try XCTUnwrap(try LexicellCommand.parseAsRoot(base) as? Annotate).chunkCells, 20_480)
    }

    func testBadShardsAreRefused() {
        for bad in ["3/3", "1/0", "0/0", "-1/3", "a/3", "1", "1/3/4", "/3", "1/"] {
            let message = refusal(base + ["--shard=\(bad)"])
            XCTAssertTrue(message.contains("--shard \(bad): expected I/N with whole numbers 0 ≤ I < N"), "\(bad): \(message)")
        }
        XCTAssertTrue(refusal(base + ["--shard", "0/2", "--no-h5ad"]).contains("--shard needs the h5ad"))
        XCTAssertTrue(refusal(base + ["--chunk-cells", "0"]).contains("--chunk-cells must be at least 1"))
    }

    func testShardRangesCoverTheQueryOnceInOrder() {
        for n in [0, 1, 2, 7, 387, 1_000_003] {
            for count in [1, 2, 3, 10] {
                var next = 0
                for i in 0..<count {
                    let r = ShardSpec(index: i, count: count).range(cells: n)
                    XCTAssertEqual(r.lowerBound, next, "n \(n), shard \(i)/\(count)")
                    XCTAssertLessThanOrEqual(r.count, n / count + 1)
                    next = r.upperBound
                }
                XCTAssertEqual(next, n)
            }
        }
    }

    /// bench-umap's layout modes: default (2 blocks), sequential (1 block), parallel (Hogwild); anything else refused.
    func testBenchUMAPModes() throws {
        let files = ["in.npy", "out.npy"]
        XCTAssertNil(try XCTUnwrap(try LexicellCommand.parseAsRoot(["bench-umap"] + files + ["cosine"]) as? BenchUMAP).mode)
        XCTAssertEqual(try XCTUnwrap(try LexicellCommand.parseAsRoot(["bench-umap"] + files + ["euclidean", "sequential"]) as? BenchUMAP).mode, "sequential")
        XCTAssertTrue(refusal(["bench-umap"] + files + ["cosine", "fast"]).contains("mode must be parallel or sequential"))
        XCTAssertTrue(refusal(["bench-umap"] + files + ["manhattan"]).contains("metric must be euclidean or cosine"))
    }

    func testMergeNeedsExistingDistinctShards() {
        XCTAssertTrue(refusal(["merge"]).contains("shards"))
        XCTAssertTrue(refusal(["merge", "/nonexistent/shard0"]).contains("shard /nonexistent/shard0: no such file or directory"))
        XCTAssertTrue(refusal(["merge", Self.romanov, Self.romanov]).contains("a shard folder is given twice"))
    }
}
