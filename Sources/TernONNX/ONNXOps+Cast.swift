import TernTensor

/// Cast between every element type Tern holds (all of ONNX's fixed-size
/// types but BFLOAT16 and the 8-bit floats).
extension ONNXOps {
    /// Cast(input) to `to`. Floating-point to integer conversions truncate
    /// toward zero; NaN and values outside INT64 become the INT64 minimum (as
    /// x86 conversions do) before narrowing, which wraps. FLOAT16 rounds to
    /// nearest even. Any non-zero value, NaN included, is `true`.
    static let cast: Compiler = { context in
        let attributes = try context.attributes(allowed: ["to", "saturate"])
        guard let code = try attributes.int("to") else { throw attributes.error("to", "is required") }
        guard let narrow = Int32(exactly: code), let target = DType(onnxCode: narrow) else {
            throw attributes.error("to", "target type \(Int32(exactly: code).map(onnxDataTypeName) ?? "\(code)") is not supported")
        }
        _ = try attributes.flag("saturate", default: true)
        try context.expect(inputs: 1...1)
        return { inputs in [try convert(try input(inputs, 0, "input"), to: target)] }
    }

    /// `value` converted to `target`.
    static func convert(_ value: AnyTensor, to target: DType) throws -> AnyTensor {
        if value.dtype == target { return value }
        switch value {
        case let .bool(t): return try castInteger(t.map { UInt8($0 ? 1 : 0) }, to: target)
        case let .uint8(t): return try castInteger(t, to: target)
        case let .uint16(t): return try castInteger(t, to: target)
        case let .uint32(t): return try castInteger(t, to: target)
        case let .uint64(t): return try castInteger(t, to: target)
        case let .int8(t): return try castInteger(t, to: target)
        case let .int16(t): return try castInteger(t, to: target)
        case let .int32(t): return try castInteger(t, to: target)
        case let .int64(t): return try castInteger(t, to: target)
        case let .float16(t): return try castFloating(t, to: target)
        case let .float32(t): return try castFloating(t, to: target)
        case let .float64(t): return try castFloating(t, to: target)
        case .string: throw ONNXKernelError("cannot cast STRING")
        }
    }

    /// An integer tensor converted: integers wrap (two's complement), floats round to nearest.
    static func castInteger<S: TensorScalar & BinaryInteger>(_ t: Tensor<S>, to target: DType) throws -> AnyTensor {
        switch target {
        case .bool: return .bool(t.map { $0 != 0 })
        case .uint8: return .uint8(t.map { UInt8(truncatingIfNeeded: $0) })
        case .uint16: return .uint16(t.map { UInt16(truncatingIfNeeded: $0) })
        case .uint32: return .uint32(t.map { UInt32(truncatingIfNeeded: $0) })
        case .uint64: return .uint64(t.map { UInt64(truncatingIfNeeded: $0) })
        case .int8: return .int8(t.map { Int8(truncatingIfNeeded: $0) })
        case .int16: return .int16(t.map { Int16(truncatingIfNeeded: $0) })
        case .int32: return .int32(t.map { Int32(truncatingIfNeeded: $0) })
        case .int64: return .int64(t.map { Int64(truncatingIfNeeded: $0) })
        case .float16: return .float16(t.map { Float16($0) })
        case .float32: return .float32(t.map { Float($0) })
        case .float64: return .float64(t.map { Double($0) })
        case .string: throw ONNXKernelError("cannot cast to STRING")
        }
    }

    /// A floating-point tensor converted (see ``cast``).
    static func castFloating<S: TensorScalar & BinaryFloatingPoint>(_ t: Tensor<S>, to target: DType) throws -> AnyTensor {
        func integer(_ x: S) -> Int64 { truncatedInt64(Double(x)) }
        switch target {
        case .bool: return .bool(t.map { $0 != 0 })
        case .uint8: return .uint8(t.map { UInt8(truncatingIfNeeded: integer($0)) })
        case .uint16: return .uint16(t.map { UInt16(truncatingIfNeeded: integer($0)) })
        case .uint32: return .uint32(t.map { UInt32(truncatingIfNeeded: integer($0)) })
        case .uint64: return .uint64(t.map { UInt64(truncatingIfNeeded: integer($0)) })
        case .int8: return .int8(t.map { Int8(truncatingIfNeeded: integer($0)) })
        case .int16: return .int16(t.map { Int16(truncatingIfNeeded: integer($0)) })
        case .int32: return .int32(t.map { Int32(truncatingIfNeeded: integer($0)) })
        case .int64: return .int64(t.map { integer($0) })
        case .float16: return .float16(t.map { Float16($0) })
        case .float32: return .float32(t.map { Float($0) })
        case .float64: return .float64(t.map { Double($0) })
        case .string: throw ONNXKernelError("cannot cast to STRING")
        }
    }

    /// Truncation toward zero; NaN and values outside Int64 give Int64.min.
    static func truncatedInt64(_ x: Double) -> Int64 {
        guard x.isFinite, x >= -9.223372036854775808e18, x < 9.223372036854775807e18 else { return .min }
        return Int64(x)
    }
}
