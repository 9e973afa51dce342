import TernFormats
import TernTensor

/// Gemm and MatMul on FLOAT, through Tern's `gemm` kernel. A constant
/// right-hand side is laid out once, at preparation, as a row-major (K, N)
/// matrix (the layout `Dense` uses), so running is one kernel call.
extension ONNXOps {
    /// Gemm(A, B, C?): `alpha·op(A)·op(B) + beta·C`, op = transpose when
    /// `transA`/`transB`; C broadcasts to (M, N).
    static let gemm: Compiler = { context in
        let attributes = try context.attributes(allowed: ["alpha", "beta", "transA", "transB"])
        var alpha = try attributes.float("alpha", default: 1)
        let beta = try attributes.float("beta", default: 1)
        let transA = try attributes.flag("transA"), transB = try attributes.flag("transB")
        try context.expect(inputs: 2...3)

        // A constant B is stored as op(B) (K, N), pre-scaled by alpha.
        var fixedB: Tensor<Float>? = nil
        if let b = context.constant(1) {
            guard case var .float32(t) = b, t.rank == 2 else {
                throw context.invalid("B must be a FLOAT matrix, got \(b.dtype.onnxName) \(b.dims)")
            }
            if transB { t = transposed(t) }
            if alpha != 1 {
                t.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= alpha } }
                alpha = 1
            }
            fixedB = t
        }
        // A constant C is stored pre-scaled by beta.
        var fixedC: Tensor<Float>? = nil
        if let c = context.constant(2) {
            guard case var .float32(t) = c, t.rank <= 2 else {
                throw context.invalid("C must be a FLOAT tensor of rank at most 2, got \(c.dtype.onnxName) \(c.dims)")
            }
            if beta != 1 { t.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= beta } } }
            fixedC = t
        }
        let hasC = context.hasInput(2)
        let (weights, bias, scale) = (fixedB, fixedC, alpha)
        // A constant C that is one row of op(B)'s width.
        let biasRow: Bool = {
            guard let b = fixedB, let c = fixedC else { return false }
            return c.count == b.shape[1] && c.rank >= 1 && c.shape[c.rank - 1] == c.count
        }()
        // The common case (a Linear layer): constant weights and bias row, laid out once.
        if let fixedB, !transA, alpha == 1, biasRow || !hasC {
            let dense = PaddedDense(weights: fixedB, bias: biasRow ? fixedC : nil)
            return { inputs in
                let a = try input(inputs, 0, "A").requireFloat("A")
                guard a.rank == 2 else { throw ONNXKernelError("A must be a matrix, got shape \(a.shape)") }
                guard a.shape[1] == dense.k else {
                    throw ONNXKernelError("A \(a.shape) and B (\(transB ? "transposed to " : "")\([dense.k, dense.n])) do not multiply")
                }
                _ = try ONNXLimits.elementCount([a.shape[0], dense.n])
                return [.float32(dense.apply(a, rows: a.shape[0], outShape: [a.shape[0], dense.n]))]
            }
        }
        return { inputs in
            let a = try input(inputs, 0, "A").requireFloat("A")
            guard a.rank == 2 else { throw ONNXKernelError("A must be a matrix, got shape \(a.shape)") }
            let b: Tensor<Float>
            if let weights { b = weights } else {
                let given = try input(inputs, 1, "B").requireFloat("B")
                guard given.rank == 2 else { throw ONNXKernelError("B must be a matrix, got shape \(given.shape)") }
                b = transB ? transposed(given) : given
            }
            let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
            let n = b.shape[1]
            guard b.shape[0] == k else {
                throw ONNXKernelError("A \(a.shape)\(transA ? " (transposed)" : "") and B (\(transB ? "transposed to " : "")\(b.shape)) do not multiply")
            }
            var c: Tensor<Float>? = bias
            if bias == nil, hasC, let given = inputs[2] {
                var t = try given.requireFloat("C")
                if beta != 1 { t.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= beta } } }
                c = t
            }
            _ = try ONNXLimits.elementCount([m, n])
            var out = Tensor<Float>(uninitialized: Shape([m, n]))
            if scale == 1 {
                if biasRow, let bias {
                    // The common case (a Linear layer's bias): one copy per row.
                    bias.withUnsafeBufferPointer { src in
                        out.withUnsafeMutableBufferPointer { dst in
                            guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                            for row in 0..<m { (d + row * n).update(from: s, count: n) }
                        }
                    }
                } else if let c {
                    try fillBroadcast(c, into: &out)
                }
                multiply(a, transposeA: transA, b, m: m, n: n, k: k, into: &out, accumulate: c != nil)
            } else {
                // alpha·op(A)·op(B) (+ beta·C) when B is not constant.
                multiply(a, transposeA: transA, b, m: m, n: n, k: k, into: &out, accumulate: false)
                var addend = Tensor<Float>(zeros: [m, n])
                if let c { try fillBroadcast(c, into: &addend) }
                addend.withUnsafeBufferPointer { p in
                    out.withUnsafeMutableBufferPointer { y in for i in y.indices { y[i] = scale * y[i] + p[i] } }
                }
            }
            return [.float32(out)]
        }
    }

    /// out (m×n) = op(a)·b (+ out), b row-major (k×n).
    static func multiply(
        _ a: Tensor<Float>, transposeA: Bool, _ b: Tensor<Float>, m: Int, n: Int, k: Int,
        into out: inout Tensor<Float>, accumulate: Bool
    ) {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { y in
                    guard let xb = x.baseAddress, let wb = w.baseAddress, let yb = y.baseAddress else { return }
                    TernTensor.gemm(transposeA: transposeA, transposeB: false, m: m, n: n, k: k,
                                    a: xb, lda: max(1, transposeA ? m : k), b: wb, ldb: max(1, n),
                                    c: yb, ldc: max(1, n), accumulate: accumulate)
                }
            }
        }
    }

    /// Writes `c` broadcast (unidirectionally) to `out`'s shape into `out`.
    static func fillBroadcast(_ c: Tensor<Float>, into out: inout Tensor<Float>) throws {
        let shape = out.shape.dimensions
        let cShape = c.shape.dimensions
        let n = shape.last ?? 1
        let isRow = c.count == n && (cShape == [n] || cShape == [1, n])
        guard try isRow || cShape == shape || c.count == 1 || broadcastShape([shape, cShape]) == shape else {
            throw ONNXKernelError("C of shape \(c.shape) does not broadcast to \(shape)")
        }
        c.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress, dst.count > 0 else { return }
                if cShape == shape {
                    d.update(from: s, count: dst.count)
                } else if c.count == 1 {
                    d.update(repeating: s[0], count: dst.count)
                } else if isRow {
                    // A bias row: one copy per output row.
                    for row in 0..<(dst.count / n) { (d + row * n).update(from: s, count: n) }
                } else {
                    let sources = broadcastSources(cShape, to: shape)
                    for i in dst.indices { dst[i] = src[sources?[i] ?? i] }
                }
            }
        }
    }

    /// The transpose of a matrix.
    static func transposed(_ t: Tensor<Float>) -> Tensor<Float> {
        let (rows, columns) = (t.shape[0], t.shape[1])
        var out = Tensor<Float>(uninitialized: [columns, rows])
        t.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r0 in stride(from: 0, to: rows, by: 16) {
                    for c0 in stride(from: 0, to: columns, by: 16) {
                        for r in r0..<min(rows, r0 + 16) {
                            for c in c0..<min(columns, c0 + 16) { dst[c * rows + r] = src[r * columns + c] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// MatMul(A, B) with numpy semantics: 1-D operands are promoted to a row
    /// (A) or column (B) and the added axis removed; batch axes broadcast.
    static let matmul: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 2...2)
        if let b = context.constant(1), b.dtype != .float32 {
            throw context.invalid("B must be FLOAT, got \(b.dtype.onnxName)")
        }
        return { inputs in
            let a = try input(inputs, 0, "A").requireFloat("A")
            let b = try input(inputs, 1, "B").requireFloat("B")
            return [.float32(try batchedMatmul(a, b))]
        }
    }

    /// numpy `matmul` on FLOAT tensors.
    static func batchedMatmul(_ a: Tensor<Float>, _ b: Tensor<Float>) throws -> Tensor<Float> {
        guard a.rank >= 1, b.rank >= 1 else { throw ONNXKernelError("operands must have rank at least 1, got \(a.shape) and \(b.shape)") }
        let aShape = a.rank == 1 ? [1] + a.shape.dimensions : a.shape.dimensions
        let bShape = b.rank == 1 ? b.shape.dimensions + [1] : b.shape.dimensions
        let (m, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
        let (bk, n) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
        guard k == bk else { throw ONNXKernelError("shapes \(a.shape) and \(b.shape) do not multiply (\(k) != \(bk))") }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        var dropped: [Int] = []
        if a.rank == 1 { dropped.append(-2) }
        if b.rank == 1 { dropped.append(-1) }

        var outShape: [Int]
        var out: Tensor<Float>
        if bBatch.isEmpty {
            // One product: A's batch axes fold into its rows.
            outShape = aBatch + [m, n]
            _ = try ONNXLimits.elementCount(outShape)
            let rows = aBatch.reduce(1, *) * m
            out = Tensor<Float>(uninitialized: Shape(outShape))
            multiply(try a.reshaped([rows, k]), transposeA: false, try b.reshaped([k, n]), m: rows, n: n, k: k,
                     into: &out, accumulate: false)
        } else {
            let batch = try broadcastShape([aBatch, bBatch])
            outShape = batch + [m, n]
            _ = try ONNXLimits.elementCount(outShape)
            out = Tensor<Float>(uninitialized: Shape(outShape))
            let count = batch.reduce(1, *)
            let sa = broadcastSources(aBatch, to: batch), sb = broadcastSources(bBatch, to: batch)
            a.withUnsafeBufferPointer { x in
                b.withUnsafeBufferPointer { w in
                    out.withUnsafeMutableBufferPointer { y in
                        guard let xb = x.baseAddress, let wb = w.baseAddress, let yb = y.baseAddress else { return }
                        for i in 0..<count {
                            TernTensor.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k,
                                            a: xb + (sa?[i] ?? i) * m * k, lda: max(1, k),
                                            b: wb + (sb?[i] ?? i) * k * n, ldb: max(1, n),
                                            c: yb + i * m * n, ldc: max(1, n))
                        }
                    }
                }
            }
        }
        for axis in dropped { outShape.remove(at: outShape.count + axis) }
        return try out.reshaped(Shape(outShape))
    }
}
