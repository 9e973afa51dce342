import TernFormats
import TernTensor

/// numpy-style ("multidirectional") broadcasting, as ONNX defines it:
/// shapes are aligned on their last dimension, and along each dimension the
/// sizes must be equal or one of them 1.

/// The broadcast shape of `shapes`, or an error naming them.
func broadcastShape(_ shapes: [[Int]]) throws -> [Int] {
    let rank = shapes.map(\.count).max() ?? 0
    var out = [Int](repeating: 1, count: rank)
    for shape in shapes {
        let offset = rank - shape.count
        for (i, d) in shape.enumerated() {
            let current = out[offset + i]
            if current == d || d == 1 { continue }
            guard current == 1 else {
                throw ONNXKernelError("shapes \(shapes.map { "\($0)" }.joined(separator: " and ")) cannot be broadcast together")
            }
            out[offset + i] = d
        }
    }
    _ = try ONNXLimits.elementCount(out)
    return out
}

/// For a value of `shape` broadcast to `out`, the flat source index of each
/// output element, or nil when `shape == out` (the identity).
func broadcastSources(_ shape: [Int], to out: [Int]) -> [Int]? {
    if shape == out { return nil }
    let count = out.reduce(1, *)
    let sourceCount = shape.reduce(1, *)
    if sourceCount == 1 { return [Int](repeating: 0, count: count) }
    let rank = out.count
    let padded = [Int](repeating: 1, count: rank - shape.count) + shape
    // A trailing block repeated over the leading dimensions (a bias row).
    if let first = padded.firstIndex(where: { $0 != 1 }), Array(padded[first...]) == Array(out[first...]) {
        return (0..<count).map { $0 % sourceCount }
    }
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for axis in stride(from: rank - 1, through: 0, by: -1) {
        strides[axis] = padded[axis] == 1 ? 0 : step
        step *= padded[axis]
    }
    return stridedSources(out, strides: strides)
}

/// `f(a[i], b[i])` over the broadcast of the two operands, into `out`
/// (which has the broadcast shape's element count).
@inline(__always)
func broadcastMap<A, B, R>(
    _ a: UnsafeBufferPointer<A>, _ aShape: [Int], _ b: UnsafeBufferPointer<B>, _ bShape: [Int],
    outShape: [Int], into out: UnsafeMutablePointer<R>, _ f: (A, B) -> R
) {
    let count = outShape.reduce(1, *)
    if aShape == bShape {
        for i in 0..<count { out[i] = f(a[i], b[i]) }
    } else if b.count == 1, aShape == outShape {
        let y = b[0]
        for i in 0..<count { out[i] = f(a[i], y) }
    } else if a.count == 1, bShape == outShape {
        let x = a[0]
        for i in 0..<count { out[i] = f(x, b[i]) }
    } else {
        let sa = broadcastSources(aShape, to: outShape), sb = broadcastSources(bShape, to: outShape)
        for i in 0..<count { out[i] = f(a[sa?[i] ?? i], b[sb?[i] ?? i]) }
    }
}

/// ``broadcastMap(_:_:_:_:outShape:into:_:)`` on tensors: `f` applied
/// elementwise over the broadcast of the two operands.
@inline(__always)
func broadcastTensors<A: TensorScalar, B: TensorScalar, R: TensorScalar>(
    _ a: Tensor<A>, _ b: Tensor<B>, _ f: (A, B) -> R
) throws -> Tensor<R> {
    let aShape = a.shape.dimensions, bShape = b.shape.dimensions
    let shape = try broadcastShape([aShape, bShape])
    var out = Tensor<R>(uninitialized: Shape(shape))
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { po in
                guard let base = po.baseAddress else { return }
                broadcastMap(pa, aShape, pb, bShape, outShape: shape, into: base, f)
            }
        }
    }
    return out
}
