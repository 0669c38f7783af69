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
    public var out: String

    public init(dataset: DatasetRequest, out: String) {
        self.dataset = dataset
        self.out = out
    }

    public func run(log: (String) -> Void) throws {
        let loaded = try refiner.map { try Refiner.load(from: $0) }
        // Applying a saved refiner needs no labels.
        let labelled = loaded == nil || dataset.hasLabels ? try dataset.loadLabelled(log: log) : nil
        let expression = try labelled?.expression ?? dataset.read(log: log).expression
        let genes = try knowledge.load(genes: expression.genes, log: log)
        let (cells, table) = try embedding.stage(genes).run(expression, labels: labelled?.labelNames, source: embedding.source,
                                                           defaultDimension: embedding.randomDimension, log: log)
        let model: Refiner
        if let loaded {
            guard loaded.modelIdentity == table.modelIdentity else {
                throw LexicellError("this refiner was trained on gene vectors from \(loaded.modelIdentity), but the cells were embedded with \(table.modelIdentity); use the same --model / --gene-embeddings", file: refiner)
            }
            model = loaded
        } else {
            let d = labelled!
            let history = RefinedRepresentation.HistoryLog()
            model = try RefinedRepresentation.train(view1: cells.allGenes, view2: cells.withoutHousekeeping, labels: d.labels,
                                                    modelIdentity: table.modelIdentity, settings: refinement, seed: seed, log: history)
            try model.save(to: "\(out)/refiner.lxr")
            if let h = history.histories.last {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(try enc.encode(h), to: "\(out)/training.json")
                log(String(format: "trained %d epochs (best %d, validation KNN accuracy %.3f) in %.1f s", h.epochs.count, h.bestEpoch,
                           h.bestScore ?? Double.nan, h.totalSeconds))
            }
        }
        let refined = try model.embed(cells.allGenes)
        try AtomicFile.write(EmbeddingTableCSV.render(refined, cells: expression.cells, labels: labelled?.labelNames),
                             to: "\(out)/refined_embeddings.csv")
        log("wrote \(refined.rows) × \(refined.cols) refined embeddings to \(out)/refined_embeddings.csv"
            + (loaded == nil ? " and the refiner to \(out)/refiner.lxr" : ""))
    }
}
