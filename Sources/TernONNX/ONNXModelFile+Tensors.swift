import Foundation
import SwiftProtobuf
import TernTensor

/// Reading constant tensors (initializers and tensor attributes): the data
/// type mapped to ``DType``, the elements from whichever field holds them
/// as raw little-endian bytes, every count checked against the dimensions.
extension ONNXLoader {
    func tensor(_ t: ONNXProto_TensorProto, name: String) throws -> ONNXTensorData {
        func fail(_ reason: String) -> ONNXError { ONNXError.invalidTensor(name: name, reason: reason) }
        if t.dataLocation == .external || !t.externalData.isEmpty {
            throw ONNXError.unsupported("tensor '\(name)' keeps its data in an external file; Tern reads only self-contained models (re-save with all tensors inside the .onnx)")
        }
        guard t.hasDataType, t.dataType != 0 else { throw fail("no data type") }
        guard let dtype = DType(onnxCode: t.dataType) else {
            throw ONNXError.unsupported("tensor '\(name)' has data type \(onnxDataTypeName(t.dataType)) (Tern reads FLOAT, FLOAT16, DOUBLE, the integer types and BOOL)")
        }
        let size = dtype.byteSize

        var count = 1
        for d in t.dims {
            guard d >= 0 else { throw fail("negative dimension \(d) in \(t.dims)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(clamping: d))
            guard !overflow, d <= Int64(ONNXModelFile.maxElementCount), product <= ONNXModelFile.maxElementCount else {
                throw fail("dimensions \(t.dims) hold more than \(ONNXModelFile.maxElementCount) elements")
            }
            count = product
        }
        // Every element takes at least one byte of the file, whichever field holds it.
        guard count <= byteBudget else {
            throw fail("dimensions \(t.dims) declare \(count) elements, more than the file could hold")
        }
        let shape = t.dims.map { Int($0) }

        // Which fields hold data.
        var present: [String] = []
        if t.hasRawData { present.append("raw_data") }
        if !t.floatData.isEmpty { present.append("float_data") }
        if !t.int32Data.isEmpty { present.append("int32_data") }
        if !t.int64Data.isEmpty { present.append("int64_data") }
        if !t.doubleData.isEmpty { present.append("double_data") }
        if !t.uint64Data.isEmpty { present.append("uint64_data") }
        if !t.stringData.isEmpty { present.append("string_data") }
        guard present.count <= 1 else { throw fail("data in several fields (\(present.joined(separator: ", ")))") }

        if t.hasRawData {
            let expected = count * size
            guard t.rawData.count == expected else {
                throw fail("\(dtype.onnxName) \(t.dims) needs \(expected) bytes of raw_data, found \(t.rawData.count)")
            }
            var bytes = [UInt8](t.rawData)
            if dtype == .bool {
                for i in bytes.indices where bytes[i] > 1 { bytes[i] = 1 }
            }
            return ONNXTensorData(name: name, dtype: dtype, shape: shape, bytes: bytes)
        }

        // Which field the spec puts each type's elements in (when not in raw_data).
        let field: String
        switch dtype {
        case .float32: field = "float_data"
        case .float64: field = "double_data"
        case .int64: field = "int64_data"
        case .uint32, .uint64: field = "uint64_data"
        default: field = "int32_data"
        }
        if let other = present.first, other != field {
            throw fail("\(dtype.onnxName) data must be in \(field) or raw_data, found \(other)")
        }
        func checkCount(_ n: Int) throws {
            guard n == count else { throw fail("\(dtype.onnxName) \(t.dims) needs \(count) elements, \(field) has \(n)") }
        }
        let bytes: [UInt8]
        switch dtype {
        case .float32:
            try checkCount(t.floatData.count)
            bytes = littleEndianBytes(t.floatData.map(\.bitPattern))
        case .float64:
            try checkCount(t.doubleData.count)
            bytes = littleEndianBytes(t.doubleData.map(\.bitPattern))
        case .int64:
            try checkCount(t.int64Data.count)
            bytes = littleEndianBytes(t.int64Data)
        case .int32:
            try checkCount(t.int32Data.count)
            bytes = littleEndianBytes(t.int32Data)
        case .uint32, .uint64:
            try checkCount(t.uint64Data.count)
            if dtype == .uint32 {
                for (i, v) in t.uint64Data.enumerated() where v > UInt64(UInt32.max) {
                    throw fail("UINT32 element \(i) is \(v), outside 0...\(UInt32.max)")
                }
                bytes = littleEndianBytes(t.uint64Data.map { UInt32(truncatingIfNeeded: $0) })
            } else {
                bytes = littleEndianBytes(t.uint64Data)
            }
        default:
            // int8, uint8, bool, int16, uint16 and float16 (its bit pattern):
            // one element per int32_data entry, in the type's range.
            try checkCount(t.int32Data.count)
            let range: ClosedRange<Int32>
            switch dtype {
            case .int8: range = -128...127
            case .uint8: range = 0...255
            case .int16: range = -32768...32767
            case .uint16, .float16: range = 0...65535
            default: range = 0...1
            }
            if let i = t.int32Data.firstIndex(where: { !range.contains($0) }) {
                throw fail("\(dtype.onnxName) element \(i) is \(t.int32Data[i]), outside \(range)")
            }
            bytes = size == 1
                ? t.int32Data.map { UInt8(truncatingIfNeeded: $0) }
                : littleEndianBytes(t.int32Data.map { UInt16(truncatingIfNeeded: $0) })
        }
        return ONNXTensorData(name: name, dtype: dtype, shape: shape, bytes: bytes)
    }
}
