import TernTensor

/// ONNX's `TensorProto.DataType` numbers (facts from the spec) and Tern's
/// element types. Every fixed-size ``DType`` has an ONNX number; ONNX types
/// Tern does not hold (STRING tensors, BFLOAT16, complex, 8-bit floats, 4-bit
/// integers) have none, and the loader refuses them naming the tensor.
extension DType {
    /// The ``DType`` of ONNX data type `code`, or nil for a type the
    /// executor does not compute on (STRING among them).
    public init?(onnxCode code: Int32) {
        switch code {
        case 1: self = .float32
        case 2: self = .uint8
        case 3: self = .int8
        case 4: self = .uint16
        case 5: self = .int16
        case 6: self = .int32
        case 7: self = .int64
        case 9: self = .bool
        case 10: self = .float16
        case 11: self = .float64
        case 12: self = .uint32
        case 13: self = .uint64
        default: return nil
        }
    }

    /// The ONNX data type number.
    public var onnxCode: Int32 {
        switch self {
        case .float32: return 1
        case .uint8: return 2
        case .int8: return 3
        case .uint16: return 4
        case .int16: return 5
        case .int32: return 6
        case .int64: return 7
        case .string: return 8
        case .bool: return 9
        case .float16: return 10
        case .float64: return 11
        case .uint32: return 12
        case .uint64: return 13
        }
    }

    /// The spec's upper-case name ("FLOAT", "INT64", ...), as messages say it.
    public var onnxName: String { onnxDataTypeName(onnxCode) }
}

/// An ONNX data type number as the spec names it, for messages.
public func onnxDataTypeName(_ code: Int32) -> String {
    let names: [Int32: String] = [
        0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
        8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64",
        15: "COMPLEX128", 16: "BFLOAT16", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2",
        20: "FLOAT8E5M2FNUZ", 21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1",
    ]
    return names[code] ?? "\(code)"
}
