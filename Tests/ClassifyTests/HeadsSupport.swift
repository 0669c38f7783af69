import Foundation
import LexicellCore
@testable import LexicellClassify

/// Fixtures written by scripts/heads_compare_sklearn.py.
enum HeadsFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Romanov {
        var x: DenseMatrix
        var labels: [Int]
        var isTrain: [Bool]
        var classCount: Int { (labels.max() ?? -1) + 1 }
        var train: [Int] { isTrain.indices.filter { isTrain[$0] } }
        var test: [Int] { isTrain.indices.filter { !isTrain[$0] } }
    }

    static func romanov() throws -> Romanov {
        let data = Data(try FileData.read(folder.appendingPathComponent("heads_romanov_x.f32.gz").path))
        let (shape, body) = split(data, header: 2)
        let values = body.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let x = DenseMatrix(rows: shape[0], cols: shape[1], values: values)
        let text = try String(contentsOf: folder.appendingPathComponent("heads_romanov_labels.txt"), encoding: .utf8)
        let rows = text.split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        return Romanov(x: x, labels: rows.map { $0[0] }, isTrain: rows.map { $0[1] == 1 })
    }

    /// scikit-learn's coef_ (classes × features) and intercept_.
    static func coefficients(_ name: String) throws -> (coef: [[Double]], intercept: [Double]) {
        let data = Data(try FileData.read(folder.appendingPathComponent(name).path))
        let (shape, body) = split(data, header: 2)
        let v = body.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        let (k, d) = (shape[0], shape[1])
        return ((0..<k).map { Array(v[($0 * d)..<(($0 + 1) * d)]) }, Array(v[(k * d)..<(k * d + k)]))
    }

    /// scikit-learn's predictions for every cell: (LogisticRegression, LinearSVC).
    static func predictions() throws -> (lr: [Int], svc: [Int]) {
        let text = try String(contentsOf: folder.appendingPathComponent("heads_romanov_predictions.txt"), encoding: .utf8)
        let rows = text.split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        return (rows.map { $0[0] }, rows.map { $0[1] })
    }

    private static func split(_ data: Data, header: Int) -> ([Int], Data) {
        let shape = data.prefix(4 * header).withUnsafeBytes { Array($0.bindMemory(to: Int32.self)).map(Int.init) }
        return (shape, Data(data.dropFirst(4 * header)))
    }
}
