import TernTensor

/// Stochastic gradient descent, Keras 3 semantics (defaults lr 0.01, no momentum):
/// with momentum `m = momentum * m - lr * g`, then `w += m`, or with Nesterov
/// `w += momentum * m - lr * g`; without, `w -= lr * g`.
public struct SGD: Optimizer {
    public struct Configuration: Sendable, Equatable {
        public var learningRate: LearningRate = .constant(0.01)
        public var momentum: Float = 0
        public var nesterov = false
        public init() {}
    }

    public var configuration: Configuration
    public private(set) var iterations = 0
    private var velocity: [Tensor<Float>] = []

    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    public mutating func update(parameters: inout [Parameter], gradients: [Tensor<Float>]) {
        let c = configuration
        let lr = c.learningRate.value(at: iterations)
        iterations += 1
        if c.momentum > 0 && velocity.isEmpty { velocity = parameters.map { Tensor(zeros: $0.value.shape) } }
        for i in parameters.indices where parameters[i].trainable {
            parameters[i].value.withUnsafeMutableBufferPointer { w in
                gradients[i].withUnsafeBufferPointer { g in
                    if c.momentum > 0 {
                        velocity[i].withUnsafeMutableBufferPointer { m in
                            for j in 0..<w.count {
                                m[j] = c.momentum * m[j] - lr * g[j]
                                w[j] += c.nesterov ? c.momentum * m[j] - lr * g[j] : m[j]
                            }
                        }
                    } else {
                        for j in 0..<w.count { w[j] -= lr * g[j] }
                    }
                }
            }
        }
    }
}
