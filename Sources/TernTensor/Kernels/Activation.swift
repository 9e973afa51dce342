import RealModule

/// The activation functions of the Keras layers Tern implements, by their
/// Keras names (`Dense(activation="leaky_relu")`).
///
/// All but `softmax` are elementwise. `softmax` normalises rows over the last
/// axis. Every function works in place on a `Float` buffer; the backward pass
/// turns `dL/dy` into `dL/dx`, also in place. What the backward pass reads:
///
/// | activation  | reads `output` (y) | reads `input` (x) |
/// |-------------|--------------------|-------------------|
/// | linear      | no                 | no                |
/// | relu        | yes                | no                |
/// | leaky_relu  | yes                | no                |
/// | sigmoid     | yes                | no                |
/// | tanh        | yes                | no                |
/// | softmax     | yes                | no                |
/// | gelu        | no                 | yes               |
///
/// so a layer may overwrite its pre-activation with the activation unless
/// ``backwardNeedsInput`` is true. Cost: O(count); `gelu` is scalar (it calls
/// `erfc`), the others run 16 lanes at a time.
public enum Activation: String, Codable, Sendable, CaseIterable {
    case linear, relu, sigmoid, tanh, softmax, gelu
    case leakyRelu = "leaky_relu"

    /// Keras 3's default negative slope for `leaky_relu` (Keras 2 used 0.3).
    public static let leakyReluAlpha: Float = 0.2

    /// Whether ``backward(output:input:gradient:rowLength:)`` reads `input`.
    public var backwardNeedsInput: Bool { self == .gelu }

    /// Applies the activation to `x` in place.
    /// - Parameter rowLength: the length of the last axis, used by `softmax`
    ///   only (nil: the whole buffer is one row). Must divide `x.count`.
    public func forward(_ x: UnsafeMutableBufferPointer<Float>, rowLength: Int? = nil) {
        switch self {
        case .linear: break
        case .relu: ActivationKernels.relu(x)
        case .leakyRelu: ActivationKernels.leakyRelu(x, alpha: Self.leakyReluAlpha)
        case .sigmoid: ActivationKernels.sigmoid(x)
        case .tanh: ActivationKernels.tanh(x)
        case .gelu: ActivationKernels.gelu(x)
        case .softmax: ActivationKernels.softmaxRows(x, rowLength: rowLength ?? x.count)
        }
    }

    /// Turns `gradient` from `dL/dy` into `dL/dx` in place, given the forward
    /// pass's `output` y and `input` x (see the table above for which is read;
    /// the other may be any buffer of the same length, e.g. the same one).
    public func backward(
        output: UnsafeBufferPointer<Float>, input: UnsafeBufferPointer<Float>,
        gradient: UnsafeMutableBufferPointer<Float>, rowLength: Int? = nil
    ) {
        switch self {
        case .linear: break
        case .relu: ActivationKernels.reluBackward(output: output, gradient: gradient)
        case .leakyRelu:
            ActivationKernels.leakyReluBackward(output: output, gradient: gradient, alpha: Self.leakyReluAlpha)
        case .sigmoid: ActivationKernels.sigmoidBackward(output: output, gradient: gradient)
        case .tanh: ActivationKernels.tanhBackward(output: output, gradient: gradient)
        case .gelu: ActivationKernels.geluBackward(input: input, gradient: gradient)
        case .softmax:
            ActivationKernels.softmaxRowsBackward(output: output, gradient: gradient, rowLength: rowLength ?? gradient.count)
        }
    }

    /// The activation of a tensor (softmax over its last axis), out of place.
    public func forward(_ x: Tensor<Float>) -> Tensor<Float> {
        var y = x
        let row = x.rank == 0 ? 1 : x.shape[x.rank - 1]
        guard x.count > 0, row > 0 else { return y }
        y.withUnsafeMutableBufferPointer { forward($0, rowLength: row) }
        return y
    }

    /// `dL/dx` for a tensor, given the forward `output`, `input` and `dL/dy`.
    /// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` unless the
    ///   three shapes agree.
    public func backward(output: Tensor<Float>, input: Tensor<Float>, gradient: Tensor<Float>) throws -> Tensor<Float> {
        let op = "Activation.\(rawValue).backward"
        guard output.shape == gradient.shape else {
            throw TensorError.shapeMismatch(op: op, expected: gradient.shape, actual: output.shape)
        }
        guard input.shape == gradient.shape else {
            throw TensorError.shapeMismatch(op: op, expected: gradient.shape, actual: input.shape)
        }
        var dx = gradient
        let row = dx.rank == 0 ? 1 : dx.shape[dx.rank - 1]
        guard dx.count > 0, row > 0 else { return dx }
        output.withUnsafeBufferPointer { y in
            input.withUnsafeBufferPointer { x in
                dx.withUnsafeMutableBufferPointer { backward(output: y, input: x, gradient: $0, rowLength: row) }
            }
        }
        return dx
    }
}

/// The elementwise activation kernels, in place on `Float` buffers. Backward
/// kernels take `gradient` = dL/dy and leave dL/dx in it.
public enum ActivationKernels {
    /// `max(x, 0)`.
    public static func relu(_ x: UnsafeMutableBufferPointer<Float>) {
        VectorKernels.relu(x)
    }

    /// `dy · [y > 0]` (the derivative at 0 is taken as 0, as TensorFlow does).
    public static func reluBackward(output y: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>) {
        VectorKernels.reluBackward(y, gradient)
    }

    /// `x` if `x > 0`, else `alpha·x`.
    public static func leakyRelu(_ x: UnsafeMutableBufferPointer<Float>, alpha: Float = Activation.leakyReluAlpha) {
        VectorKernels.leakyRelu(x, alpha)
    }

    /// `dy` where `y > 0`, else `alpha·dy`; needs `alpha > 0` (so the sign of
    /// y is the sign of x).
    public static func leakyReluBackward(
        output y: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>,
        alpha: Float = Activation.leakyReluAlpha
    ) {
        VectorKernels.leakyReluBackward(y, gradient, alpha)
    }

    /// `1 / (1 + e^-x)`, evaluated as `e^x/(1 + e^x)` for negative x so that
    /// nothing overflows.
    public static func sigmoid(_ x: UnsafeMutableBufferPointer<Float>) {
        VectorKernels.sigmoid(x)
    }

    /// `dy · y · (1 − y)`.
    public static func sigmoidBackward(output y: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>) {
        VectorKernels.sigmoidBackward(y, gradient)
    }

    /// `tanh(x)`: for `|x| < 0.625` the odd polynomial of Cephes' `tanhf`
    /// (no cancellation near 0), otherwise `(1 − t)/(1 + t)` with `t = e^(−2|x|)`.
    public static func tanh(_ x: UnsafeMutableBufferPointer<Float>) {
        VectorKernels.tanh(x)
    }

    /// `dy · (1 − y²)`.
    public static func tanhBackward(output y: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>) {
        VectorKernels.tanhBackward(y, gradient)
    }

    /// Exact GELU, `x·Φ(x) = ½·x·(1 + erf(x/√2))` (Keras' default,
    /// `approximate=False`), evaluated as `½·x·erfc(−x/√2)` in Double, so
    /// the small tail for negative x keeps its relative precision (the
    /// function's condition number there is about x²). Scalar, not vectorised.
    public static func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
        for i in x.indices { x[i] = Float(geluDouble(Double(x[i]))) }
    }

    /// `dy · (Φ(x) + x·φ(x))` with `φ(x) = e^(−x²/2)/√(2π)`; reads the input.
    public static func geluBackward(input x: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count >= gradient.count, "input shorter than gradient")
        for i in gradient.indices { gradient[i] *= Float(geluDerivativeDouble(Double(x[i]))) }
    }

    static func geluDouble(_ x: Double) -> Double { 0.5 * x * Double.erfc(-x * 0.5.squareRoot()) }

    static func geluDerivativeDouble(_ x: Double) -> Double {
        let cdf = 0.5 * Double.erfc(-x * 0.5.squareRoot())
        let pdf = Double.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
        return cdf + x * pdf
    }
}

