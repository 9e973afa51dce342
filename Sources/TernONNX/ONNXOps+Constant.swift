import TernFormats
import TernTensor
/// Constants, copies and element type conversions.
extension ONNXOps {
    /// Constant: exactly one of `value` (a tensor), `value_float(s)` or
    /// `value_int(s)`; string and sparse constants are refused.
    static let constant: Compiler = { context in
        let attributes = try context.attributes(allowed: [
            "value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings", "sparse_value",
        ])
        try context.expect(inputs: 0...0)
        let given = context.node.attributes.keys.sorted()
        guard given.count == 1, let name = given.first else {
            throw context.invalid("needs exactly one value attribute, got \(given.isEmpty ? "none" : given.joined(separator: ", "))")
        }
        let value: AnyTensor
        switch name {
        case "value":
            guard let data = try attributes.tensor(name) else { throw attributes.error(name, "must be a tensor") }
            do { value = try AnyTensor(data) } catch let e as ONNXKernelError { throw attributes.error(name, e.reason) }
        case "value_float": value = .float32(Tensor(repeating: try attributes.float(name) ?? 0, shape: []))
        case "value_floats": value = .float32(Tensor(try attributes.floats(name) ?? []))
        case "value_int": value = .int64(Tensor(repeating: Int64(try attributes.int(name) ?? 0), shape: []))
        case "value_ints": value = .int64(Tensor(try attributes.ints(name)?.map(Int64.init) ?? []))
        default:
            throw attributes.error(name, "is not supported (string and sparse constants)")
        }
        return { _ in [value] }
    }

    /// ConstantOfShape(shape): a tensor of the given INT64 shape filled with
    /// the one-element `value` tensor (default FLOAT 0).
    static let constantOfShape: Compiler = { context in
        let attributes = try context.attributes(allowed: ["value"])
        try context.expect(inputs: 1...1)
        var fill = AnyTensor.float32(Tensor(zeros: [1]))
        if let data = try attributes.tensor("value") {
            guard data.count == 1 else { throw attributes.error("value", "must hold one element, got shape \(data.shape)") }
            do { fill = try AnyTensor(data).reshaped([1]) } catch let e as ONNXKernelError { throw attributes.error("value", e.reason) }
        }
        let element = fill
        return { inputs in
            let shapeValue = try input(inputs, 0, "shape")
            guard case let .int64(dims) = shapeValue, dims.rank == 1 else {
                throw ONNXKernelError("shape must be a 1-D INT64 tensor, got \(shapeValue.dtype.onnxName) \(shapeValue.dims)")
            }
            let shape = dims.scalars.map { Int(truncatingIfNeeded: $0) }
            let count = try ONNXLimits.elementCount(shape)
            return [try element.gathering([Int](repeating: 0, count: count), shape: shape)]
        }
    }

    static let identity: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 1...1)
        return { inputs in [try input(inputs, 0, "input")] }
    }

    /// Dropout at inference: the input unchanged, and optionally a mask of
    /// all `true`. A `training_mode` input that is true is refused.
    static let dropout: Compiler = { context in
        _ = try context.attributes(allowed: ["seed"])
        try context.expect(inputs: 1...3, required: 1, outputs: 1...2)
        let wantsMask = context.node.outputs.count > 1 && !context.node.outputs[1].isEmpty
        return { inputs in
            let x = try input(inputs, 0, "data")
            if inputs.count > 2, let mode = inputs[2] {
                guard case let .bool(flag) = mode, flag.count == 1 else {
                    throw ONNXKernelError("training_mode must be a single BOOL, got \(mode.dtype.onnxName) \(mode.dims)")
                }
                if flag[flat: 0] { throw ONNXKernelError("training mode is not supported (inference only)") }
            }
            guard wantsMask else { return [x] }
            return [x, .bool(Tensor(repeating: true, shape: x.shape))]
        }
    }
}
