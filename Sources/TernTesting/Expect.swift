import Testing
import TernTensor

/// Records a failure unless `actual` and `expected` have the same shape and
/// every element satisfies `|a - e| <= atol + rtol * |e|`. The failure names
/// the tensor, its shape, the worst index and the largest difference.
public func expectClose(
    _ actual: Tensor<Float>, _ expected: Tensor<Float>,
    rtol: Float = 1e-5, atol: Float = 1e-6, _ name: String = "tensor",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record("\(name): shape \(actual.shape) != expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    let a = actual.scalars, e = expected.scalars
    var worst = -1
    var worstExcess: Float = 0
    var worstDiff: Float = 0
    for i in 0..<a.count {
        let diff = abs(a[i] - e[i])
        let excess = diff - (atol + rtol * abs(e[i]))
        if excess > worstExcess || (a[i].isNaN != e[i].isNaN) {
            worstExcess = max(excess, worstExcess); worst = i; worstDiff = diff
            if a[i].isNaN != e[i].isNaN { break }
        }
    }
    if worst >= 0 {
        Issue.record(
            "\(name) \(actual.shape): largest difference \(worstDiff) at flat index \(worst) (got \(a[worst]), expected \(e[worst]), rtol \(rtol), atol \(atol))",
            sourceLocation: sourceLocation)
    }
}

/// Scalar version of ``expectClose(_:_:rtol:atol:_:sourceLocation:)``.
public func expectClose(
    _ actual: Float, _ expected: Float, rtol: Float = 1e-5, atol: Float = 1e-6, _ name: String = "value",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let diff = abs(actual - expected)
    if !(diff <= atol + rtol * abs(expected)) {
        Issue.record("\(name): got \(actual), expected \(expected) (difference \(diff))", sourceLocation: sourceLocation)
    }
}

/// A tensor of the given shape filled from a seeded generator, uniform in [low, high).
public func randomTensor(_ shape: Shape, seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor<Float> {
    var rng = SeededGenerator(seed: seed)
    var t = Tensor<Float>(uninitialized: shape)
    t.withUnsafeMutableBufferPointer { buf in
        for i in 0..<buf.count { buf[i] = rng.nextFloat(in: low, high) }
    }
    return t
}

/// Shapes worth testing kernels on: scalars-like and size-1 dimensions,
/// odd sizes that do not divide vector widths, and a few larger ones.
public let awkwardMatrixSizes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (1, 7, 3), (5, 1, 9), (3, 17, 1), (13, 31, 29), (32, 128, 784), (33, 10, 128), (64, 65, 66), (100, 3, 257),
]
