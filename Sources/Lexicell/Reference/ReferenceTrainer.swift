import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells
import LexicellClassify

/// Trains a reference bundle from labelled cells: their (optionally refined) embeddings, labels and k.
public struct ReferenceTrainer {
    public var settings = CellEmbeddingSettings()
    public var refinement: RefinementSettings?
    public var kGrid = HeadGrids.defaultKGrid
    public var seed: UInt64 = 0
    public var cachePath: String?
    /// The expression baseline of expression candidates (the input scale, …).
    public var expressionConfiguration = ExpressionBaselineConfiguration()
    public init() {}

    public func train(_ dataset: LabelledDataset, knowledge: GeneKnowledge, source: GeneTableSource,
                      log: (String) -> Void) throws -> ReferenceBundle {
        let (cells, table) = try TextEmbeddingStage(knowledge: knowledge, settings: settings, cachePath: cachePath)
            .run(dataset.expression, labels: dataset.labelNames, source: source, log: log)
        var x = cells.allGenes
        let refiner = try refinement.map {
            try RefinedRepresentation.train(view1: cells.allGenes, view2: cells.withoutHousekeeping, labels: dataset.labels,
                                            modelIdentity: table.modelIdentity, settings: $0, seed: seed)
        }
        if let refiner { x = try refiner.embed(x) }
        var evaluation = EvaluationProtocol()
        evaluation.kGrid = kGrid
        let cv = evaluation.crossValidate(x, labels: dataset.labels, classCount: dataset.classNames.count, seed: seed)
        var best = 0
        for i in cv.indices where cv[i] > cv[best] { best = i }
        log("k = \(kGrid[best]) chosen by 5-fold cross-validation on the reference cells (accuracy "
            + cv.map { String(format: "%.3f", $0) }.joined(separator: ", ") + " for k = "
            + kGrid.map(String.init).joined(separator: ", ") + ")")
        let formatter = ISO8601DateFormatter()
        let manifest = ReferenceBundle.Manifest(
            created: formatter.string(from: Date()), geneEmbeddingModel: table.modelIdentity, geneEmbeddingSource: source.bundleDescription,
            geneTexts: (knowledge.texts.source as NSString).lastPathComponent, geneTextsVersion: knowledge.texts.version,
            species: knowledge.species, topN: settings.topN, weighting: settings.weighting,
            housekeeping: knowledge.housekeeping?.name ?? "none", k: kGrid[best], classNames: dataset.classNames,
            cells: dataset.labels.count, refined: refiner != nil, files: [:])
        return ReferenceBundle(manifest: manifest, embeddings: x, cellNames: dataset.expression.cells, labels: dataset.labels,
                               genes: dataset.expression.genes, refiner: refiner)
    }
}

extension GeneTableSource {
    /// How a bundle records where its gene vectors come from.
    public var bundleDescription: String {
        switch self {
        case .model(let m): return "model:\(m)"
        case .file(let f): return "file:\(f)"
        case .random(let d, let s): return "random:\(s):\(d ?? Self.defaultRandomDimension)"
        }
    }

    /// The source a bundle recorded.
    public init(bundleDescription s: String) throws {
        let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw LexicellError("unknown gene vector source '\(s)' in the bundle manifest") }
        switch parts[0] {
        case "model": self = .model(parts[1])
        case "file": self = .file(parts[1])
        case "random":
            let r = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard r.count == 2, let seed = UInt64(r[0]), let dimension = Int(r[1]), (1...65_536).contains(dimension) else {
                throw LexicellError("bad random source '\(s)' in the bundle manifest: expected random:SEED:DIMENSION with SEED ≥ 0 and 1 ≤ DIMENSION ≤ 65536")
            }
            self = .random(dimension: dimension, seed: seed)
        default: throw LexicellError("unknown gene vector source '\(s)' in the bundle manifest")
        }
    }
}
