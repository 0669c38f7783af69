import LexicellCore

/// A way to turn cells into vectors, fitted on training cells only (e.g. gene-text embeddings, refined
/// embeddings, expression PCs). The protocol never shows it test labels.
public protocol CellRepresentation {
    var name: String { get }
    /// Vectors for the training and test cells (indices into the dataset), fitted on `train` only.
    func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) throws -> (train: DenseMatrix, test: DenseMatrix)
}

/// A representation that is a fixed matrix, one row per cell (nothing to fit).
public struct FixedRepresentation: CellRepresentation {
    public var name: String
    public var matrix: DenseMatrix
    public init(name: String, matrix: DenseMatrix) { self.name = name; self.matrix = matrix }
    public func vectors(train: [Int], trainLabels: [Int], test: [Int], seed: UInt64) -> (train: DenseMatrix, test: DenseMatrix) {
        (matrix.selectingRows(train), matrix.selectingRows(test))
    }
}
