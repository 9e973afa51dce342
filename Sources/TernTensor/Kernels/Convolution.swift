/// 2-D convolution helpers, NHWC layout (Keras `channels_last`).
///
/// Shapes: input `(batch, inH, inW, inC)`, kernel `(kH, kW, inC, outC)`,
/// bias `(outC)`, output `(batch, outH, outW, outC)`. The fast path is
/// `im2col` then one matrix product: `cols (batch·outH·outW × kH·kW·inC)`
/// times the kernel viewed as `(kH·kW·inC × outC)` is the output viewed as
/// `(batch·outH·outW × outC)`. The backward pass is `dCols = dOut · kernelᵀ`,
/// `dKernel = colsᵀ · dOut` and `col2imAccumulate(dCols)` for `dInput`.

/// Keras/TensorFlow padding modes for convolution and pooling windows.
///
/// - `valid`: no padding; `out = floor((in − k)/stride) + 1`.
/// - `same`: `out = ceil(in/stride)`, padded with
///   `pad_total = max((out − 1)·stride + k − in, 0)` zeros, `pad_total/2`
///   before (top/left) and the rest after (bottom/right).
public enum Padding: String, Codable, Sendable {
    case valid, same

    /// Output length and padding before, along one axis, for a window of
    /// `window` elements moved by `stride`; nil when the window does not fit.
    func outputLength(input: Int, window: Int, stride: Int) -> (length: Int, padBefore: Int)? {
        switch self {
        case .valid:
            guard window <= input else { return nil }
            return ((input - window) / stride + 1, 0)
        case .same:
            let out = (input - 1) / stride + 1
            let total = max((out - 1) * stride + window - input, 0)
            return (out, total / 2)
        }
    }
}

/// The sizes of one 2-D convolution, validated once so that the kernels can
/// index without checks.
public struct Conv2DGeometry: Sendable, Equatable {
    public let batch, inH, inW, inC: Int
    public let kH, kW, outC: Int
    public let strideH, strideW: Int
    public let padding: Padding
    /// Output height and width.
    public let outH, outW: Int
    /// Zero rows above / columns left of the input (more go below / right).
    public let padTop, padLeft: Int

    /// - Throws: ``TensorError/invalidArgument(op:reason:)`` for a non-positive
    ///   size or stride, or (with `valid` padding) a kernel larger than the
    ///   input; ``TensorError/invalidShape(_:reason:)`` when a buffer would
    ///   exceed `Int32.max` elements.
    public init(
        batch: Int, inH: Int, inW: Int, inC: Int, kH: Int, kW: Int, outC: Int,
        strideH: Int = 1, strideW: Int = 1, padding: Padding = .valid
    ) throws {
        let op = "Conv2DGeometry"
        for (name, value) in [("batch", batch), ("input height", inH), ("input width", inW), ("input channels", inC),
                              ("kernel height", kH), ("kernel width", kW), ("output channels", outC),
                              ("stride height", strideH), ("stride width", strideW)] where value < 1 {
            throw TensorError.invalidArgument(op: op, reason: "\(name) must be positive, got \(value)")
        }
        _ = try Shape([batch, inH, inW, inC]).validated()
        _ = try Shape([kH, kW, inC, outC]).validated()
        guard let rows = padding.outputLength(input: inH, window: kH, stride: strideH) else {
            throw TensorError.invalidArgument(
                op: op, reason: "kernel height \(kH) is larger than the padded input height \(inH) (padding \(padding.rawValue))")
        }
        guard let columns = padding.outputLength(input: inW, window: kW, stride: strideW) else {
            throw TensorError.invalidArgument(
                op: op, reason: "kernel width \(kW) is larger than the padded input width \(inW) (padding \(padding.rawValue))")
        }
        (self.batch, self.inH, self.inW, self.inC) = (batch, inH, inW, inC)
        (self.kH, self.kW, self.outC, self.strideH, self.strideW) = (kH, kW, outC, strideH, strideW)
        self.padding = padding
        (outH, padTop) = rows
        (outW, padLeft) = columns
        _ = try outputShape.validated()
        _ = try Shape([colsRows, colsColumns]).validated()
    }

    /// Geometry for `input` `(batch, h, w, inC)` and `kernel` `(kH, kW, inC, outC)`.
    /// - Throws: ``TensorError/invalidShape(_:reason:)`` for ranks other than
    ///   4, ``TensorError/shapeMismatch(op:expected:actual:)`` for disagreeing
    ///   channel counts, and the errors of the memberwise initializer.
    public init(input: Shape, kernel: Shape, strideH: Int = 1, strideW: Int = 1, padding: Padding = .valid) throws {
        guard input.rank == 4 else {
            throw TensorError.invalidShape(input.dimensions, reason: "conv2d input must be (batch, height, width, channels)")
        }
        guard kernel.rank == 4 else {
            throw TensorError.invalidShape(kernel.dimensions, reason: "conv2d kernel must be (height, width, in channels, out channels)")
        }
        guard kernel[2] == input[3] else {
            throw TensorError.shapeMismatch(op: "conv2d kernel", expected: [kernel[0], kernel[1], input[3], kernel[3]], actual: kernel)
        }
        try self.init(batch: input[0], inH: input[1], inW: input[2], inC: input[3], kH: kernel[0], kW: kernel[1],
                      outC: kernel[3], strideH: strideH, strideW: strideW, padding: padding)
    }

    public var inputShape: Shape { [batch, inH, inW, inC] }
    public var kernelShape: Shape { [kH, kW, inC, outC] }
    public var outputShape: Shape { [batch, outH, outW, outC] }
    /// Rows of the im2col matrix: one per output pixel, `batch·outH·outW`.
    public var colsRows: Int { batch * outH * outW }
    /// Columns of the im2col matrix: one per kernel tap, `kH·kW·inC`.
    public var colsColumns: Int { kH * kW * inC }
    /// Multiply-adds of the forward pass, `colsRows·colsColumns·outC`.
    public var multiplyAdds: Int { colsRows * colsColumns * outC }
}

/// Visits every (output pixel, kernel row) pair whose input row is inside the
/// image, handing the body the im2col offset of that kernel row's segment,
/// the input offset of its first in-bounds tap, and the in-bounds tap range.
@inline(__always)
private func forEachSegment(
    _ g: Conv2DGeometry,
    _ body: (_ colOffset: Int, _ inputOffset: Int, _ firstTap: Int, _ endTap: Int) -> Void,
    outside: (_ colOffset: Int, _ length: Int) -> Void
) {
    let segment = g.kW * g.inC
    var row = 0
    for b in 0..<g.batch {
        for oy in 0..<g.outH {
            let y0 = oy * g.strideH - g.padTop
            for ox in 0..<g.outW {
                let x0 = ox * g.strideW - g.padLeft
                let firstTap = max(0, -x0), endTap = min(g.kW, g.inW - x0)
                for ky in 0..<g.kH {
                    let colOffset = row * g.colsColumns + ky * segment
                    let iy = y0 + ky
                    if iy < 0 || iy >= g.inH || firstTap >= endTap {
                        outside(colOffset, segment)
                        continue
                    }
                    if firstTap > 0 { outside(colOffset, firstTap * g.inC) }
                    let inputOffset = ((b * g.inH + iy) * g.inW + x0 + firstTap) * g.inC
                    body(colOffset + firstTap * g.inC, inputOffset, firstTap, endTap)
                    if endTap < g.kW { outside(colOffset + endTap * g.inC, (g.kW - endTap) * g.inC) }
                }
                row += 1
            }
        }
    }
}

/// Unfolds `input` `(batch, inH, inW, inC)` into `cols`, a row-major
/// `(batch·outH·outW) × (kH·kW·inC)` matrix whose row for output pixel
/// `(b, oy, ox)` holds the input patch under the kernel, ordered
/// `(ky, kx, c)` like the kernel's rows, with zeros for padding.
///
/// Cost: writes `colsRows·colsColumns` floats, one contiguous copy of
/// `(taps in bounds)·inC` floats per kernel row. `cols` must not overlap `input`.
public func im2col(input: UnsafePointer<Float>, geometry g: Conv2DGeometry, into cols: UnsafeMutablePointer<Float>) {
    forEachSegment(g, { colOffset, inputOffset, firstTap, endTap in
        (cols + colOffset).update(from: input + inputOffset, count: (endTap - firstTap) * g.inC)
    }, outside: { colOffset, length in
        (cols + colOffset).update(repeating: 0, count: length)
    })
}

/// The adjoint of ``im2col(input:geometry:into:)``: adds every entry of
/// `cols` into the input position it was copied from, so overlapping windows
/// sum (padding entries are dropped). `dInput` `(batch, inH, inW, inC)` is
/// added to, not overwritten: zero it first for a plain `col2im`.
///
/// Cost: `colsRows·colsColumns` additions.
public func col2imAccumulate(cols: UnsafePointer<Float>, geometry g: Conv2DGeometry, into dInput: UnsafeMutablePointer<Float>) {
    forEachSegment(g, { colOffset, inputOffset, firstTap, endTap in
        let source = cols + colOffset, target = dInput + inputOffset
        for i in 0..<(endTap - firstTap) * g.inC { target[i] += source[i] }
    }, outside: { _, _ in })
}

/// ``im2col(input:geometry:into:)`` on tensors.
/// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` unless
///   `input.shape == geometry.inputShape`.
public func im2col(_ input: Tensor<Float>, geometry: Conv2DGeometry) throws -> Tensor<Float> {
    guard input.shape == geometry.inputShape else {
        throw TensorError.shapeMismatch(op: "im2col", expected: geometry.inputShape, actual: input.shape)
    }
    var cols = Tensor<Float>(uninitialized: [geometry.colsRows, geometry.colsColumns])
    input.withUnsafeBufferPointer { x in
        cols.withUnsafeMutableBufferPointer { c in
            guard let xBase = x.baseAddress, let cBase = c.baseAddress else { return }
            im2col(input: xBase, geometry: geometry, into: cBase)
        }
    }
    return cols
}

/// The input-shaped sum of `cols` (the adjoint of `im2col`), on tensors.
/// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` unless `cols`
///   is `(colsRows, colsColumns)`.
public func col2im(_ cols: Tensor<Float>, geometry: Conv2DGeometry) throws -> Tensor<Float> {
    let expected: Shape = [geometry.colsRows, geometry.colsColumns]
    guard cols.shape == expected else {
        throw TensorError.shapeMismatch(op: "col2im", expected: expected, actual: cols.shape)
    }
    var dInput = Tensor<Float>(zeros: geometry.inputShape)
    cols.withUnsafeBufferPointer { c in
        dInput.withUnsafeMutableBufferPointer { d in
            guard let cBase = c.baseAddress, let dBase = d.baseAddress else { return }
            col2imAccumulate(cols: cBase, geometry: geometry, into: dBase)
        }
    }
    return dInput
}

/// The reference convolution: seven nested loops straight from the
/// definition `out[b,oy,ox,o] = bias[o] + Σ_{ky,kx,c} in[b, oy·sh−padTop+ky,
/// ox·sw−padLeft+kx, c] · kernel[ky,kx,c,o]`, skipping padded taps. Slow
/// (`multiplyAdds` scalar steps, accumulated in Double); for tests.
/// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` when `input`,
///   `kernel` or `bias` disagree with `geometry`.
public func conv2dNaive(
    input: Tensor<Float>, kernel: Tensor<Float>, bias: Tensor<Float>?, geometry g: Conv2DGeometry
) throws -> Tensor<Float> {
    guard input.shape == g.inputShape else {
        throw TensorError.shapeMismatch(op: "conv2dNaive input", expected: g.inputShape, actual: input.shape)
    }
    guard kernel.shape == g.kernelShape else {
        throw TensorError.shapeMismatch(op: "conv2dNaive kernel", expected: g.kernelShape, actual: kernel.shape)
    }
    if let bias, bias.shape != [g.outC] {
        throw TensorError.shapeMismatch(op: "conv2dNaive bias", expected: [g.outC], actual: bias.shape)
    }
    let x = input.scalars, w = kernel.scalars, bv = bias?.scalars
    var out = Tensor<Float>(uninitialized: g.outputShape)
    out.withUnsafeMutableBufferPointer { y in
        for b in 0..<g.batch {
            for oy in 0..<g.outH {
                for ox in 0..<g.outW {
                    for o in 0..<g.outC {
                        var sum = Double(bv?[o] ?? 0)
                        for ky in 0..<g.kH {
                            let iy = oy * g.strideH - g.padTop + ky
                            guard iy >= 0, iy < g.inH else { continue }
                            for kx in 0..<g.kW {
                                let ix = ox * g.strideW - g.padLeft + kx
                                guard ix >= 0, ix < g.inW else { continue }
                                for c in 0..<g.inC {
                                    let xi = ((b * g.inH + iy) * g.inW + ix) * g.inC + c
                                    let wi = ((ky * g.kW + kx) * g.inC + c) * g.outC + o
                                    sum += Double(x[xi]) * Double(w[wi])
                                }
                            }
                        }
                        y[((b * g.outH + oy) * g.outW + ox) * g.outC + o] = Float(sum)
                    }
                }
            }
        }
    }
    return out
}
