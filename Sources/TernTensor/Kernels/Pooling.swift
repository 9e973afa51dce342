/// 2-D max and average pooling, NHWC layout (Keras `MaxPooling2D`,
/// `AveragePooling2D` with `channels_last`).
///
/// Shapes: input `(batch, inH, inW, channels)`, output
/// `(batch, outH, outW, channels)`; output sizes and padding follow
/// ``Padding``. Padded positions never take part: max pooling ignores them
/// (as if they were −∞) and average pooling divides by the number of real
/// input elements in the window, as TensorFlow does. Every window holds at
/// least one real element. Cost of each pass: `batch·outH·outW·channels·
/// poolH·poolW` comparisons or additions at most; the inner loop runs over
/// the contiguous channels.

/// The sizes of one 2-D pooling, validated once.
public struct Pool2DGeometry: Sendable, Equatable {
    public let batch, inH, inW, channels: Int
    public let poolH, poolW: Int
    public let strideH, strideW: Int
    public let padding: Padding
    public let outH, outW: Int
    public let padTop, padLeft: Int

    /// - Parameters:
    ///   - strideH: defaults to `poolH`, as in Keras (`strides=None`).
    ///   - strideW: defaults to `poolW`.
    /// - Throws: ``TensorError/invalidArgument(op:reason:)`` for a non-positive
    ///   size or stride, or (with `valid` padding) a window larger than the
    ///   input; ``TensorError/invalidShape(_:reason:)`` for oversized tensors.
    public init(
        batch: Int, inH: Int, inW: Int, channels: Int, poolH: Int, poolW: Int,
        strideH: Int? = nil, strideW: Int? = nil, padding: Padding = .valid
    ) throws {
        let op = "Pool2DGeometry"
        let sh = strideH ?? poolH, sw = strideW ?? poolW
        for (name, value) in [("batch", batch), ("input height", inH), ("input width", inW), ("channels", channels),
                              ("pool height", poolH), ("pool width", poolW),
                              ("stride height", sh), ("stride width", sw)] where value < 1 {
            throw TensorError.invalidArgument(op: op, reason: "\(name) must be positive, got \(value)")
        }
        _ = try Shape([batch, inH, inW, channels]).validated()
        _ = try Shape([poolH, poolW]).validated()
        guard let rows = padding.outputLength(input: inH, window: poolH, stride: sh) else {
            throw TensorError.invalidArgument(
                op: op, reason: "pool height \(poolH) is larger than the input height \(inH) (padding valid)")
        }
        guard let columns = padding.outputLength(input: inW, window: poolW, stride: sw) else {
            throw TensorError.invalidArgument(
                op: op, reason: "pool width \(poolW) is larger than the input width \(inW) (padding valid)")
        }
        (self.batch, self.inH, self.inW, self.channels) = (batch, inH, inW, channels)
        (self.poolH, self.poolW, self.strideH, self.strideW, self.padding) = (poolH, poolW, sh, sw, padding)
        (outH, padTop) = rows
        (outW, padLeft) = columns
    }

    /// Geometry for an input of shape `(batch, height, width, channels)`.
    /// - Throws: ``TensorError/invalidShape(_:reason:)`` unless the rank is 4,
    ///   and the errors of the memberwise initializer.
    public init(input: Shape, poolH: Int, poolW: Int, strideH: Int? = nil, strideW: Int? = nil,
                padding: Padding = .valid) throws {
        guard input.rank == 4 else {
            throw TensorError.invalidShape(input.dimensions, reason: "pooling input must be (batch, height, width, channels)")
        }
        try self.init(batch: input[0], inH: input[1], inW: input[2], channels: input[3], poolH: poolH, poolW: poolW,
                      strideH: strideH, strideW: strideW, padding: padding)
    }

    public var inputShape: Shape { [batch, inH, inW, channels] }
    public var outputShape: Shape { [batch, outH, outW, channels] }

    /// Calls `body(outputOffset, rows, columns, b)` for every output pixel,
    /// with the in-bounds input rows and columns of its window.
    @inline(__always)
    func forEachWindow(_ body: (_ outputOffset: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ b: Int) -> Void) {
        var outputOffset = 0
        for b in 0..<batch {
            for oy in 0..<outH {
                let y0 = oy * strideH - padTop
                let rows = max(0, y0)..<min(inH, y0 + poolH)
                for ox in 0..<outW {
                    let x0 = ox * strideW - padLeft
                    body(outputOffset, rows, max(0, x0)..<min(inW, x0 + poolW), b)
                    outputOffset += channels
                }
            }
        }
    }

    func check(_ op: String, _ shape: Shape, _ expected: Shape) throws {
        guard shape == expected else { throw TensorError.shapeMismatch(op: op, expected: expected, actual: shape) }
    }
}

/// Max pooling. Returns the output and, for every output element, the flat
/// index into `input` of the element chosen; on ties the first maximum in
/// the window (row-major order) wins. A NaN is chosen only when it is first.
/// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` unless
///   `input.shape == geometry.inputShape`.
public func maxPool2DForward(_ input: Tensor<Float>, geometry g: Pool2DGeometry) throws -> (output: Tensor<Float>, argmax: [Int32]) {
    try g.check("maxPool2DForward", input.shape, g.inputShape)
    var output = Tensor<Float>(uninitialized: g.outputShape)
    var argmax = [Int32](repeating: 0, count: g.outputShape.count)
    let c = g.channels
    input.withUnsafeBufferPointer { x in
        output.withUnsafeMutableBufferPointer { y in
            argmax.withUnsafeMutableBufferPointer { arg in
                g.forEachWindow { out, rows, columns, b in
                    let first = ((b * g.inH + rows.lowerBound) * g.inW + columns.lowerBound) * c
                    for k in 0..<c {
                        y[out + k] = x[first + k]
                        arg[out + k] = Int32(truncatingIfNeeded: first + k)
                    }
                    for iy in rows {
                        for ix in columns where iy != rows.lowerBound || ix != columns.lowerBound {
                            let base = ((b * g.inH + iy) * g.inW + ix) * c
                            for k in 0..<c where x[base + k] > y[out + k] {
                                y[out + k] = x[base + k]
                                arg[out + k] = Int32(truncatingIfNeeded: base + k)
                            }
                        }
                    }
                }
            }
        }
    }
    return (output, argmax)
}

/// Max pooling backward: each output gradient goes to the input element
/// `argmax` chose for it (summed when one input won several windows).
/// - Throws: ``TensorError/countMismatch(op:expected:actual:)`` when
///   `argmax` and `gradOutput` differ in count,
///   ``TensorError/invalidArgument(op:reason:)`` for an index outside
///   `inputShape`.
public func maxPool2DBackward(gradOutput: Tensor<Float>, argmax: [Int32], inputShape: Shape) throws -> Tensor<Float> {
    let op = "maxPool2DBackward"
    guard argmax.count == gradOutput.count else {
        throw TensorError.countMismatch(op: op, expected: gradOutput.count, actual: argmax.count)
    }
    let inputCount = try inputShape.validated().count
    var dInput = Tensor<Float>(zeros: inputShape)
    try gradOutput.withUnsafeBufferPointer { dy in
        try dInput.withUnsafeMutableBufferPointer { dx in
            for i in 0..<dy.count {
                let target = Int(argmax[i])
                guard target >= 0, target < inputCount else {
                    throw TensorError.invalidArgument(
                        op: op, reason: "argmax index \(target) at position \(i) is outside an input of \(inputCount) elements")
                }
                dx[target] += dy[i]
            }
        }
    }
    return dInput
}

/// Average pooling: each output is the mean of the real (unpadded) input
/// elements in its window.
/// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` unless
///   `input.shape == geometry.inputShape`.
public func avgPool2DForward(_ input: Tensor<Float>, geometry g: Pool2DGeometry) throws -> Tensor<Float> {
    try g.check("avgPool2DForward", input.shape, g.inputShape)
    var output = Tensor<Float>(zeros: g.outputShape)
    let c = g.channels
    input.withUnsafeBufferPointer { x in
        output.withUnsafeMutableBufferPointer { y in
            g.forEachWindow { out, rows, columns, b in
                for iy in rows {
                    for ix in columns {
                        let base = ((b * g.inH + iy) * g.inW + ix) * c
                        for k in 0..<c { y[out + k] += x[base + k] }
                    }
                }
                let n = Float(rows.count * columns.count)
                for k in 0..<c { y[out + k] /= n }
            }
        }
    }
    return output
}

/// Average pooling backward: each output gradient is shared equally among
/// the real input elements of its window.
/// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` unless
///   `gradOutput.shape == geometry.outputShape`.
public func avgPool2DBackward(gradOutput: Tensor<Float>, geometry g: Pool2DGeometry) throws -> Tensor<Float> {
    try g.check("avgPool2DBackward", gradOutput.shape, g.outputShape)
    var dInput = Tensor<Float>(zeros: g.inputShape)
    let c = g.channels
    gradOutput.withUnsafeBufferPointer { dy in
        dInput.withUnsafeMutableBufferPointer { dx in
            g.forEachWindow { out, rows, columns, b in
                let n = Float(rows.count * columns.count)
                for iy in rows {
                    for ix in columns {
                        let base = ((b * g.inH + iy) * g.inW + ix) * c
                        for k in 0..<c { dx[base + k] += dy[out + k] / n }
                    }
                }
            }
        }
    }
    return dInput
}
