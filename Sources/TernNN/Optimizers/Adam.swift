import TernTensor
import RealModule

/// Adam and AdamW, Keras 3 semantics: with `alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)`,
/// `m += (g - m)(1 - b1)`, `v += (g² - v)(1 - b2)`, `w -= alpha * m / (sqrt(v) + epsilon)`;
/// AdamW first decays `w -= w * weightDecay * lr`. The whole update is one
/// fused pass over each parameter.
public struct Adam: Optimizer {
    public struct Configuration: Sendable, Equatable {
        public var learningRate: LearningRate = .constant(0.001)
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        public var epsilon: Float = 1e-7
        /// Decoupled weight decay (AdamW); 0 for plain Adam. Keras' AdamW default is 0.004.
        public var weightDecay: Float = 0
        public init() {}
    }

    public var configuration: Configuration
    public private(set) var iterations = 0
    private var m: [Tensor<Float>] = []
    private var v: [Tensor<Float>] = []

    public init(_ configuration: Configuration = Configuration()) { self.configuration = configuration }

    public mutating func update(parameters: inout [Parameter], gradients: [Tensor<Float>]) {
        if m.isEmpty {
            m = parameters.map { Tensor(zeros: $0.value.shape) }
            v = m
        }
        iterations += 1
        let c = configuration
        let lr = c.learningRate.value(at: iterations - 1)
        let t = Float(iterations)
        let alpha = lr * (1 - Float.pow(c.beta2, t)).squareRoot() / (1 - Float.pow(c.beta1, t))
        let decay = c.weightDecay * lr
        for i in parameters.indices where parameters[i].trainable {
            parameters[i].value.withUnsafeMutableBufferPointer { w in
                m[i].withUnsafeMutableBufferPointer { m in
                    v[i].withUnsafeMutableBufferPointer { v in
                        gradients[i].withUnsafeBufferPointer { g in
                            forEachChunk(count: g.count, AdamStep(
                                w: w.baseAddress!, m: m.baseAddress!, v: v.baseAddress!, g: g.baseAddress!,
                                alpha: alpha, b1: c.beta1, b2: c.beta2, epsilon: c.epsilon, decay: decay))
                        }
                    }
                }
            }
        }
    }
}

/// One fused Adam pass over a range of a parameter.
///
/// `@unchecked Sendable`: the pointers refer to buffers the optimizer holds
/// exclusively for the duration of the update; chunks never overlap.
struct AdamStep: ChunkedWork, @unchecked Sendable {
    let w: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let g: UnsafePointer<Float>
    let alpha: Float, b1: Float, b2: Float, epsilon: Float, decay: Float

    /// Every element, the tail included, goes through the same 16-lane code,
    /// so a weight's update does not depend on how the work was split.
    func run(_ range: Range<Int>) {
        typealias V = FloatVector
        let c1 = V(repeating: 1 - b1), c2 = V(repeating: 1 - b2)
        let vAlpha = V(repeating: alpha), vEps = V(repeating: epsilon), vKeep = V(repeating: 1 - decay)
        var i = range.lowerBound
        while i < range.upperBound {
            let n = min(16, range.upperBound - i)
            if n == 16 {
                let gv = UnsafeRawPointer(g + i).loadUnaligned(as: V.self)
                var mv = UnsafeRawPointer(m + i).loadUnaligned(as: V.self)
                var vv = UnsafeRawPointer(v + i).loadUnaligned(as: V.self)
                let wv = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
                mv += (gv - mv) * c1
                vv += (gv * gv - vv) * c2
                UnsafeMutableRawPointer(m + i).storeBytes(of: mv, as: V.self)
                UnsafeMutableRawPointer(v + i).storeBytes(of: vv, as: V.self)
                UnsafeMutableRawPointer(w + i).storeBytes(of: wv * vKeep - vAlpha * mv / (vectorSquareRoot(vv) + vEps), as: V.self)
            } else {
                var gv = V(), mv = V(), vv = V(), wv = V()
                for j in 0..<n { gv[j] = g[i + j]; mv[j] = m[i + j]; vv[j] = v[i + j]; wv[j] = w[i + j] }
                mv += (gv - mv) * c1
                vv += (gv * gv - vv) * c2
                wv = wv * vKeep - vAlpha * mv / (vectorSquareRoot(vv) + vEps)
                for j in 0..<n { m[i + j] = mv[j]; v[i + j] = vv[j]; w[i + j] = wv[j] }
            }
            i += n
        }
    }
}
