import ArgumentParser
import Foundation
import Lexicell

struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare methods on the same seeded splits: auto, the paper, expression baselines, linear heads, gene texts, hybrids, random controls.",
        discussion: """
        Methods (--method, repeatable): auto, paper, or base[/weighting][+supcon][:head] with base pca, hvg, graph, \
        text, random, hybrid, hybrid-random, crossview, crossview-random; text and random take /weighted or \
        /genept-w; +supcon refines per split on training cells; heads :knn, :lr, :svm. Text methods run once per \
        --models entry. Default: \(BenchmarkPlan.defaultSpecs.joined(separator: ", ")). \
        Writes benchmark.json, benchmark.md and report.html into --out and prints the Markdown. \
        --config FILE reads the same options from JSON: {"data": "...", "method": ["pca", "text"], "seeds": 5, ...} \
        (keys are the long option names; arrays repeat an option; true switches a flag on).
        """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var geneOptions: GeneOptions
    @OptionGroup var protocolOptions: ProtocolOptions
    @OptionGroup var refineOptions: RefineOptions

    @OptionGroup var methodOptions: MethodOptions

    @Option(help: "Comma-separated language models for the text methods.")
    var models: String = "all-MiniLM-L6-v2"

    @Option(help: "Top genes per cell.") var topN: Int = 20
    @Option(help: "SQLite cache of text embeddings.") var cache: String?
    @Option(help: "Method the paired comparison is made against: a --method spec or a method name (default: the first).") var reference: String?
    @Option(help: "Subtype → group mapping (CSV/TSV: subtype, group) for group-level metrics, e.g. data/subsets/rgc_vulnerability_groups.csv.")
    var groups: String?
    @Flag(inversion: .prefixedNo, help: "Write report.html with UMAPs.") var report = true
    @Option(help: "Output directory.") var out: String = "lexicell-benchmark"

    func run() throws {
        let t0 = Date()
        var timings = [String: Double]()
        let evaluation = try protocolOptions.evaluation()
        var tRead = Date()
        let dataset = try dataOptions.load(log: logLine)
        timings["read data and labels"] = Date().timeIntervalSince(tRead)
        tRead = Date()
        let knowledge = try geneOptions.knowledge(genes: dataset.expression.genes, log: logLine)
        timings["gene texts and housekeeping"] = Date().timeIntervalSince(tRead)
        var plan = BenchmarkPlan(specs: methodOptions.methods.isEmpty ? BenchmarkPlan.defaultSpecs : methodOptions.methods,
                                 models: models.split(separator: ",").map(String.init))
        plan.selection = try methodOptions.selection()
        plan.selection.grids.knnK = evaluation.kGrid
        plan.selection.folds = evaluation.folds
        plan.topN = topN
        plan.refinement = refineOptions.settings
        plan.cachePath = cache
        let methods = try plan.methods(dataset: dataset, knowledge: knowledge, log: logLine, timings: &timings)
        // The reference of the paired comparison: a spec or a method name, checked before the long run.
        let refIndex: Int
        if let reference {
            guard let i = plan.methodSpecs.firstIndex(of: reference) ?? methods.firstIndex(where: { $0.name == reference })
                    ?? methods.firstIndex(where: { $0.name.hasPrefix(reference) }) else {
                throw ValidationError("--reference \(reference) is neither a --method spec (\(plan.specs.joined(separator: ", "))) nor a method name (\(methods.map(\.name).joined(separator: ", ")))")
            }
            refIndex = i
        } else {
            refIndex = 0
        }
        let runner = EvaluationRunner(seeds: protocolOptions.seedList, protocolSettings: evaluation)
        let results = try runner.run(dataset, methods: methods, log: logLine)
        for r in results { timings["method: \(r.summary.method) (all splits)"] = r.splits.map(\.seconds).reduce(0, +) }

        let ref = results[refIndex]
        let paired = results.filter { $0.summary.method != ref.summary.method }.map { PairedComparison(method: $0, reference: ref) }
        var parameters = ["top_n": "\(topN)", "methods": plan.specs.joined(separator: ","), "models": models,
                          "housekeeping": knowledge.housekeeping?.name ?? "none", "gene_texts": knowledge.texts.source,
                          "gene_texts_version": knowledge.texts.version, "seeds": protocolOptions.seedList.map(String.init).joined(separator: ",")]
        parameters.merge(refineOptions.describe()) { $1 }
        let doc = EvaluationDocument(dataset: dataset, source: dataOptions.data, parameters: parameters, coverage: nil,
                                     kGrid: evaluation.kGrid, methods: results)
        if report {
            let tr = Date()
            let builder = EvaluationReport()
            let layouts = try builder.layouts(doc, log: logLine)
            try AtomicFile.write(builder.render(doc, layouts: layouts, labelNames: dataset.labelNames), to: "\(out)/report.html")
            timings["report (UMAPs, plots)"] = Date().timeIntervalSince(tr)
        }
        timings["total"] = Date().timeIntervalSince(t0)
        var md = doc.markdown() + "\n" + PairedComparison.markdown(paired)
        if let groups {
            let map = try GroupMap.load(path: groups)
            md += "\n" + GroupSummary.markdown(results, classNames: dataset.classNames, groups: map)
        }
        md += "\nTimings (s):\n\n| stage | seconds |\n|---|---|\n"
        for (k, v) in timings.sorted(by: { $0.key < $1.key }) { md += "| \(k) | \(String(format: "%.2f", v)) |\n" }
        struct Output: Encodable { var evaluation: EvaluationDocument; var paired: [PairedComparison]; var timings: [String: Double] }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try enc.encode(Output(evaluation: doc, paired: paired, timings: timings)), to: "\(out)/benchmark.json")
        try AtomicFile.write(md, to: "\(out)/benchmark.md")
        print(md)
        logLine("wrote \(out)/benchmark.json, \(out)/benchmark.md" + (report ? ", \(out)/report.html" : ""))
    }
}

extension Benchmark {
    /// `--config FILE` turns a JSON object into the equivalent command line.
    static func argumentsExpandingConfig(_ args: [String]) throws -> [String] {
        guard let i = args.firstIndex(of: "--config"), i + 1 < args.count else { return args }
        let path = args[i + 1]
        let object: [String: ConfigValue]
        do {
            object = try JSONDecoder().decode([String: ConfigValue].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw LexicellError("expected a JSON object of option names to strings, numbers, booleans or arrays (\(error.localizedDescription))", file: path)
        }
        var expanded = [String]()
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .flag(let on): expanded.append(on ? "--\(key)" : "--no-\(key)")
            case .list(let items): for v in items { expanded += ["--\(key)", v] }
            case .value(let v): expanded += ["--\(key)", v]
            }
        }
        var rest = args
        rest.removeSubrange(i...(i + 1))
        return expanded + rest
    }
}

/// A value in a benchmark config file.
enum ConfigValue: Decodable {
    case flag(Bool), value(String), list([String])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .flag(b) } else if let i = try? c.decode(Int.self) { self = .value(String(i)) }
        else if let d = try? c.decode(Double.self) { self = .value(String(d)) } else if let s = try? c.decode(String.self) { self = .value(s) }
        else { self = .list(try c.decode([ConfigScalar].self).map(\.text)) }
    }
}

struct ConfigScalar: Decodable {
    var text: String
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { text = String(i) } else if let d = try? c.decode(Double.self) { text = String(d) }
        else { text = try c.decode(String.self) }
    }
}
