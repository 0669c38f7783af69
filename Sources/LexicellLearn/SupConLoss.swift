import LexicellCore

/// The supervised contrastive loss of Khosla et al. (2020), "SupCon", over the 2B views of a batch.
///
/// For anchor i with positives P(i) (every other row with the same label; with two views per cell this
/// includes the cell's own other view):
///   ℓ_i = −(τ/τ_base) · 1/|P(i)| · Σ_{p∈P(i)} log( exp(z_i·z_p/τ) / Σ_{a≠i} exp(z_i·z_a/τ) ),
/// and the loss is the mean of ℓ_i over the anchors that have at least one positive. An anchor without a
/// positive contributes nothing (no 0/0 NaN); a batch without any positive pair has loss 0.
///
/// Scaling: like HobbitLong/SupContrast the loss is multiplied by τ/τ_base with τ_base = 0.07, so at the
/// default τ = 0.07 it is the plain formula above and the gradient's size does not grow as 1/τ.
/// The row maximum is subtracted before exponentiating (it cancels out of the value and the gradient).
public enum SupConLoss {
    /// τ_base of the reference implementation.
    public static let baseTemperature = 0.07

    /// The loss for `features` (2B × p, rows ℓ2-normalised) with one label per row.
    public static func value(features: DenseMatrix, labels: [Int], temperature: Float = 0.07) -> Float {
        precondition(labels.count == features.rows, "SupConLoss: \(labels.count) labels for \(features.rows) rows")
        let z = Tensor<Float>(features)
        return SupConKernel<Float>(rows: features.rows).evaluate(
            features: z, labels: labels, temperature: temperature,
            gradient: nil)
    }

    /// The loss and its gradient with respect to `features`.
    public static func valueAndGradient(
        features: DenseMatrix, labels: [Int],
        temperature: Float = 0.07
    ) -> (loss: Float, gradient: DenseMatrix) {
        precondition(labels.count == features.rows, "SupConLoss: \(labels.count) labels for \(features.rows) rows")
        let z = Tensor<Float>(features)
        let dz = Tensor<Float>(rows: features.rows, cols: features.cols)
        let loss = SupConKernel<Float>(rows: features.rows).evaluate(
            features: z, labels: labels,
            temperature: temperature, gradient: dz)
        return (loss, dz.dense)
    }
}

/// The loss computation with its n × n scratch matrix, reused every training step.
struct SupConKernel<T: LearnScalar> {
    let similarity: Tensor<T>

    init(rows: Int) { similarity = Tensor(rows: rows, cols: rows) }

    /// Returns the loss; when `gradient` is given, writes ∂loss/∂features into it.
    func evaluate(features z: Tensor<T>, labels: [Int], temperature: T, gradient dz: Tensor<T>?) -> T {
        let n = z.rows, p = z.cols
        precondition(similarity.rows == n && labels.count == n)
        let s = similarity.pointer
        let invTau = 1 / temperature
        // S = Z·Zᵀ/τ
        T.gemm(
            z.pointer, rowsA: n, colsA: p, transposeA: false, z.pointer, rowsB: n, colsB: p, transposeB: true,
            into: s, alpha: invTau, beta: 0)
        let scale = temperature / T(SupConLoss.baseTemperature)
        // Rows by label, so each anchor visits only its own positives instead of comparing n labels.
        var rowsByLabel = [Int: [Int]]()
        for (i, label) in labels.enumerated() { rowsByLabel[label, default: []].append(i) }
        var total: T = 0
        var anchors = 0
        for i in 0..<n {
            let row = s + i * n
            let group = rowsByLabel[labels[i]]!
            let positives = group.count - 1
            if positives == 0 {
                row.update(repeating: 0, count: n)
                continue
            }
            anchors += 1
            var rowMax = row[0]
            for j in 1..<n { rowMax = max(rowMax, row[j]) }
            var positiveLogits: T = 0
            for j in group where j != i { positiveLogits += row[j] - rowMax }
            for j in 0..<n { row[j] = T.exponential(row[j] - rowMax) }
            row[i] = 0  // self is not in the denominator (zeroed, not subtracted: no cancellation)
            var denominator: T = 0
            for j in 0..<n { denominator += row[j] }
            let invPositives = 1 / T(positives)
            total -= scale * (positiveLogits * invPositives - T.logarithm(denominator))
            guard dz != nil else { continue }
            // ∂ℓ_i/∂S_ij = scale·(softmax_ij − [j ∈ P(i)]/|P(i)|), softmax over j ≠ i.
            let invDenominator = 1 / denominator
            for j in 0..<n { row[j] *= invDenominator }
            for j in group where j != i { row[j] -= invPositives }
        }
        guard anchors > 0 else {
            dz?.fill(0)
            return 0
        }
        let loss = total / T(anchors)
        if let dz {
            // S was Z·Zᵀ/τ, so ∂/∂Z = (G + Gᵀ)·Z/τ with G the per-anchor gradients averaged over anchors:
            // two products rather than a cache-unfriendly transpose.
            let alpha = scale / T(anchors) * invTau
            T.gemm(
                s, rowsA: n, colsA: n, transposeA: false, z.pointer, rowsB: n, colsB: p, transposeB: false,
                into: dz.pointer, alpha: alpha, beta: 0)
            T.gemm(
                s, rowsA: n, colsA: n, transposeA: true, z.pointer, rowsB: n, colsB: p, transposeB: false,
                into: dz.pointer, alpha: alpha, beta: 1)
        }
        return loss
    }
}
