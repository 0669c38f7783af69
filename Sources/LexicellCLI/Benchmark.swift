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
        --models entry. Default: \(MethodPlan.defaultSpecs.joined(separator: ", ")). \
        Writes benchmark.json, benchmark.md and report.html into --out and prints the Markdown. \
        --config FILE reads the same options from JSON: {"data": "...", "method": ["pca", "text"], "seeds": 5, ...} \
        (keys are the long option names; arrays repeat an option; true switches a flag on).
        """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var geneOptions: GeneOptions
    @OptionGroup var protocolOptions: ProtocolOptions
    @OptionGroup var refineOptions: SupConOptions

    @OptionGroup var methodOptions: MethodOptions

    @Option(help: "Comma-separated language models for the text methods.")
    var models: String = "all-MiniLM-L6-v2"

    @Option(help: "Top genes per cell.") var topN: Int = CellEmbeddingSettings.defaultTopN
    @Option(help: "SQLite cache of text embeddings.") var cache: String?
    @Option(help: "Method the paired comparison is made against: a --method spec or a method name (default: the first).") var reference: String?
    @Option(help: "Subtype → group mapping (CSV/TSV: subtype, group) for group-level metrics, e.g. data/subsets/rgc_vulnerability_groups.csv.")
    var groups: String?
    @Option(help: "Learning curve: comma-separated training cells per class, e.g. 1,2,3,5,10,20,all (test cells fixed; every method on the same subsamples).")
    var trainPerClass: String?
    @Flag(inversion: .prefixedNo, help: "Write report.html with UMAPs.") var report = true
    @Option(help: "Output directory.") var out: String = "lexicell-benchmark"
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        try dataOptions.requireLabels()
        guard topN >= 1 else { throw ValidationError("--top-n must be at least 1 (got \(topN))") }
        if let r = reference, r.isEmpty { throw ValidationError("--reference is empty") }
        if trainPerClass != nil, sizes == nil {
            throw ValidationError("--train-per-class must list positive integers or 'all', e.g. 1,2,3,5,10,20,all (got \(trainPerClass!))")
        }
    }

    /// The learning-curve sizes (nil entries: all cells), or nil when the list is malformed.
    var sizes: [Int?]? {
        guard let trainPerClass else { return [] }
        var out = [Int?]()
        for part in trainPerClass.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part == "all" { out.append(nil) } else if let n = Int(part), n >= 1 { out.append(n) } else { return nil }
        }
        return out.isEmpty ? nil : out
    }

    func run() throws {
        var run = BenchmarkRun(dataset: dataOptions.request, output: outputOptions.request(out, inputs: dataOptions.inputPaths))
        run.output.report = report
        run.knowledge = geneOptions.request
        run.specs = methodOptions.methods.isEmpty ? MethodPlan.defaultSpecs : methodOptions.methods
        run.models = models.split(separator: ",").map(String.init)
        run.topN = topN
        run.cachePath = cache
        run.selection = methodOptions.selection
        run.evaluation = protocolOptions.evaluation
        run.seeds = protocolOptions.seedList
        run.refinement = refineOptions.settings
        run.reference = reference
        run.groups = groups
        run.trainPerClass = sizes ?? []
        print(try run.run(log: logLine))
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
