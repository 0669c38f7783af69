import Foundation
import LexicellCore

/// Encoder Linear → BatchNorm → ReLU → Linear (the refined embedding), then projection head
/// Linear → BatchNorm → ReLU → Linear → ℓ2 normalisation (used only for the loss).
final class SupConNetwork<T: LearnScalar> {
    let encoder1: Linear<T>
    let encoderNorm: BatchNorm<T>
    let encoder2: Linear<T>
    let head1: Linear<T>
    let headNorm: BatchNorm<T>
    let head2: Linear<T>

    /// Linear layers are initialised in network order from `generator`, as PyTorch would construct them.
    init(configuration c: SupConConfiguration, generator: inout SeededGenerator) {
        encoder1 = Linear(inputs: c.inputDim, outputs: c.hiddenDim, generator: &generator)
        encoderNorm = BatchNorm(features: c.hiddenDim)
        encoder2 = Linear(inputs: c.hiddenDim, outputs: c.embeddingDim, generator: &generator)
        head1 = Linear(inputs: c.embeddingDim, outputs: c.projectionHiddenDim, generator: &generator)
        headNorm = BatchNorm(features: c.projectionHiddenDim)
        head2 = Linear(inputs: c.projectionHiddenDim, outputs: c.projectionDim, generator: &generator)
    }

    /// Trainable parameters paired with their gradient buffers (BatchNorm running statistics excluded).
    var parameters: [(value: Tensor<T>, gradient: Tensor<T>)] {
        [
            (encoder1.weight, encoder1.weightGrad), (encoder1.bias, encoder1.biasGrad),
            (encoderNorm.gamma, encoderNorm.gammaGrad), (encoderNorm.beta, encoderNorm.betaGrad),
            (encoder2.weight, encoder2.weightGrad), (encoder2.bias, encoder2.biasGrad),
            (head1.weight, head1.weightGrad), (head1.bias, head1.biasGrad),
            (headNorm.gamma, headNorm.gammaGrad), (headNorm.beta, headNorm.betaGrad),
            (head2.weight, head2.weightGrad), (head2.bias, head2.biasGrad),
        ]
    }

    /// Activation and gradient buffers for a fixed number of rows, allocated once per training run.
    final class Workspace {
        let rows: Int
        let input, hidden, hiddenGrad, hiddenPreGrad, embedding, embeddingGrad: Tensor<T>
        let preHead, head, headGrad, headPreGrad, projection, projectionGrad, features, featuresGrad, norms: Tensor<T>

        init(rows n: Int, configuration c: SupConConfiguration) {
            rows = n
            input = Tensor(rows: n, cols: c.inputDim)
            hidden = Tensor(rows: n, cols: c.hiddenDim)
            hiddenGrad = Tensor(rows: n, cols: c.hiddenDim)
            hiddenPreGrad = Tensor(rows: n, cols: c.hiddenDim)
            embedding = Tensor(rows: n, cols: c.embeddingDim)
            embeddingGrad = Tensor(rows: n, cols: c.embeddingDim)
            preHead = Tensor(rows: n, cols: c.projectionHiddenDim)
            head = Tensor(rows: n, cols: c.projectionHiddenDim)
            headGrad = Tensor(rows: n, cols: c.projectionHiddenDim)
            headPreGrad = Tensor(rows: n, cols: c.projectionHiddenDim)
            projection = Tensor(rows: n, cols: c.projectionDim)
            projectionGrad = Tensor(rows: n, cols: c.projectionDim)
            features = Tensor(rows: n, cols: c.projectionDim)
            featuresGrad = Tensor(rows: n, cols: c.projectionDim)
            norms = Tensor(rows: n, cols: 1)
        }
    }

    /// Training-mode forward pass of `w.input`, leaving the ℓ2-normalised features in `w.features`.
    /// `hidden` holds the pre-BatchNorm activations first and is then overwritten by BatchNorm/ReLU output;
    /// BatchNorm keeps what its backward pass needs.
    func forwardTraining(_ w: Workspace) {
        encoder1.forward(w.input, into: w.hiddenPreGrad)  // borrowed as scratch for the pre-BN values
        encoderNorm.forwardTraining(w.hiddenPreGrad, into: w.hidden)
        ReLU.forward(w.hidden)
        encoder2.forward(w.hidden, into: w.embedding)
        head1.forward(w.embedding, into: w.headPreGrad)
        headNorm.forwardTraining(w.headPreGrad, into: w.head)
        ReLU.forward(w.head)
        head2.forward(w.head, into: w.projection)
        L2Normalization.forward(w.projection, into: w.features, norms: w.norms)
    }

    /// Backward pass from `w.featuresGrad`; fills every parameter gradient, and `inputGrad` when given.
    func backward(_ w: Workspace, inputGrad: Tensor<T>? = nil) {
        L2Normalization.backward(
            output: w.features, norms: w.norms, outputGrad: w.featuresGrad,
            inputGrad: w.projectionGrad)
        head2.backward(input: w.head, outputGrad: w.projectionGrad, inputGrad: w.headGrad)
        ReLU.backward(output: w.head, gradient: w.headGrad)
        headNorm.backward(outputGrad: w.headGrad, inputGrad: w.headPreGrad)
        head1.backward(input: w.embedding, outputGrad: w.headPreGrad, inputGrad: w.embeddingGrad)
        encoder2.backward(input: w.hidden, outputGrad: w.embeddingGrad, inputGrad: w.hiddenGrad)
        ReLU.backward(output: w.hidden, gradient: w.hiddenGrad)
        encoderNorm.backward(outputGrad: w.hiddenGrad, inputGrad: w.hiddenPreGrad)
        encoder1.backward(input: w.input, outputGrad: w.hiddenPreGrad, inputGrad: inputGrad)
    }
}

/// Adam as torch.optim.Adam (β = 0.9, 0.999, ε = 1e-8), including its weight decay semantics: an L2 term
/// λ·θ added to the gradient before the moment updates (not AdamW's decoupled decay). Like passing
/// `model.parameters()` to torch, decay applies to every parameter, biases and BatchNorm γ/β included.
struct Adam<T: LearnScalar> {
    let learningRate: T
    let weightDecay: T
    let beta1: T = 0.9
    let beta2: T = 0.999
    let epsilon: T = 1e-8
    private(set) var step = 0
    private let firstMoments: [Tensor<T>]
    private let secondMoments: [Tensor<T>]

    init(parameters: [(value: Tensor<T>, gradient: Tensor<T>)], learningRate: T, weightDecay: T) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        firstMoments = parameters.map { Tensor(rows: $0.value.rows, cols: $0.value.cols) }
        secondMoments = parameters.map { Tensor(rows: $0.value.rows, cols: $0.value.cols) }
    }

    mutating func update(_ parameters: [(value: Tensor<T>, gradient: Tensor<T>)]) {
        step += 1
        let correction1 = 1 - pow(Double(beta1), Double(step))
        let correction2 = 1 - pow(Double(beta2), Double(step))
        let stepSize = T(Double(learningRate) / correction1)
        let correction2Root = T(correction2.squareRoot())
        let (b1, b2, eps, decay) = (beta1, beta2, epsilon, weightDecay)
        for (k, (value, gradient)) in parameters.enumerated() {
            let p = value.pointer, g = gradient.pointer
            let m = firstMoments[k].pointer, v = secondMoments[k].pointer
            for i in 0..<value.count {
                let grad = g[i] + decay * p[i]
                m[i] += (1 - b1) * (grad - m[i])
                v[i] = b2 * v[i] + (1 - b2) * grad * grad
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + eps)
            }
        }
    }
}
