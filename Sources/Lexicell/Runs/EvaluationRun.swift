import Foundation
import LexicellCore

/// Where a run writes, and what besides its tables.
public struct OutputRequest: Sendable {
    /// The output folder: written all at once, never over a folder Lexicell did not write (`OutputDirectory`).
    public var directory: String
    /// report.html (UMAPs, confusion matrices, comparison plots).
    public var report = true
    /// Move a foreign file or folder at `directory` aside instead of refusing.
    public var force = false
    /// The run's input paths: the output may neither be nor contain one.
    public var inputs: [String] = []
    public init(directory: String, inputs: [String] = []) {
        self.directory = directory
        self.inputs = inputs
    }
}

/// `lexicell evaluate`: methods (auto by default) and the random control on seeded splits of labelled cells;
/// writes result.json, predictions.csv, summary.md and report.html.
public struct EvaluationRun {
    public var dataset: DatasetRequest
    public var knowledge = KnowledgeRequest()
    public var embedding = EmbeddingRequest()
    /// Method specs (`MethodSpec`); empty means `auto`.
    public var methods: [String] = []
    public var selection = SelectionSettings()
    public var evaluation = EvaluationProtocol()
    public var seeds: [UInt64] = Array(0..<5)
    /// Also run the paper's method (and the refined random control).
    public var refine = false
    public var refinement = RefinementSettings()
    public var output: OutputRequest

    public init(dataset: DatasetRequest, output: OutputRequest) {
        self.dataset = dataset
        self.output = output
    }

    /// The specs that run: the methods (auto by default), the paper with `refine`, and the random control.
    public var specs: [String] {
        let w = embedding.settings.weighting == .mean ? "" : "/" + embedding.settings.weighting.rawValue
        var specs = methods.isEmpty ? ["auto"] : methods
        if refine && !specs.contains("paper") { specs.append("paper") }
        if embedding.control {
            specs.append("random" + w)
            if refine { specs.append("random\(w)+supcon") }
        }
        return specs
    }

    /// Runs the evaluation, writes its files and returns the Markdown summary.
    public func run(log: (String) -> Void) throws -> String {
        let data = try dataset.loadLabelled(log: log)
        let genes = try knowledge.load(genes: data.expression.genes, log: log)
        let sources = GeneTableSource.sources(
            model: embedding.model, file: embedding.geneEmbeddings, control: false,
            randomDimension: embedding.randomDimension)
        var plan = MethodPlan(specs: specs, textSources: sources)
        plan.cellEmbedding = embedding.settings
        plan.refinement = refinement
        plan.cachePath = embedding.cachePath
        plan.expressionConfiguration = dataset.expressionConfiguration
        plan.randomDimension = embedding.randomDimension
        plan.selection = selection
        plan.selection.grids.knnK = evaluation.kGrid
        plan.selection.folds = evaluation.folds
        var timings = [String: Double]()
        let methods = try plan.methods(dataset: data, knowledge: genes, log: log, timings: &timings)
        if let c = plan.lastCoverage {
            log(
                String(
                    format: "coverage: %.1f %% of each cell's top %d genes have a text; %.1f %% are housekeeping genes",
                    100 * c.meanFraction, embedding.settings.topN, 100 * c.meanExcludedFraction))
        }
        let results = try EvaluationRunner(seeds: seeds, protocolSettings: evaluation).run(data, methods: methods, log: log)
        let doc = EvaluationDocument(
            dataset: data, source: dataset.data, parameters: parameters(genes, plan), coverage: plan.lastCoverage,
            kGrid: evaluation.kGrid, methods: results)
        let md = doc.markdown()
        var files: [(String, Data)] = [
            ("result.json", try doc.json()),
            ("predictions.csv", Data(doc.predictionsCSV(cellNames: data.expression.cells).utf8)),
            ("summary.md", Data(md.utf8)),
        ]
        if output.report {
            let builder = EvaluationReport()
            let layouts = try builder.layouts(doc, log: log)
            files.append(("report.html", Data(builder.render(doc, layouts: layouts, labelNames: data.labelNames).utf8)))
        }
        try OutputFiles.write(files, to: output, log: log)
        return md
    }

    /// What result.json records of the settings.
    func parameters(_ genes: GeneKnowledge, _ plan: MethodPlan) -> RunParameters {
        var p = RunParameters(
            methods: specs, seeds: seeds, cellEmbedding: embedding.settings, evaluation: evaluation,
            selection: selection, knowledge: genes)
        p.modelIdentities = plan.modelIdentities
        if specs.contains(where: { $0.contains("supcon") || $0 == "paper" }) { p.refinement = refinement }
        return p
    }
}

/// The files of one run, put in place together (`OutputDirectory.commit`): old or new, never a mix.
public enum OutputFiles {
    /// Writes `files` (and whatever `more` writes into the temporary folder) to the output folder.
    public static func write(
        _ files: [(name: String, contents: Data)], to output: OutputRequest,
        more: ((String) throws -> [String])? = nil, log: (String) -> Void
    ) throws {
        var names = files.map(\.name)
        let result = try OutputDirectory.commit(to: output.directory, force: output.force, inputs: output.inputs) { dir in
            for (name, contents) in files { try AtomicFile.write(contents, to: "\(dir)/\(name)") }
            if let more { names += try more(dir) }
        }
        if let aside = result.keptAside { log("moved what stood at \(output.directory) aside to \(aside) (--force)") }
        log("wrote " + names.map { "\(output.directory)/\($0)" }.joined(separator: ", "))
    }
}
