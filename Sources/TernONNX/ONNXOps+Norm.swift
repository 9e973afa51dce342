import TernFormats
import TernTensor

/// BatchNormalization (inference) and LayerNormalization on FLOAT.
extension ONNXOps {
    /// BatchNormalization(X, scale, B, mean, var) in inference mode:
    /// `(x − mean)/√(var + ε)·scale + B` per channel (axis 1), computed as
    /// `x·a + b` with a and b folded once when the statistics are constant.
    static let batchNormalization: Compiler = { context in
        let attributes = try context.attributes(allowed: ["epsilon", "momentum", "training_mode"])
        let epsilon = try attributes.float("epsilon", default: 1e-5)
        _ = try attributes.float("momentum")
        if try attributes.flag("training_mode") {
            throw attributes.error("training_mode", "value 1 is not supported (inference only)")
        }
        try context.expect(inputs: 5...5)
        if context.node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
            throw context.invalid("running mean/variance outputs exist only in training mode, which is not supported")
        }
        var folded: (a: [Float], b: [Float])? = nil
        if let s = context.constant(1), let b = context.constant(2), let m = context.constant(3), let v = context.constant(4) {
            do { folded = try batchNormCoefficients(s, b, m, v, epsilon: epsilon) } catch let e as ONNXKernelError {
                throw context.invalid(e.reason)
            }
        }
        let fixed = folded
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            let (a, b) = try fixed ?? batchNormCoefficients(
                input(inputs, 1, "scale"), input(inputs, 2, "B"), input(inputs, 3, "mean"), input(inputs, 4, "var"),
                epsilon: epsilon)
            guard x.rank >= 2, x.shape[1] == a.count else {
                throw ONNXKernelError("X \(x.shape) must be (N, C, ...) with C = \(a.count)")
            }
            var y = x
            let channels = a.count
            let size = x.count / max(1, x.shape[0] * channels)
            y.withUnsafeMutableBufferPointer { p in
                var i = 0
                for _ in 0..<x.shape[0] {
                    for c in 0..<channels {
                        let (ac, bc) = (a[c], b[c])
                        for j in i..<(i + size) { p[j] = p[j] * ac + bc }
                        i += size
                    }
                }
            }
            return [.float32(y)]
        }
    }

    /// Per-channel `a = scale/√(var + ε)`, `b = B − mean·a`, in Double.
    static func batchNormCoefficients(
        _ scale: AnyTensor, _ bias: AnyTensor, _ mean: AnyTensor, _ variance: AnyTensor, epsilon: Float
    ) throws -> (a: [Float], b: [Float]) {
        let parts = [scale, bias, mean, variance]
        let n = scale.count
        guard parts.allSatisfy({ $0.dtype == .float32 && $0.rank == 1 && $0.count == n }) else {
            throw ONNXKernelError("scale, B, mean and var must be 1-D FLOAT tensors of one length, got \(parts.map { "\($0.dtype.onnxName) \($0.dims)" })")
        }
        let (s, b, m, v) = (scale.doubleScalars, bias.doubleScalars, mean.doubleScalars, variance.doubleScalars)
        var a = [Float](repeating: 0, count: n), shift = [Float](repeating: 0, count: n)
        for c in 0..<n {
            let factor = s[c] / (v[c] + Double(epsilon)).squareRoot()
            a[c] = Float(factor)
            shift[c] = Float(b[c] - m[c] * factor)
        }
        return (a, shift)
    }

    /// LayerNormalization(X, Scale, B?) (opset 17): each row over axes
    /// `axis...` normalised to mean 0 and variance 1, then scaled and
    /// shifted. Optional outputs Mean and InvStdDev.
    static let layerNormalization: Compiler = { context in
        let attributes = try context.attributes(allowed: ["axis", "epsilon", "stash_type"])
        let axis = try attributes.int("axis", default: -1)
        let epsilon = try attributes.float("epsilon", default: 1e-5)
        if let stash = try attributes.int("stash_type"), stash != 1 {
            throw attributes.error("stash_type", "value \(stash) is not supported (only 1, FLOAT)")
        }
        guard context.opset >= 17 else {
            throw context.invalid("LayerNormalization needs opset 17 or later (the graph has \(context.opset))")
        }
        try context.expect(inputs: 2...3, outputs: 1...3)
        return { inputs in
            let x = try input(inputs, 0, "X").requireFloat("X")
            let scale = try input(inputs, 1, "Scale").requireFloat("Scale")
            let bias = try inputs.count > 2 ? inputs[2]?.requireFloat("B") : nil
            let a = try normalizedAxis(axis, rank: x.rank)
            let rowShape = Array(x.shape.dimensions[a...])
            let rowLength = rowShape.reduce(1, *)
            let rows = x.count / max(1, rowLength)
            func sources(_ t: Tensor<Float>, _ what: String) throws -> [Int]? {
                guard try broadcastShape([rowShape, t.shape.dimensions]) == rowShape else {
                    throw ONNXKernelError("\(what) of shape \(t.shape) does not broadcast to \(rowShape)")
                }
                return broadcastSources(t.shape.dimensions, to: rowShape)
            }
            let scaleAt = try sources(scale, "Scale")
            let biasAt = try bias.map { try sources($0, "B") } ?? nil
            let statShape = Shape(Array(x.shape.dimensions[..<a]) + [Int](repeating: 1, count: x.rank - a))
            var y = Tensor<Float>(uninitialized: x.shape)
            var means = Tensor<Float>(uninitialized: statShape), inverse = Tensor<Float>(uninitialized: statShape)
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    means.withUnsafeMutableBufferPointer { mp in
                        inverse.withUnsafeMutableBufferPointer { ip in
                            let sp = scale.withUnsafeBufferPointer { Array($0) }
                            let bp = bias.map { $0.withUnsafeBufferPointer { Array($0) } }
                            for r in 0..<rows {
                                let base = r * rowLength
                                var sum: Double = 0
                                for j in 0..<rowLength { sum += Double(xp[base + j]) }
                                let mean = sum / Double(rowLength)
                                var squares: Double = 0
                                for j in 0..<rowLength {
                                    let d = Double(xp[base + j]) - mean
                                    squares += d * d
                                }
                                let inv = 1 / (squares / Double(rowLength) + Double(epsilon)).squareRoot()
                                mp[r] = Float(mean)
                                ip[r] = Float(inv)
                                for j in 0..<rowLength {
                                    var v = Float((Double(xp[base + j]) - mean) * inv) * sp[scaleAt?[j] ?? j]
                                    if let bp { v += bp[biasAt?[j] ?? j] }
                                    yp[base + j] = v
                                }
                            }
                        }
                    }
                }
            }
            return [.float32(y), .float32(means), .float32(inverse)]
        }
    }
}
