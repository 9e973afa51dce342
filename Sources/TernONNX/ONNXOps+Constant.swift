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
        let value: ONNXValue
        switch name {
        case "value":
            let data = try attributes.tensor(name)!
            do { value = try ONNXValue(data) } catch let e as ONNXKernelError { throw attributes.error(name, e.reason) }
        case "value_float": value = .float(shape: [], [try attributes.float(name)!])
        case "value_floats":
            let v = try attributes.floats(name)!
            value = .float(shape: [v.count], v)
        case "value_int": value = .int64(shape: [], [Int64(try attributes.int(name)!)])
        case "value_ints":
            let v = try attributes.ints(name)!.map(Int64.init)
            value = .int64(shape: [v.count], v)
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
        var fill = ONNXValue.float(shape: [1], [0])
        if let data = try attributes.tensor("value") {
            guard data.count == 1 else { throw attributes.error("value", "must hold one element, got shape \(data.shape)") }
            do { fill = try ONNXValue(data).reshaped([1]) } catch let e as ONNXKernelError { throw attributes.error("value", e.reason) }
        }
        let element = fill
        return { inputs in
            let shapeValue = try input(inputs, 0, "shape")
            guard case let .int64(dims) = shapeValue, dims.shape.count == 1 else {
                throw ONNXKernelError("shape must be a 1-D INT64 tensor, got \(shapeValue.dataType.name) \(shapeValue.shape)")
            }
            let shape = dims.scalars.map { Int($0) }
            let count = try ONNXLimits.elementCount(shape)
            return [element.gathering([Int](repeating: 0, count: count), shape: shape)]
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
                    throw ONNXKernelError("training_mode must be a single BOOL, got \(mode.dataType.name) \(mode.shape)")
                }
                if flag.scalars[0] { throw ONNXKernelError("training mode is not supported (inference only)") }
            }
            guard wantsMask else { return [x] }
            return [x, .bool(ONNXArray(shape: x.shape, scalars: [Bool](repeating: true, count: x.count)))]
        }
    }

    /// Cast to FLOAT, DOUBLE, INT64, INT32, UINT8 or BOOL. Floating-point to
    /// integer conversions truncate toward zero; NaN and out-of-range values
    /// become the integer minimum (as x86 conversions do) before narrowing.
    static let cast: Compiler = { context in
        let attributes = try context.attributes(allowed: ["to", "saturate"])
        guard let code = try attributes.int("to") else { throw attributes.error("to", "is required") }
        let supported: [ONNXDataType] = [.float, .double, .int64, .int32, .uint8, .bool]
        guard let target = ONNXDataType(rawValue: Int32(truncatingIfNeeded: code)), supported.contains(target) else {
            let name = ONNXDataType(rawValue: Int32(truncatingIfNeeded: code))?.name ?? "\(code)"
            throw attributes.error("to", "target type \(name) is not supported")
        }
        _ = try attributes.flag("saturate", default: true)
        try context.expect(inputs: 1...1)
        return { inputs in [convert(try input(inputs, 0, "input"), to: target)] }
    }

    /// `value` converted to `target` (one of Cast's supported types).
    static func convert(_ value: ONNXValue, to target: ONNXDataType) -> ONNXValue {
        if value.dataType == target { return value }
        let shape = value.shape
        if target == .float {
            // One pass straight into the tensor (pixels are the common case).
            switch value {
            case let .uint8(a): return .float(floatTensor(shape, a.scalars) { Float($0) })
            case let .int64(a): return .float(floatTensor(shape, a.scalars) { Float($0) })
            case let .int32(a): return .float(floatTensor(shape, a.scalars) { Float($0) })
            case let .double(a): return .float(floatTensor(shape, a.scalars) { Float($0) })
            case let .bool(a): return .float(floatTensor(shape, a.scalars) { $0 ? 1 : 0 })
            case .float: return value
            }
        }
        // Integer sources convert through Int64 exactly; the rest through Double.
        let integers: [Int64]?
        switch value {
        case let .int64(a): integers = a.scalars
        case let .int32(a): integers = a.scalars.map(Int64.init)
        case let .uint8(a): integers = a.scalars.map(Int64.init)
        case let .bool(a): integers = a.scalars.map { $0 ? 1 : 0 }
        default: integers = nil
        }
        func asInt64() -> [Int64] { integers ?? value.doubleScalars.map(truncatedInt64) }
        switch target {
        case .float:
            if case let .double(a) = value { return .float(shape: shape, a.scalars.map { Float($0) }) }
            return .float(shape: shape, integers!.map { Float($0) })
        case .double:
            return .double(ONNXArray(shape: shape, scalars: integers?.map { Double($0) } ?? value.doubleScalars))
        case .int64: return .int64(ONNXArray(shape: shape, scalars: asInt64()))
        case .int32: return .int32(ONNXArray(shape: shape, scalars: asInt64().map { Int32(truncatingIfNeeded: $0) }))
        case .uint8: return .uint8(ONNXArray(shape: shape, scalars: asInt64().map { UInt8(truncatingIfNeeded: $0) }))
        case .bool:
            let flags = integers?.map { $0 != 0 } ?? value.doubleScalars.map { $0 != 0 }
            return .bool(ONNXArray(shape: shape, scalars: flags))
        default: preconditionFailure("unsupported Cast target \(target.name)")
        }
    }

    /// A FLOAT tensor of `shape` from `scalars` converted one by one.
    @inline(__always)
    static func floatTensor<T>(_ shape: [Int], _ scalars: [T], _ convert: (T) -> Float) -> Tensor<Float> {
        var out = Tensor<Float>(uninitialized: Shape(shape))
        out.withUnsafeMutableBufferPointer { dst in
            scalars.withUnsafeBufferPointer { src in
                for i in 0..<min(src.count, dst.count) { dst[i] = convert(src[i]) }
            }
        }
        return out
    }

    /// Truncation toward zero; NaN and values outside Int64 give Int64.min.
    static func truncatedInt64(_ x: Double) -> Int64 {
        guard x.isFinite, x >= -9.223372036854775808e18, x < 9.223372036854775807e18 else { return .min }
        return Int64(x)
    }
}
