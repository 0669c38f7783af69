import Foundation
import LexicellCore

/// `lexicell benchmark`: every method on the same seeded splits, paired against a reference method; writes
/// benchmark.json, benchmark.md and report.html.
public struct BenchmarkRun {
    public var dataset: DatasetRequest
    public var knowledge = KnowledgeRequest()
    public var specs = MethodPlan.defaultSpecs
    public var models = [ModelStore.defaultModelName]
    /// N of the text methods (their weighting comes from each spec).
    public var topN = CellEmbeddingSettings.defaultTopN
    public var cachePath: String?
    public var selection = SelectionSettings()
    public var evaluation = EvaluationProtocol()
    public var seeds: [UInt64] = Array(0..<5)
    public var refinement = RefinementSettings()
    /// The method the paired comparison is made against: a spec or a method name (nil: the first).
    public var reference: String?
    /// Subtype → group mapping for group-level metrics.
    public var groups: String?
    /// Learning curves: training cells per class at each step (nil: all); empty runs once on all training cells.
    public var trainPerClass: [Int?] = []
    public var output: OutputRequest

    public init(dataset: DatasetRequest, output: OutputRequest) {
        self.dataset = dataset
        self.output = output
    }

    public func run(log: (String) -> Void) throws -> String {
        let t0 = Date()
        var timings = [String: Double]()
        var tStage = Date()
        let data = try dataset.loadLabelled(log: log)
        timings["read data and labels"] = Date().timeIntervalSince(tStage)
        tStage = Date()
        let genes = try knowledge.load(genes: data.expression.genes, log: log)
        timings["gene texts and housekeeping"] = Date().timeIntervalSince(tStage)
        var plan = MethodPlan(specs: specs, models: models)
        plan.selection = selection
        plan.selection.grids.knnK = evaluation.kGrid
        plan.selection.folds = evaluation.folds
        plan.cellEmbedding.topN = topN
        plan.refinement = refinement
        plan.cachePath = cachePath
        plan.expressionConfiguration = dataset.expressionConfiguration
        let methods = try plan.methods(dataset: data, knowledge: genes, log: log, timings: &timings)
        let refIndex = try referenceIndex(plan: plan, methods: methods)
        var curveRuns = [(size: Int?, results: [EvaluationRunner.MethodResult])]()
        for size in trainPerClass {
            var e = evaluation
            e.trainPerClass = size
            log("learning curve: \(LearningCurve.sizeText(size)) training cells per class")
            curveRuns.append((size, try EvaluationRunner(seeds: seeds, protocolSettings: e).run(data, methods: methods, log: log)))
        }
        let curve = curveRuns.isEmpty ? nil : LearningCurve(runs: curveRuns, reference: refIndex)
        // The main tables: the last step of the curve (all cells when listed), or one run on all training cells.
        let results = try curveRuns.last?.results ?? EvaluationRunner(seeds: seeds, protocolSettings: evaluation).run(data, methods: methods, log: log)
        for r in results { timings["method: \(r.summary.method) (all splits)"] = r.splits.map(\.seconds).reduce(0, +) }
        let ref = results[refIndex]
        let paired = results.filter { $0.summary.method != ref.summary.method }.map { PairedComparison(method: $0, reference: ref) }
        var parameters = RunParameters(
            methods: specs, seeds: seeds, cellEmbedding: plan.cellEmbedding, evaluation: evaluation,
            selection: selection, knowledge: genes)
        parameters.modelIdentities = plan.modelIdentities
        parameters.refinement = refinement
        let doc = EvaluationDocument(
            dataset: data, source: dataset.data, parameters: parameters, coverage: nil,
            kGrid: evaluation.kGrid, methods: results)
        var files = [(name: String, contents: Data)]()
        if output.report {
            let tr = Date()
            let builder = EvaluationReport()
            let layouts = try builder.layouts(doc, log: log)
            files.append(("report.html", Data(builder.render(doc, layouts: layouts, labelNames: data.labelNames, learningCurve: curve).utf8)))
            timings["report (UMAPs, plots)"] = Date().timeIntervalSince(tr)
        }
        timings["total"] = Date().timeIntervalSince(t0)
        var md = doc.markdown() + "\n" + PairedComparison.markdown(paired)
        if let curve {
            md += "\n" + curve.markdown()
            files.append(("learning_curve.csv", Data(curve.csv().utf8)))
        }
        if let groups {
            md += "\n" + GroupSummary.markdown(results, classNames: data.classNames, groups: try GroupMap.load(path: groups))
        }
        md += "\nTimings (s):\n\n| stage | seconds |\n|---|---|\n"
        for (k, v) in timings.sorted(by: { $0.key < $1.key }) { md += "| \(k) | \(String(format: "%.2f", v)) |\n" }
        struct Output: Encodable { var evaluation: EvaluationDocument; var paired: [PairedComparison]; var timings: [String: Double] }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        files.insert(("benchmark.md", Data(md.utf8)), at: 0)
        files.insert(("benchmark.json", try enc.encode(Output(evaluation: doc, paired: paired, timings: timings))), at: 0)
        try OutputFiles.write(files, to: output, log: log)
        return md
    }

    /// The reference of the paired comparison, found before the long run: a spec or a method name.
    func referenceIndex(plan: MethodPlan, methods: [EvaluationMethod]) throws -> Int {
        guard let reference else { return 0 }
        guard
            let i = plan.methodSpecs.firstIndex(of: reference) ?? methods.firstIndex(where: { $0.name == reference })
                ?? methods.firstIndex(where: { $0.name.hasPrefix(reference) })
        else {
            throw LexicellError(
                "--reference \(reference) is neither a --method spec (\(plan.specs.joined(separator: ", "))) nor a method name (\(methods.map(\.name).joined(separator: ", ")))"
            )
        }
        return i
    }
}
