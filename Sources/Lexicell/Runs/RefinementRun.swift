import Foundation
import LexicellCore
import LexicellLearn

/// `lexicell refine`: trains a SupCon refiner on labelled cells (or applies a saved one) and writes the refined
/// embeddings.
public struct RefinementRun {
    public var dataset: DatasetRequest
    public var knowledge = KnowledgeRequest()
    public var embedding = EmbeddingRequest()
    public var refinement = RefinementSettings()
    /// A saved refiner to apply instead of training.
    public var refiner: String?
    public var seed: UInt64 = 0
    public var output: OutputRequest

    public init(dataset: DatasetRequest, output: OutputRequest) {
        self.dataset = dataset
        self.output = output
    }

    public func run(log: (String) -> Void) throws {
        let loaded = try refiner.map { try Refiner.load(from: $0) }
        // Applying a saved refiner needs no labels.
        let labelled = loaded == nil || dataset.hasLabels ? try dataset.loadLabelled(log: log) : nil
        let expression = try labelled?.expression ?? dataset.read(log: log).expression
        let genes = try knowledge.load(genes: expression.genes, log: log)
        let (cells, table) = try embedding.stage(genes).run(
            expression, labels: labelled?.labelNames, source: embedding.source,
            defaultDimension: embedding.randomDimension, log: log)
        let model: Refiner
        var files = [(name: String, contents: Data)]()
        if let loaded {
            guard loaded.modelIdentity == table.modelIdentity else {
                throw LexicellError(
                    "this refiner was trained on gene vectors from \(loaded.modelIdentity), but the cells were embedded with \(table.modelIdentity); use the same --model / --gene-embeddings",
                    file: refiner)
            }
            model = loaded
        } else {
            let d = labelled!
            let history = RefinedRepresentation.HistoryLog()
            model = try RefinedRepresentation.train(
                view1: cells.allGenes, view2: cells.withoutHousekeeping, labels: d.labels,
                modelIdentity: table.modelIdentity, settings: refinement, seed: seed, log: history)
            if let h = history.histories.last {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                files.append(("training.json", try enc.encode(h)))
                log(
                    String(
                        format: "trained %d epochs (best %d, validation KNN accuracy %.3f) in %.1f s", h.epochs.count, h.bestEpoch,
                        h.bestScore ?? Double.nan, h.totalSeconds))
            }
        }
        let refined = try model.embed(cells.allGenes)
        files.append(("refined_embeddings.csv", Data(EmbeddingTableCSV.render(refined, cells: expression.cells, labels: labelled?.labelNames).utf8)))
        try OutputFiles.write(
            files, to: output,
            more: { dir in
                guard loaded == nil else { return [] }
                try model.save(to: "\(dir)/refiner.lxr")
                return ["refiner.lxr"]
            }, log: log)
        log("\(refined.rows) × \(refined.cols) refined embeddings")
    }
}
