import TernTensor

/// Shape and layout operators. They work on every element type; the ones
/// that only change the shape (Flatten, Reshape, Squeeze, Unsqueeze,
/// Identity) share the input's storage.
extension ONNXOps {
    /// Shape(data): the dimensions as a 1-D INT64 tensor, limited to
    /// `start..<end` (opset 15; negative values count from the end, clamped).
    static let shapeOp: Compiler = { context in
        let attributes = try context.attributes(allowed: ["start", "end"])
        let start = try attributes.int("start"), end = try attributes.int("end")
        try context.expect(inputs: 1...1)
        return { inputs in
            let shape = try input(inputs, 0, "data").dims
            let rank = shape.count
            func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + rank : v, 0), rank) }
            let lo = clamp(start ?? 0), hi = clamp(end ?? rank)
            let dims = lo < hi ? shape[lo..<hi].map(Int64.init) : []
            return [.int64(Tensor(dims))]
        }
    }

    /// Flatten(input): a matrix (product of dims before `axis`, product of the rest).
    static let flatten: Compiler = { context in
        let attributes = try context.attributes(allowed: ["axis"])
        let axis = try attributes.int("axis", default: 1)
        try context.expect(inputs: 1...1)
        return { inputs in
            let x = try input(inputs, 0, "input")
            let a = try normalizedAxis(axis, rank: x.rank, inclusive: true)
            return [try x.reshaped([x.dims[..<a].reduce(1, *), x.dims[a...].reduce(1, *)])]
        }
    }

    /// Reshape(data, shape): 0 copies the input dimension (unless
    /// `allowzero = 1`), one -1 is inferred.
    static let reshape: Compiler = { context in
        let attributes = try context.attributes(allowed: ["allowzero"])
        let allowZero = try attributes.flag("allowzero")
        try context.expect(inputs: 2...2)
        return { inputs in
            let x = try input(inputs, 0, "data")
            let requested = try input(inputs, 1, "shape")
            guard requested.rank == 1 else { throw ONNXKernelError("shape must be 1-D, got shape \(requested.dims)") }
            var dims = try requested.indexScalars("shape")
            var inferred: Int? = nil
            for (i, d) in dims.enumerated() {
                if d == -1 {
                    guard inferred == nil else { throw ONNXKernelError("shape \(dims) has more than one -1") }
                    inferred = i
                } else if d == 0 && !allowZero {
                    guard i < x.rank else { throw ONNXKernelError("shape \(dims) copies dimension \(i) of a rank-\(x.rank) input") }
                    dims[i] = x.dims[i]
                } else if d < 0 {
                    throw ONNXKernelError("shape \(dims) has a negative dimension")
                }
            }
            if let i = inferred {
                var known = 1
                for (j, d) in dims.enumerated() where j != i {
                    let (product, overflow) = known.multipliedReportingOverflow(by: d)
                    guard !overflow else { throw ONNXKernelError("shape \(dims) has more elements than can be counted") }
                    known = product
                }
                guard known > 0, x.count % known == 0 else {
                    throw ONNXKernelError("cannot reshape \(x.dims) (\(x.count) elements) to \(dims)")
                }
                dims[i] = x.count / known
            }
            // Counted with overflow checks: the dimensions come from the model or the request.
            guard (try? ONNXLimits.elementCount(dims)) == x.count else {
                throw ONNXKernelError("cannot reshape \(x.dims) (\(x.count) elements) to \(dims)")
            }
            return [try x.reshaped(dims)]
        }
    }

    /// Transpose(data): output axis i is input axis `perm[i]` (default: reversed).
    static let transpose: Compiler = { context in
        let attributes = try context.attributes(allowed: ["perm"])
        let perm = try attributes.ints("perm")
        if let perm, Set(perm) != Set(0..<perm.count) {
            throw attributes.error("perm", "\(perm) is not a permutation of 0..<\(perm.count)")
        }
        try context.expect(inputs: 1...1)
        return { inputs in
            let x = try input(inputs, 0, "data")
            let p = perm ?? Array((0..<x.rank).reversed())
            guard p.count == x.rank else { throw ONNXKernelError("perm \(p) does not match input rank \(x.rank)") }
            if p == Array(0..<x.rank) { return [x] }
            let inStrides = rowMajorStrides(x.dims)
            let shape = p.map { x.dims[$0] }
            return [try x.gathering(stridedSources(shape, strides: p.map { inStrides[$0] }), shape: shape)]
        }
    }

    /// Squeeze(data, axes?): removes the listed size-1 axes, or every size-1 axis.
    static let squeeze: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 1...2)
        return { inputs in
            let x = try input(inputs, 0, "data")
            let shape = x.dims
            var drop: Set<Int>
            if inputs.count > 1, let axesValue = inputs[1] {
                drop = []
                for a in try axesValue.indexScalars("axes") {
                    let axis = try normalizedAxis(a, rank: shape.count)
                    guard shape[axis] == 1 else {
                        throw ONNXKernelError("cannot squeeze axis \(a) of shape \(shape): its size is not 1")
                    }
                    drop.insert(axis)
                }
            } else {
                drop = Set(shape.indices.filter { shape[$0] == 1 })
            }
            return [try x.reshaped(shape.indices.filter { !drop.contains($0) }.map { shape[$0] })]
        }
    }

    /// Unsqueeze(data, axes): inserts size-1 axes at the listed positions of the output.
    static let unsqueeze: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 2...2)
        return { inputs in
            let x = try input(inputs, 0, "data")
            let listed = try input(inputs, 1, "axes").indexScalars("axes")
            let rank = x.rank + listed.count
            var inserted = Set<Int>()
            for a in listed {
                guard inserted.insert(try normalizedAxis(a, rank: rank)).inserted else {
                    throw ONNXKernelError("axes \(listed) repeat an axis")
                }
            }
            var shape: [Int] = []
            var next = x.dims.makeIterator()
            for axis in 0..<rank {
                guard inserted.contains(axis) else { shape.append(next.next() ?? 1); continue }
                shape.append(1)
            }
            return [try x.reshaped(shape)]
        }
    }

    /// Concat(inputs...): joined along `axis` (negative counts from the end).
    static let concat: Compiler = { context in
        let attributes = try context.attributes(allowed: ["axis"])
        guard let axis = try attributes.int("axis") else { throw attributes.error("axis", "is required") }
        try context.expect(inputs: 1...Int.max, required: context.inputCount)
        return { inputs in
            let parts = try inputs.indices.map { try input(inputs, $0, "input \($0)") }
            let first = parts[0].dims
            let a = try normalizedAxis(axis, rank: first.count)
            var shape = first
            shape[a] = 0
            for part in parts {
                var expected = first
                expected[a] = part.rank == first.count ? part.dims[a] : -1
                guard part.dims == expected else {
                    throw ONNXKernelError("input shapes \(parts.map(\.dims)) differ outside axis \(axis)")
                }
                shape[a] += part.dims[a]
            }
            if parts.count == 1 { return [parts[0]] }
            return [try AnyTensor.concatenating(parts, axis: a, shape: shape)]
        }
    }

    /// Slice(data, starts, ends, axes?, steps?) with ONNX's clamping:
    /// negative indices count from the end, out-of-range ones are clamped,
    /// negative steps walk backwards.
    static let slice: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 3...5)
        return { inputs in
            let x = try input(inputs, 0, "data")
            let starts = try input(inputs, 1, "starts").indexScalars("starts")
            let ends = try input(inputs, 2, "ends").indexScalars("ends")
            let axes = try inputs.count > 3 ? inputs[3]?.indexScalars("axes") : nil
            let steps = try inputs.count > 4 ? inputs[4]?.indexScalars("steps") : nil
            let n = starts.count
            guard ends.count == n, (axes?.count ?? n) == n, (steps?.count ?? n) == n else {
                throw ONNXKernelError("starts, ends, axes and steps must have the same length")
            }
            var shape = x.dims
            let inStrides = rowMajorStrides(shape)
            var strides = inStrides
            var offset = 0
            var seen = Set<Int>()
            for i in 0..<n {
                let axis = try normalizedAxis(axes?[i] ?? i, rank: shape.count)
                guard seen.insert(axis).inserted else { throw ONNXKernelError("axes \(axes ?? []) repeat an axis") }
                let given = steps?[i] ?? 1
                guard given != 0 else { throw ONNXKernelError("steps must not be 0") }
                let dim = x.dims[axis]
                // A step longer than the axis takes one element, as the axis's length does;
                // clamping keeps the arithmetic below in range for any given step.
                let reach = Swift.max(dim, 1)
                let step = given > 0 ? Swift.min(given, reach) : Swift.max(given, -reach)
                var start = starts[i], end = ends[i]
                if start < 0 { start += dim }
                if end < 0 { end += dim }
                let count: Int
                if step > 0 {
                    start = Swift.min(Swift.max(start, 0), dim)
                    end = Swift.min(Swift.max(end, 0), dim)
                    count = end > start ? (end - start + step - 1) / step : 0
                } else {
                    start = Swift.min(Swift.max(start, 0), dim - 1)
                    end = Swift.min(Swift.max(end, -1), dim - 1)
                    count = start > end ? (start - end - step - 1) / -step : 0
                }
                shape[axis] = count
                strides[axis] = inStrides[axis] * step
                if count > 0 { offset += start * inStrides[axis] }
            }
            return [try x.gathering(stridedSources(shape, strides: strides, offset: offset), shape: shape)]
        }
    }

    /// Gather(data, indices): picks entries of `axis` (negative indices
    /// count from the end); output shape data[..<axis] + indices + data[axis+1...].
    static let gather: Compiler = { context in
        let attributes = try context.attributes(allowed: ["axis"])
        let axis = try attributes.int("axis", default: 0)
        try context.expect(inputs: 2...2)
        return { inputs in
            let x = try input(inputs, 0, "data")
            let indicesValue = try input(inputs, 1, "indices")
            let indices = try indicesValue.indexScalars("indices")
            let a = try normalizedAxis(axis, rank: x.rank)
            let dim = x.dims[a]
            let outer = x.dims[..<a].reduce(1, *), inner = x.dims[(a + 1)...].reduce(1, *)
            let resolved = try indices.map { i in
                guard i >= -dim, i < dim else { throw ONNXKernelError("index \(i) is out of range for axis \(a) of size \(dim)") }
                return i < 0 ? i + dim : i
            }
            let shape = Array(x.dims[..<a]) + indicesValue.dims + Array(x.dims[(a + 1)...])
            _ = try ONNXLimits.elementCount(shape)
            var sources: [Int] = []
            sources.reserveCapacity(outer * resolved.count * inner)
            for o in 0..<outer {
                for i in resolved {
                    let base = (o * dim + i) * inner
                    for k in 0..<inner { sources.append(base + k) }
                }
            }
            return [try x.gathering(sources, shape: shape)]
        }
    }
}

/// Row-major strides of `shape`, in elements.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = s
        s *= shape[axis]
    }
    return strides
}

/// The flat source index `offset + Σ index[k]·strides[k]` of every element
/// of `shape`, in row-major order.
func stridedSources(_ shape: [Int], strides: [Int], offset: Int = 0) -> [Int] {
    let count = shape.reduce(1, *)
    var sources = [Int](repeating: 0, count: count)
    guard count > 0 else { return sources }
    if shape.isEmpty { return [offset] }
    var index = [Int](repeating: 0, count: shape.count)
    var position = offset
    let last = shape.count - 1
    var i = 0
    while i < count {
        let n = shape[last], s = strides[last]
        for j in 0..<n { sources[i + j] = position + j * s }
        i += n
        var axis = last - 1
        while axis >= 0 {
            index[axis] += 1
            position += strides[axis]
            if index[axis] < shape[axis] { break }
            position -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
    return sources
}
