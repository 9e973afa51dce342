import TernTensor

/// RMSprop, Keras 3 semantics (lr 0.001, rho 0.9, epsilon 1e-7):
/// `s = rho * s + (1 - rho) * g²`; centered subtracts the squared mean gradient;
/// `increment = lr * g / sqrt(s + epsilon)`; with momentum
/// `m = momentum * m + increment`, `w -= m`, else `w -= increment`.
public struct RMSprop: Optimizer {
    public struct Configuration: Sendable, Equatable {
        public var learningRate: LearningRate = .constant(0.001)
        public var rho: Float = 0.9
        public var momentum: Float = 0
        public var epsilon: Float = 1e-7
        public var centered = false
        public init() {}
    }

    public var configuration: Configuration
    public private(set) var iterations = 0
    private var meanSquare: [Tensor<Float>] = []
    private var meanGradient: [Tensor<Float>] = []
    private var moment: [Tensor<Float>] = []

    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    public mutating func update(parameters: inout [Parameter], gradients: [Tensor<Float>]) {
        let c = configuration
        let lr = c.learningRate.value(at: iterations)
        iterations += 1
        if meanSquare.isEmpty {
            meanSquare = parameters.map { Tensor(zeros: $0.value.shape) }
            meanGradient = meanSquare
            moment = meanSquare
        }
        for i in parameters.indices where parameters[i].trainable {
            parameters[i].value.withUnsafeMutableBufferPointer { w in
                gradients[i].withUnsafeBufferPointer { g in
                    meanSquare[i].withUnsafeMutableBufferPointer { s in
                        meanGradient[i].withUnsafeMutableBufferPointer { a in
                            moment[i].withUnsafeMutableBufferPointer { m in
                                for j in 0..<w.count {
                                    s[j] = c.rho * s[j] + (1 - c.rho) * g[j] * g[j]
                                    var denominator = s[j]
                                    if c.centered {
                                        a[j] = c.rho * a[j] + (1 - c.rho) * g[j]
                                        denominator -= a[j] * a[j]
                                    }
                                    let increment = lr * g[j] / (denominator + c.epsilon).squareRoot()
                                    if c.momentum > 0 {
                                        m[j] = c.momentum * m[j] + increment
                                        w[j] -= m[j]
                                    } else {
                                        w[j] -= increment
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
