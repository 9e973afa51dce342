import TernTensor

/// Layout operators beyond the shape family: Expand.
extension ONNXOps {
    /// Expand(input, shape): the input broadcast (numpy rules) with `shape`;
    /// dimensions of 1 in `shape` keep the input's.
    static let expand: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 2...2)
        return { inputs in
            let x = try input(inputs, 0, "input")
            let requested = try input(inputs, 1, "shape")
            guard requested.rank == 1 else { throw ONNXKernelError("shape must be 1-D, got shape \(requested.dims)") }
            let dims = try requested.indexScalars("shape")
            guard dims.allSatisfy({ $0 >= 0 }) else { throw ONNXKernelError("shape \(dims) has a negative dimension") }
            let shape = try broadcastShape([x.dims, dims])
            guard let sources = broadcastSources(x.dims, to: shape) else { return [x] }
            return [try x.gathering(sources, shape: shape)]
        }
    }
}
