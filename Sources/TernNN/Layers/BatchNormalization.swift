import TernTensor

/// Batch normalisation over every axis but the last (channels), Keras
/// semantics: batch statistics (biased variance) in training, moving
/// averages at inference, `moving = momentum * moving + (1 - momentum) * batch`.
public struct BatchNormalization: Layer {
    public let name: String
    public let momentum: Float
    public let epsilon: Float
    private var channels = 0

    public init(name: String, momentum: Float = 0.99, epsilon: Float = 0.001) {
        self.name = name
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter]) {
        guard inputShape.rank >= 1 else { throw NNError.incompatibleShape(layer: name, reason: "needs at least one axis") }
        channels = inputShape[inputShape.rank - 1]
        return (inputShape, [
            Parameter(name: "\(name)/gamma", value: Tensor(repeating: 1, shape: [channels])),
            Parameter(name: "\(name)/beta", value: Tensor(zeros: [channels])),
            Parameter(name: "\(name)/moving_mean", value: Tensor(zeros: [channels]), trainable: false),
            Parameter(name: "\(name)/moving_variance", value: Tensor(repeating: 1, shape: [channels]), trainable: false),
        ])
    }

    /// y = gamma * (x - mean) * invStd + beta, per channel.
    private func normalize(_ input: Tensor<Float>, mean: [Float], invStd: [Float], gamma: Tensor<Float>, beta: Tensor<Float>) -> Tensor<Float> {
        var output = Tensor<Float>(uninitialized: input.shape)
        let c = channels
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                gamma.withUnsafeBufferPointer { g in
                    beta.withUnsafeBufferPointer { b in
                        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
                        for j in 0..<c { scale[j] = g[j] * invStd[j]; shift[j] = b[j] - mean[j] * scale[j] }
                        for row in 0..<(x.count / c) {
                            let base = row * c
                            for j in 0..<c { y[base + j] = x[base + j] * scale[j] + shift[j] }
                        }
                    }
                }
            }
        }
        return output
    }

    public func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float> {
        let mean = parameters[offset + 2].value.scalars
        let invStd = parameters[offset + 3].value.scalars.map { 1 / ($0 + epsilon).squareRoot() }
        return normalize(input, mean: mean, invStd: invStd, gamma: parameters[offset].value, beta: parameters[offset + 1].value)
    }

    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        let c = channels
        let rows = input.count / c
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        input.withUnsafeBufferPointer { x in
            var sum = [Double](repeating: 0, count: c)
            for row in 0..<rows { for j in 0..<c { sum[j] += Double(x[row * c + j]) } }
            for j in 0..<c { mean[j] = Float(sum[j] / Double(rows)) }
            var sq = [Double](repeating: 0, count: c)
            for row in 0..<rows { for j in 0..<c { let d = Double(x[row * c + j] - mean[j]); sq[j] += d * d } }
            for j in 0..<c { variance[j] = Float(sq[j] / Double(rows)) }
        }
        let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let output = normalize(input, mean: mean, invStd: invStd, gamma: parameters[offset].value, beta: parameters[offset + 1].value)
        let m = momentum
        parameters[offset + 2].value.withUnsafeMutableBufferPointer { mm in
            for j in 0..<c { mm[j] = m * mm[j] + (1 - m) * mean[j] }
        }
        parameters[offset + 3].value.withUnsafeMutableBufferPointer { mv in
            for j in 0..<c { mv[j] = m * mv[j] + (1 - m) * variance[j] }
        }
        return (output, LayerCache(tensors: [input, Tensor(mean), Tensor(invStd)]))
    }

    public func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>? {
        let input = cache.tensors[0], mean = cache.tensors[1].scalars, invStd = cache.tensors[2].scalars
        let c = channels
        let rows = input.count / c
        let gamma = parameters[offset].value.scalars
        var sumDy = [Float](repeating: 0, count: c), sumDyXhat = [Float](repeating: 0, count: c)
        input.withUnsafeBufferPointer { x in
            gradOutput.withUnsafeBufferPointer { dy in
                for row in 0..<rows {
                    for j in 0..<c {
                        let i = row * c + j
                        sumDy[j] += dy[i]
                        sumDyXhat[j] += dy[i] * (x[i] - mean[j]) * invStd[j]
                    }
                }
            }
        }
        gradients[offset] = Tensor(sumDyXhat)
        gradients[offset + 1] = Tensor(sumDy)
        guard needsInputGradient else { return nil }
        var gradInput = Tensor<Float>(uninitialized: input.shape)
        let n = Float(rows)
        input.withUnsafeBufferPointer { x in
            gradOutput.withUnsafeBufferPointer { dy in
                gradInput.withUnsafeMutableBufferPointer { dx in
                    for row in 0..<rows {
                        for j in 0..<c {
                            let i = row * c + j
                            let xhat = (x[i] - mean[j]) * invStd[j]
                            dx[i] = gamma[j] * invStd[j] / n * (n * dy[i] - sumDy[j] - xhat * sumDyXhat[j])
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
