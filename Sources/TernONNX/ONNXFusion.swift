import TernFormats
import TernTensor

/// Graph-level fusions done once at preparation, for the patterns exporters
/// write around every layer. Each replaces two or three steps (and their
/// intermediate tensors) by one kernel computing the same values:
///
/// - `MatMul(X, W) → Add(·, b)` with a constant matrix W and a constant bias
///   row b (Keras / tf2onnx dense layers): the bias is written into the
///   output first and the product accumulated onto it, as Gemm does.
/// - `Cast(→ FLOAT) → Mul(·, s) [→ Add(·, o)]` with constant rank-0
///   scalars (pixel rescaling, as Tern's own exports write it): one pass.
///
/// An intermediate read by anything else, or a graph output, blocks the
/// fusion, so the values every remaining step sees are unchanged.
extension ONNXExecutor {
    typealias PreparedStep = (node: ONNXNode, kernel: ONNXKernel)

    static func fusing(_ prepared: [PreparedStep], constants: [String: AnyTensor], graphOutputs: Set<String>) -> [PreparedStep] {
        var readers: [String: Int] = [:]
        for (node, _) in prepared { for name in node.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        /// The single later step reading `value`, when fusing through it is safe.
        func soleReader(of value: String, after i: Int) -> Int? {
            guard readers[value] == 1, !graphOutputs.contains(value) else { return nil }
            return prepared.indices.first { $0 > i && prepared[$0].node.inputs.contains(value) }
        }
        /// The constant FLOAT operand of a binary node whose other operand is `value`.
        func constantOperand(_ node: ONNXNode, other value: String) -> Tensor<Float>? {
            guard node.inputs.count == 2 else { return nil }
            let other = node.inputs[0] == value ? node.inputs[1] : node.inputs[1] == value ? node.inputs[0] : nil
            guard let other, case let .float32(t)? = constants[other] else { return nil }
            return t
        }

        var result: [PreparedStep] = []
        var absorbed = Set<Int>()
        for (i, entry) in prepared.enumerated() where !absorbed.contains(i) {
            let node = entry.node
            if node.opType == "MatMul", node.inputs.count == 2, let product = node.outputs.first,
               case let .float32(weights)? = constants[node.inputs[1]], weights.rank == 2,
               let j = soleReader(of: product, after: i), prepared[j].node.opType == "Add",
               let bias = constantOperand(prepared[j].node, other: product),
               bias.count == weights.shape[1], bias.rank >= 1, bias.shape[bias.rank - 1] == bias.count, bias.rank <= 2 {
                absorbed.insert(j)
                var fused = node
                fused.outputs = prepared[j].node.outputs
                result.append((fused, matmulAddBias(weights: weights, bias: bias)))
                continue
            }
            if node.opType == "Cast", let cast = node.outputs.first, case .int(Int64(DType.float32.onnxCode))? = node.attributes["to"],
               let j = soleReader(of: cast, after: i), prepared[j].node.opType == "Mul",
               let scale = constantOperand(prepared[j].node, other: cast), scale.rank == 0 {
                var last = j
                var offset: Float = 0
                if let scaled = prepared[j].node.outputs.first, let k = soleReader(of: scaled, after: j), prepared[k].node.opType == "Add",
                   let shift = constantOperand(prepared[k].node, other: scaled), shift.rank == 0 {
                    offset = shift[flat: 0]
                    last = k
                }
                absorbed.insert(j)
                absorbed.insert(last)
                var fused = node
                fused.outputs = prepared[last].node.outputs
                result.append((fused, castScale(scale[flat: 0], offset)))
                continue
            }
            result.append(entry)
        }
        return result
    }

    /// `X·W + b` for X of shape (..., K): the bias row is copied into every
    /// output row, then the product accumulated onto it.
    static func matmulAddBias(weights: Tensor<Float>, bias: Tensor<Float>) -> ONNXKernel {
        let dense = PaddedDense(weights: weights, bias: bias)
        let k = dense.k
        return { inputs in
            let x = try input(inputs, 0, "A").requireFloat("A")
            inputs[0] = nil
            guard x.rank >= 1, x.shape[x.rank - 1] == k else {
                throw ONNXKernelError("shapes \(x.shape) and \([k, dense.n]) do not multiply")
            }
            let outShape = Array(x.shape.dimensions.dropLast()) + [dense.n]
            _ = try ONNXLimits.elementCount(outShape)
            return [.float32(dense.apply(x, rows: x.count / k, outShape: outShape))]
        }
    }

    /// `Float(x) · scale + offset` in one pass (scalar operands, so their
    /// order in the Mul and Add does not change the values). UINT8 inputs
    /// convert on the way; other types convert first, as Cast does.
    static func castScale(_ scale: Float, _ offset: Float) -> ONNXKernel {
        { inputs in
            let value = try input(inputs, 0, "input")
            inputs[0] = nil
            var out: Tensor<Float>
            if case let .uint8(x) = value {
                out = x.map { Float($0) * scale + offset }
            } else {
                out = try ONNXOps.convert(value, to: .float32).requireFloat("input")
                out.withUnsafeMutableBufferPointer { x in for i in x.indices { x[i] = x[i] * scale + offset } }
            }
            return [.float32(out)]
        }
    }
}

/// A constant weight matrix (K, N) and optional bias row, laid out once with
/// rows padded to a multiple of 16 floats: Tern's `gemm` then runs on it
/// without packing a copy of the weights on every call (which it must do for
/// widths such as 10). The product is computed at the padded width and the
/// first N columns kept.
struct PaddedDense: Sendable {
    let k: Int
    let n: Int
    let width: Int
    let weights: Tensor<Float>
    let bias: Tensor<Float>?

    init(weights: Tensor<Float>, bias: Tensor<Float>?) {
        (k, n) = (weights.shape[0], weights.shape[1])
        // Padding would also make narrow layers (n < 16) take the sparse
        // path's density scan, which costs more than packing saves for
        // single rows; the layout stays (K, N) as Dense keeps it.
        width = n
        let (k, n, width) = (k, n, width)
        var padded = Tensor<Float>(zeros: [k, width])
        weights.withUnsafeBufferPointer { src in
            padded.withUnsafeMutableBufferPointer { dst in
                for row in 0..<k { for c in 0..<n { dst[row * width + c] = src[row * n + c] } }
            }
        }
        self.weights = padded
        self.bias = bias.map { b in
            var row = Tensor<Float>(zeros: [width])
            b.withUnsafeBufferPointer { src in row.withUnsafeMutableBufferPointer { dst in for c in 0..<n { dst[c] = src[c] } } }
            return row
        }
    }

    /// `x·W (+ b)` for `rows` rows of `x` (each K values), shaped `outShape`
    /// (whose element count is rows·N).
    func apply(_ x: Tensor<Float>, rows: Int, outShape: [Int]) -> Tensor<Float> {
        var wide = Tensor<Float>(uninitialized: Shape(width == n ? outShape : [rows, width]))
        let (k, width) = (k, width)
        wide.withUnsafeMutableBufferPointer { y in
            guard let yb = y.baseAddress else { return }
            if let bias {
                bias.withUnsafeBufferPointer { b in
                    guard let bb = b.baseAddress else { return }
                    for row in 0..<rows { (yb + row * width).update(from: bb, count: width) }
                }
            }
            x.withUnsafeBufferPointer { a in
                weights.withUnsafeBufferPointer { w in
                    guard let ab = a.baseAddress, let wb = w.baseAddress else { return }
                    TernTensor.gemm(transposeA: false, transposeB: false, m: rows, n: width, k: k,
                                    a: ab, lda: k, b: wb, ldb: width, c: yb, ldc: width, accumulate: bias != nil)
                }
            }
        }
        if width == n { return wide }
        var out = Tensor<Float>(uninitialized: Shape(outShape))
        let n = self.n
        wide.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for row in 0..<rows { (d + row * n).update(from: s + row * width, count: n) }
            }
        }
        return out
    }
}
