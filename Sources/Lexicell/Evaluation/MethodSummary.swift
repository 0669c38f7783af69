import LexicellCore
import LexicellClassify

/// Summary over seeds of one method.
public struct MethodSummary: Codable, Sendable {
    public var method: String
    public var accuracy: MeanSD
    public var weightedF1: MeanSD
    public var macroF1: MeanSD
    public var kappa: MeanSD
    public var balancedAccuracy: MeanSD
    /// The k chosen per split (nil where the head was not KNN).
    public var chosenK: [Int?]
    /// The chosen k per split as text ("—" for methods without k, such as cluster labelling).
    public var chosenKText: String { chosenK.allSatisfy { $0 == nil } ? "—" : chosenK.map { $0.map(String.init) ?? "—" }.joined(separator: ",") }
    /// Test and cross-validated accuracy per k of the grid (the KNN protocol's k sweep; empty for other methods).
    public var testAccuracyByK: [MeanSD]
    public var crossValidationAccuracyByK: [MeanSD]

    public init(method: String, splits: [SplitResult]) {
        self.method = method
        accuracy = MeanSD(splits.map { $0.metrics.accuracy })
        weightedF1 = MeanSD(splits.map { $0.metrics.weightedF1 })
        macroF1 = MeanSD(splits.map { $0.metrics.macroF1 })
        kappa = MeanSD(splits.map { $0.metrics.kappa })
        balancedAccuracy = MeanSD(splits.map { $0.metrics.balancedAccuracy })
        chosenK = splits.map { $0.chosenK }
        let sweeps = splits.compactMap(\.kSelection)
        let nk = sweeps.count == splits.count ? (sweeps.map(\.testAccuracy.count).min() ?? 0) : 0
        testAccuracyByK = (0..<nk).map { i in MeanSD(sweeps.map { $0.testAccuracy[i] }) }
        crossValidationAccuracyByK = (0..<nk).map { i in MeanSD(sweeps.map { $0.crossValidationAccuracy[i] }) }
    }
}
