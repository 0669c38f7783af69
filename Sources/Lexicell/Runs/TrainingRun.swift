import Foundation
import LexicellCore

/// `lexicell train`: a reference bundle from labelled cells, for any method spec a bundle can store — `auto`
/// (the default), `paper`, `text[/weighting][+supcon]`, `random…`, or an expression representation with a head
/// (`hvg:lr`, `pca:knn`, …) — plus the gene reading of each class.
public struct TrainingRun {
    public var dataset: DatasetRequest
    public var knowledge = KnowledgeRequest()
    public var embedding = EmbeddingRequest()
    public var method = "auto"
    public var selection = SelectionSettings()
    public var refinement = RefinementSettings()
    public var seed: UInt64 = 0
    public var output: OutputRequest

    public init(dataset: DatasetRequest, output: OutputRequest) {
        self.dataset = dataset
        self.output = output
    }

    /// What the spec trains, or a clear error for specs a bundle cannot hold; checked before any data is read.
    public static func checkMethod(_ spec: String) throws {
        let p = try MethodSpec.parse(spec)
        switch p.base {
        case "auto", "paper": return
        case "text", "random": if p.head == .knn { return }
        case "pca", "hvg": if !p.refine { return }
        default: break
        }
        throw LexicellError("train stores auto, paper, text[/weighting][+supcon], random[…], or pca/hvg with a head (:knn, :lr, :svm); not '\(spec)'")
    }

    public func run(log: (String) -> Void) throws -> ReferenceBundle {
        try Self.checkMethod(method)
        let spec = try MethodSpec.parse(method)
        let data = try dataset.loadLabelled(log: log)
        let genes = try knowledge.load(genes: data.expression.genes, log: log)
        var trainer = ReferenceTrainer()
        trainer.settings = embedding.settings
        trainer.seed = seed
        trainer.cachePath = embedding.cachePath
        trainer.expressionConfiguration = dataset.expressionConfiguration
        var source = embedding.source
        let bundle: ReferenceBundle
        switch spec.base {
        case "auto":
            bundle = try trainer.trainAuto(data, knowledge: genes, source: source, selection: selection, log: log)
        case "pca", "hvg":
            bundle = try trainer.trainAuto(
                data, knowledge: genes, source: source, selection: selection,
                only: (spec.base == "pca" ? .pcs : .scaledGenes, spec.head), log: log)
        default:  // paper, text, random
            if spec.base == "random" { source = .random(dimension: embedding.randomDimension, seed: 0) }
            trainer.settings.weighting = spec.weighting
            trainer.refinement = spec.base == "paper" || spec.refine ? refinement : nil
            bundle = try trainer.train(data, knowledge: genes, source: source, log: log)
        }
        // Which genes drive each class (informational; not part of the checksummed bundle).
        let stage = TextEmbeddingStage(knowledge: genes, settings: CellEmbeddingSettings(topN: trainer.settings.topN), cachePath: embedding.cachePath)
        let table = try stage.geneTable(source, symbols: stage.neededSymbols(data.expression), defaultDimension: embedding.randomDimension, log: { _ in })
        let reading = GeneReading.compute(
            expression: data.expression, labels: data.labels, classNames: data.classNames,
            table: table, knowledge: genes, topN: trainer.settings.topN)
        try OutputFiles.write(
            [("gene_reading.csv", Data(GeneReading.csv(reading).utf8))], to: output,
            more: { dir in try bundle.write(into: dir) }, log: { _ in })
        let what = bundle.manifest.classifier ?? "gene texts + KNN, k = \(bundle.manifest.k)" + (bundle.refiner != nil ? ", with a SupCon refiner" : "")
        log(
            "wrote reference bundle \(output.directory): \(bundle.manifest.cells) cells, \(bundle.manifest.classNames.count) classes, \(what); gene reading in \(output.directory)/gene_reading.csv"
        )
        return bundle
    }
}
