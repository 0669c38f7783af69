import LexicellCore

/// A classifier on top of a representation.
public enum HeadKind: String, Codable, Sendable, CaseIterable {
    /// Cosine KNN vote (the paper's head); the setting is k.
    case knn
    /// Multinomial logistic regression with L2 on standardised features; the setting is C.
    case logistic = "lr"
    /// One-vs-rest linear SVM (squared hinge, L2) on standardised features; the setting is C.
    case svm

    public var label: String { self == .knn ? "KNN" : self == .logistic ? "LR" : "SVM" }
}

/// The settings each head is tried with (chosen by cross-validation on training cells).
public struct HeadGrids: Codable, Sendable {
    /// The paper's k grid for the KNN head (chosen by CV on training cells).
    public static let defaultKGrid = [4, 6, 8, 10, 12, 14]

    public var knnK: [Int] = defaultKGrid
    public var logisticC: [Double] = [0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
    public var svmC: [Double] = [0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1]
    public init() {}

    public func values(_ head: HeadKind) -> [Double] {
        switch head {
        case .knn: return knnK.map(Double.init)
        case .logistic: return logisticC
        case .svm: return svmC
        }
    }
}

extension HeadKind {
    /// A head's probabilities from its scores: vote fractions as they are, a softmax of decision values × 1/T.
    public static func probabilities(_ scores: DenseMatrix, head: HeadKind, temperature: Double = 1) -> DenseMatrix {
        guard head != .knn else { return scores }
        var p = scores
        if temperature != 1 { for i in p.values.indices { p.values[i] /= Float(temperature) } }
        HeadsSoftmax.rowsInPlace(&p)
        return p
    }
}
