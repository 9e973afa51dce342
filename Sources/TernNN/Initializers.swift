import TernTensor

/// Keras' default weight initialisers.
public enum Initializers {
    /// Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
    public static func glorotUniform(shape: Shape, fanIn: Int, fanOut: Int, rng: inout SeededGenerator) -> Tensor<Float> {
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        var t = Tensor<Float>(uninitialized: shape)
        t.withUnsafeMutableBufferPointer { buf in
            for i in 0..<buf.count { buf[i] = rng.nextFloat(in: -limit, limit) }
        }
        return t
    }
}
