import Foundation
import TernFormats
import TernTensor

/// ReduceSum, ReduceMean, ArgMax, Softmax and LogSoftmax.
extension ONNXOps {
    enum Reduction { case sum, mean }

    /// ReduceSum (axes input, opset 13) and ReduceMean (axes attribute
    /// before opset 18, input from 18). Empty axes reduce everything unless
    /// `noop_with_empty_axes = 1`, which returns the input.
    static func reduce(_ kind: Reduction) -> Compiler {
        { context in
            let axesAttribute = kind == .mean && context.opset < 18
            let attributes = try context.attributes(
                allowed: axesAttribute ? ["axes", "keepdims"] : ["keepdims", "noop_with_empty_axes"])
            let keepDims = try attributes.flag("keepdims", default: true)
            let noop = try attributes.flag("noop_with_empty_axes")
            let fixedAxes = try attributes.ints("axes")
            try context.expect(inputs: axesAttribute ? 1...1 : 1...2)
            return { inputs in
                let x = try input(inputs, 0, "data")
                var axes = fixedAxes ?? []
                if !axesAttribute, inputs.count > 1, let given = inputs[1] {
                    axes = try given.indexScalars("axes")
                }
                if axes.isEmpty && noop { return [x] }
                return [try reduce(kind, x, axes: axes, keepDims: keepDims)]
            }
        }
    }

    static func reduce(_ kind: Reduction, _ x: AnyTensor, axes listed: [Int], keepDims: Bool) throws -> AnyTensor {
        let shape = x.dims
        var reduced = Set<Int>()
        for a in listed {
            guard reduced.insert(try normalizedAxis(a, rank: shape.count)).inserted else {
                throw ONNXKernelError("axes \(listed) repeat an axis")
            }
        }
        if listed.isEmpty { reduced = Set(shape.indices) }
        let kept = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
        let outShape = keepDims ? kept : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] }
        let keptStrides = rowMajorStrides(kept)
        let destinations = stridedSources(shape, strides: shape.indices.map { reduced.contains($0) ? 0 : keptStrides[$0] })
        let outCount = kept.reduce(1, *)
        let size = outCount == 0 ? 0 : x.count / outCount
        func sums(_ values: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: outCount)
            for (i, d) in destinations.enumerated() { out[d] += values[i] }
            return kind == .mean ? out.map { $0 / Double(size) } : out
        }
        func integers<T: TensorScalar & FixedWidthInteger>(_ t: Tensor<T>) throws -> AnyTensor {
            var out = [T](repeating: 0, count: outCount)
            t.withUnsafeBufferPointer { p in for (i, d) in destinations.enumerated() { out[d] &+= p[i] } }
            if kind == .mean, size > 0 { out = out.map { $0 / T(size) } }
            return try .make(outShape, out)
        }
        switch x {
        case .float32: return try .make(outShape, sums(x.doubleScalars).map { Float($0) })
        case .float64: return try .make(outShape, sums(x.doubleScalars))
        case let .int64(t): return try integers(t)
        case let .int32(t): return try integers(t)
        default:
            throw ONNXKernelError("data must be FLOAT, DOUBLE, INT64 or INT32, got \(x.dtype.onnxName)")
        }
    }

    /// ArgMax(data): INT64 index of the largest element along `axis` (the
    /// first one on ties, or the last with `select_last_index = 1`).
    static let argMax: Compiler = { context in
        let attributes = try context.attributes(allowed: ["axis", "keepdims", "select_last_index"])
        let axis = try attributes.int("axis", default: 0)
        let keepDims = try attributes.flag("keepdims", default: true)
        let selectLast = try attributes.flag("select_last_index")
        try context.expect(inputs: 1...1)
        return { inputs in
            let x = try input(inputs, 0, "data")
            guard x.dtype != .bool, x.dtype != .string else {
                throw ONNXKernelError("data must be numeric, got \(x.dtype.onnxName)")
            }
            let a = try normalizedAxis(axis, rank: x.rank)
            let shape = x.dims
            let dim = shape[a]
            guard dim > 0 else { throw ONNXKernelError("cannot take ArgMax over an empty axis \(a) of \(shape)") }
            let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
            let values = x.doubleScalars
            var out = [Int64](repeating: 0, count: outer * inner)
            for o in 0..<outer {
                for k in 0..<inner {
                    let base = o * dim * inner + k
                    var best = 0
                    var bestValue = values[base]
                    for j in 1..<dim {
                        let v = values[base + j * inner]
                        if v > bestValue || (selectLast && v == bestValue) { best = j; bestValue = v }
                    }
                    out[o * inner + k] = Int64(best)
                }
            }
            var outShape = shape
            if keepDims { outShape[a] = 1 } else { outShape.remove(at: a) }
            return [try .make(outShape, out)]
        }
    }

    /// Softmax / LogSoftmax (opset 13) along one axis (default −1), with the
    /// maximum subtracted first; on the last axis Tern's row kernels run.
    static func softmax(log: Bool) -> Compiler {
        { context in
            let attributes = try context.attributes(allowed: ["axis"])
            let axis = try attributes.int("axis", default: -1)
            try context.expect(inputs: 1...1)
            return { inputs in
                // Taken out of the arguments, so `x` is unique and normalised in place.
                guard let taken = inputs[0].take() else { throw ONNXKernelError("input (input 0) is missing") }
                var x: Tensor<Float>
                let wasDouble: Bool
                switch consume taken {
                case let .float32(t): (x, wasDouble) = (t, false)
                case let .float64(t): (x, wasDouble) = (t.map { Float($0) }, true)
                case let other: throw ONNXKernelError("input must be FLOAT or DOUBLE, got \(other.dtype.onnxName)")
                }
                let a = try normalizedAxis(axis, rank: x.rank)
                let dim = x.shape.dimensions[a]
                let inner = x.shape.dimensions[(a + 1)...].reduce(1, *)
                if x.count > 0 {
                    if inner == 1 {
                        x.withUnsafeMutableBufferPointer {
                            log ? ActivationKernels.logSoftmaxRows($0, rowLength: dim) : ActivationKernels.softmaxRows($0, rowLength: dim)
                        }
                    } else {
                        x.withUnsafeMutableBufferPointer { stridedSoftmax($0, dim: dim, inner: inner, log: log) }
                    }
                }
                return [wasDouble ? .float64(x.map { Double($0) }) : .float32(x)]
            }
        }
    }

    /// Softmax over an axis of length `dim` whose elements are `inner` apart.
    static func stridedSoftmax(_ x: UnsafeMutableBufferPointer<Float>, dim: Int, inner: Int, log: Bool) {
        let outer = x.count / (dim * inner)
        for o in 0..<outer {
            for k in 0..<inner {
                let base = o * dim * inner + k
                var m = -Float.infinity
                for j in 0..<dim { m = Swift.max(m, x[base + j * inner]) }
                var sum: Float = 0
                for j in 0..<dim { sum += Foundation.exp(x[base + j * inner] - m) }
                if log {
                    let shift = m + Foundation.log(sum)
                    for j in 0..<dim { x[base + j * inner] -= shift }
                } else {
                    for j in 0..<dim { x[base + j * inner] = Foundation.exp(x[base + j * inner] - m) / sum }
                }
            }
        }
    }
}
