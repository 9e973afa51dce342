import TernTensor
import RealModule

/// Training losses, Keras semantics: each is averaged over the batch (and,
/// for element-wise losses, over the last axis).
public enum Loss: String, Codable, Sendable, CaseIterable {
    case meanSquaredError = "mean_squared_error"
    case binaryCrossentropy = "binary_crossentropy"
    case categoricalCrossentropy = "categorical_crossentropy"
    case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self).lowercased()
        if name == "mse" { self = .meanSquaredError; return }
        guard let loss = Loss(rawValue: name) else {
            throw NNError.invalidConfiguration("unknown loss '\(name)' (known: \(Loss.allCases.map(\.rawValue).joined(separator: ", ")), mse)")
        }
        self = loss
    }

    /// The output activation this loss fuses with: the network then hands
    /// the loss pre-activation logits, which is exact and numerically stable.
    public var fusableActivation: Activation? {
        switch self {
        case .categoricalCrossentropy, .sparseCategoricalCrossentropy: return .softmax
        case .binaryCrossentropy: return .sigmoid
        case .meanSquaredError: return nil
        }
    }

    public var isClassification: Bool { self != .meanSquaredError }

    /// The mean loss and its gradient with respect to `output`.
    /// - Parameters:
    ///   - output: (batch, units); logits when `fromLogits` (the fused
    ///     activation was not applied), else the network's outputs.
    /// - Throws: ``NNError/invalidTargets(_:)`` when targets do not fit.
    public func evaluate(output: Tensor<Float>, targets: Targets, fromLogits: Bool) throws -> (loss: Float, gradient: Tensor<Float>) {
        let batch = output.shape[0]
        let width = output.count / max(batch, 1)
        guard targets.count == batch else {
            throw NNError.invalidTargets("\(targets.count) targets for a batch of \(batch)")
        }
        switch (self, targets) {
        case let (.sparseCategoricalCrossentropy, .classes(labels)):
            guard labels.count == batch else { throw NNError.invalidTargets("sparse labels must have one class per sample") }
            if fromLogits {
                let r = try softmaxCrossEntropy(logits: output, labels: labels.scalars)
                return (r.loss, r.gradient)
            }
            return try probabilityCrossEntropy(output, oneHot: oneHot(labels, classes: width))
        case let (.categoricalCrossentropy, .values(y)):
            guard y.shape == output.shape else { throw NNError.invalidTargets("expected targets of shape \(output.shape), got \(y.shape)") }
            if fromLogits {
                let r = try softmaxCrossEntropy(logits: output, targets: y)
                return (r.loss, r.gradient)
            }
            return try probabilityCrossEntropy(output, oneHot: y)
        case let (.binaryCrossentropy, .values(y)):
            guard y.count == output.count else { throw NNError.invalidTargets("expected targets of shape \(output.shape), got \(y.shape)") }
            return binaryCrossEntropy(output, y, fromLogits: fromLogits)
        case let (.meanSquaredError, .values(y)):
            guard y.count == output.count else { throw NNError.invalidTargets("expected targets of shape \(output.shape), got \(y.shape)") }
            return meanSquared(output, y)
        case (.sparseCategoricalCrossentropy, .values):
            throw NNError.invalidTargets("sparse_categorical_crossentropy needs integer class labels")
        case (_, .classes):
            throw NNError.invalidTargets("\(rawValue) needs float targets, not class indices")
        }
    }

    func oneHot(_ labels: Tensor<Int32>, classes: Int) throws -> Tensor<Float> {
        var y = Tensor<Float>(zeros: [labels.count, classes])
        let l = labels.scalars
        try y.withUnsafeMutableBufferPointer { y in
            for (i, c) in l.enumerated() {
                guard c >= 0, Int(c) < classes else { throw NNError.invalidTargets("label \(c) is outside 0..<\(classes)") }
                y[i * classes + Int(c)] = 1
            }
        }
        return y
    }

    /// Sums `term(output[i], target[i])` (each element's loss and gradient)
    /// over equal-length tensors: the loss total and the gradient tensor.
    @inline(__always)
    private func elementwise(
        _ output: Tensor<Float>, _ target: Tensor<Float>, _ term: (Float, Float) -> (loss: Double, gradient: Float)
    ) -> (total: Double, gradient: Tensor<Float>) {
        var grad = Tensor<Float>(uninitialized: output.shape)
        var total: Double = 0
        output.withUnsafeBufferPointer { o in
            target.withUnsafeBufferPointer { t in
                grad.withUnsafeMutableBufferPointer { g in
                    for i in 0..<o.count {
                        let (loss, gradient) = term(o[i], t[i])
                        total += loss
                        g[i] = gradient
                    }
                }
            }
        }
        return (total, grad)
    }

    /// -Σ y log p over probabilities (clipped to [1e-7, 1 - 1e-7] as Keras does).
    func probabilityCrossEntropy(_ p: Tensor<Float>, oneHot y: Tensor<Float>) throws -> (Float, Tensor<Float>) {
        let batch = Float(p.shape[0])
        let (total, grad) = elementwise(p, y) { p, y in
            let clipped = min(max(p, 1e-7), 1 - 1e-7)
            return (-Double(y * Float.log(clipped)), clipped == p ? -y / clipped / batch : 0)
        }
        return (Float(total / Double(batch)), grad)
    }

    func binaryCrossEntropy(_ z: Tensor<Float>, _ y: Tensor<Float>, fromLogits: Bool) -> (Float, Tensor<Float>) {
        let n = Float(z.count)
        let (total, grad) = elementwise(z, y) { z, y in
            if fromLogits {
                // max(z, 0) - z y + log(1 + e^-|z|), gradient sigmoid(z) - y
                return (Double(max(z, 0) - z * y + Float.log(1 + Float.exp(-abs(z)))), (1 / (1 + Float.exp(-z)) - y) / n)
            }
            let p = min(max(z, 1e-7), 1 - 1e-7)
            return (-Double(y * Float.log(p) + (1 - y) * Float.log(1 - p)), p == z ? (p - y) / (p * (1 - p)) / n : 0)
        }
        return (Float(total / Double(n)), grad)
    }

    func meanSquared(_ p: Tensor<Float>, _ y: Tensor<Float>) -> (Float, Tensor<Float>) {
        let n = Float(p.count)
        let (total, grad) = elementwise(p, y) { p, y in
            let d = p - y
            return (Double(d * d), 2 * d / n)
        }
        return (Float(total / Double(n)), grad)
    }
}
