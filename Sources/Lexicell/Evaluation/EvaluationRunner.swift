import Foundation
import LexicellCore
import LexicellGenes
import LexicellCells
import LexicellClassify

/// Runs the KNN protocol for several representations over the same seeded splits and gathers the results.
public struct EvaluationRunner {
    public var protocolSettings = EvaluationProtocol()
    public var seeds: [UInt64]
    public init(seeds: [UInt64], protocolSettings: EvaluationProtocol = EvaluationProtocol()) {
        self.seeds = seeds
        self.protocolSettings = protocolSettings
    }

    public struct MethodResult: Codable, Sendable {
        public var summary: MethodSummary
        public var splits: [SplitResult]
        /// Every cell's vector in the first split's space (for UMAPs); not written to JSON.
        public var firstSplitVectors: DenseMatrix?

        enum CodingKeys: String, CodingKey { case summary, splits }
    }

    /// Each representation through the KNN protocol.
    public func run(_ dataset: LabelledDataset, methods: [CellRepresentation], log: (String) -> Void = { _ in }) throws -> [MethodResult] {
        try run(dataset, methods: methods.map { KNNMethod($0) as EvaluationMethod }, log: log)
    }

    /// Each method on the same seeded splits.
    public func run(_ dataset: LabelledDataset, methods: [EvaluationMethod], log: (String) -> Void = { _ in }) throws -> [MethodResult] {
        try methods.map { method in
            var first: DenseMatrix?
            let splits = try seeds.map { seed -> SplitResult in
                var (r, vectors) = try method.evaluate(labels: dataset.labels, classNames: dataset.classNames, seed: seed,
                                                       protocol: protocolSettings)
                Self.markCellsWithoutSignal(&r, expression: dataset.expression, vectors: vectors)
                if first == nil { first = vectors }
                var k = ""
                if let selection = r.kSelection { k = "k = \(selection.chosenK), " }
                log(String(format: "%@ seed %llu: accuracy %.3f (%@%.1f s)", method.name, seed, r.metrics.accuracy, k, r.seconds))
                return r
            }
            return MethodResult(summary: MethodSummary(method: method.name, splits: splits), splits: splits, firstSplitVectors: first)
        }
    }

    /// Test cells with zero counts, or whose vector is all zeros (no top gene with a text), get confidence 0 and
    /// a reason: a zero vector is equally similar to everything, so its vote means nothing.
    static func markCellsWithoutSignal(_ r: inout SplitResult, expression: ExpressionMatrix, vectors: DenseMatrix) {
        let x = expression.values
        var reasons = [String?](repeating: nil, count: r.test.count)
        for (i, cell) in r.test.enumerated() {
            if !(x.indptr[cell]..<x.indptr[cell + 1]).contains(where: { x.values[$0] != 0 }) {
                reasons[i] = "no counts"
            } else if cell < vectors.rows, vectors.cols > 0, vectors.row(cell).allSatisfy({ $0 == 0 }) {
                reasons[i] = "no usable gene"
            }
            if reasons[i] != nil { r.confidence[i] = 0 }
        }
        r.noSignal = reasons.contains { $0 != nil } ? reasons : nil
    }
}
