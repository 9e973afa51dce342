import Foundation
import NIOCore
import TernFormats
import TernONNX
import TernServing
import TernSupport
import TernTensor

/// A checked V2 inference request for an ONNX model.
struct ONNXInferRequest {
    var id: String?
    var inputs: [String: AnyTensor]
    /// Output names asked for, in order (nil: every graph output).
    var requested: [String]?
}

/// V2 and TF Serving bodies for ONNX models: inputs by their graph names
/// and declared datatypes, every graph output (or those asked for) in the
/// answer, with their real names, datatypes and shapes.
enum ONNXCodec {
    /// The V2 datatypes an ONNX model can take and return.
    static func v2Type(_ type: DType) -> V2DataType? { V2DataType(rawValue: type.v2Name) }

    static func decodeInfer(_ root: JSONValue, binary: BinarySections?, model: ONNXModel, maxElements: Int) throws -> ONNXInferRequest {
        guard case let .object(body) = root else { throw V2Codec.bad("the request body must be a JSON object") }
        try V2Codec.allowOnly(["id", "parameters", "inputs", "outputs"], in: body, what: "request")
        var request = ONNXInferRequest(id: nil, inputs: [:], requested: nil)
        switch body["id"] {
        case nil: break
        case let .string(s)?: request.id = s
        case let other?: throw V2Codec.bad("'id' must be a string, got \(other.kind)")
        }
        try V2Codec.checkParameters(body["parameters"], field: "parameters")
        request.requested = try requestedOutputs(body["outputs"], model: model)
        let expected = model.inputInfos.map { "'\($0.name)'" }.joined(separator: ", ")
        guard case let .array(tensors)? = body["inputs"] else { throw V2Codec.bad("'inputs' must be a list of tensors: \(expected)") }
        var binary = binary
        for (i, item) in tensors.enumerated() {
            guard case let .object(tensor) = item else { throw V2Codec.bad("'inputs[\(i)]' must be an object") }
            try V2Codec.allowOnly(["name", "shape", "datatype", "parameters", "data"], in: tensor, what: "input tensor")
            guard case let .string(name)? = tensor["name"] else { throw V2Codec.bad("'inputs[\(i)].name' must be a string") }
            guard let info = model.inputInfos.first(where: { $0.name == name }) else {
                throw V2Codec.bad("unknown input '\(name.prefix(64))'; the model takes \(expected)")
            }
            guard request.inputs[name] == nil else { throw V2Codec.bad("input '\(name.prefix(64))' is given twice") }
            request.inputs[name] = try decodeTensor(tensor, info: info, field: "inputs[\(i)]", binary: &binary, maxElements: maxElements)
        }
        try binary?.finish()
        if let missing = model.inputInfos.first(where: { request.inputs[$0.name] == nil }) {
            throw V2Codec.bad("missing input '\(missing.name)'; the model takes \(expected)")
        }
        return request
    }

    /// `outputs`: names of graph outputs.
    private static func requestedOutputs(_ value: JSONValue?, model: ONNXModel) throws -> [String]? {
        guard let value else { return nil }
        let items: [JSONValue]
        switch value {
        case .numbers([]): return nil
        case let .array(list): items = list
        default: throw V2Codec.bad("'outputs' must be a list of objects")
        }
        return try items.enumerated().map { i, item in
            guard case let .object(output) = item else { throw V2Codec.bad("'outputs[\(i)]' must be an object") }
            try V2Codec.allowOnly(["name", "parameters"], in: output, what: "requested output")
            guard case let .string(name)? = output["name"] else { throw V2Codec.bad("'outputs[\(i)].name' must be a string") }
            guard model.outputInfos.contains(where: { $0.name == name }) else {
                throw V2Codec.bad("unknown output '\(name.prefix(64))'; the model has \(model.outputInfos.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
            try V2Codec.checkParameters(output["parameters"], field: "outputs[\(i)].parameters")
            return name
        }
    }

    /// One input tensor, from JSON `data` or a binary section, checked
    /// against the graph's declared datatype, rank and fixed dimensions.
    private static func decodeTensor(_ tensor: [String: JSONValue], info: ONNXValueInfo, field: String,
                                     binary: inout BinarySections?, maxElements: Int) throws -> AnyTensor {
        try V2Codec.checkParameters(tensor["parameters"], field: "\(field).parameters")
        guard case let .string(typeName)? = tensor["datatype"] else { throw V2Codec.bad("'\(field).datatype' must be a string") }
        guard let declared = v2Type(info.dtype) else {
            throw V2Codec.bad("input '\(info.name)' has datatype \(info.dtype.onnxName), which Tern cannot feed")
        }
        guard typeName == declared.rawValue else {
            throw V2Codec.bad("input '\(info.name)' is \(declared.rawValue), got '\(typeName.prefix(32))'")
        }
        let binarySize = try V2Binary.declaredSize(tensor["parameters"], field: "\(field).parameters")
        let shape = try V2Codec.readShape(tensor["shape"], field: field, allowScalar: true,
                                          maxElements: binarySize == nil ? maxElements : .max)
        try checkShape(shape, info: info, field: field)
        let count = shape.reduce(1, *)
        let values: [Double]
        if let binarySize {
            let bytes = try V2Binary.section(binarySize, hasData: tensor["data"] != nil, binary: &binary, field: field)
            try V2Binary.checkSize(binarySize, count: count, datatype: declared, shape: shape, field: field)
            guard count <= maxElements else { throw TensorJSON.tooMany(maxElements) }
            if declared == .FP32 { return .float32(try V2Binary.floats(bytes, shape: Shape(shape), field: field)) }
            if declared == .INT64 {
                let ints: [Int64] = bytes.withUnsafeReadableBytes { src in
                    (0..<count).map { Int64(littleEndian: src.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
                }
                return .int64(try Tensor(shape: Shape(shape), scalars: ints))
            }
            values = try V2Binary.doubles(bytes, datatype: declared, field: field)
        } else {
            guard let dataValue = tensor["data"] else { throw V2Codec.bad("missing '\(field).data'") }
            let dataField = "\(field).data"
            let data = try TensorJSON.flatten(dataValue, field: dataField, kind: declared == .BOOL ? .booleans : .numbers, limit: maxElements)
            // Any rectangular nesting with the shape's element count, row-major.
            if data.values.count != count {
                throw V2Codec.bad("'\(field).shape' \(shape) has \(count) elements but '\(dataField)' has \(data.values.count)")
            }
            values = data.values
        }
        try V2Codec.checkValues(values, datatype: declared, field: field)
        return try value(values, type: info.dtype, shape: shape)
    }

    /// Values (already checked for the type's range) as a value of `type`.
    static func value(_ values: [Double], type: DType, shape: [Int]) throws -> AnyTensor {
        let shape = Shape(shape)
        switch type {
        case .float64: return .float64(try Tensor(shape: shape, scalars: values))
        case .float16: return .float16(try Tensor(shape: shape, scalars: values.map { Float16($0) }))
        case .int64: return .int64(try Tensor(shape: shape, scalars: values.map { Int64($0) }))
        case .int32: return .int32(try Tensor(shape: shape, scalars: values.map { Int32($0) }))
        case .uint8: return .uint8(try Tensor(shape: shape, scalars: values.map { UInt8($0) }))
        case .bool: return .bool(try Tensor(shape: shape, scalars: values.map { $0 != 0 }))
        default: return .float32(try Tensor(shape: shape, scalars: values.lazy.map { Float($0) }))
        }
    }

    private static func checkShape(_ shape: [Int], info: ONNXValueInfo, field: String) throws {
        guard let declared = info.dimensions else { return }
        guard shape.count == declared.count else {
            throw V2Codec.bad("input '\(info.name)' has shape \(declared); '\(field).shape' \(shape) has rank \(shape.count)")
        }
        for (want, given) in zip(declared, shape) where want >= 0 && want != given {
            throw V2Codec.bad("input '\(info.name)' has shape \(declared); '\(field).shape' is \(shape)")
        }
    }

    // MARK: Responses

    /// The outputs asked for (or all), as V2 tensors.
    static func outputs(_ values: [String: AnyTensor], model: ONNXModel, requested: [String]?) -> [V2Output] {
        let names = requested ?? model.outputInfos.map(\.name)
        return names.compactMap { name in
            guard let value = values[name] else { return nil }
            return V2Output(name: name, datatype: value.dtype.v2Name, shape: value.shape.dimensions, values: .onnx(value))
        }
    }

    static func metadata(_ loaded: LoadedModel, _ model: ONNXModel, versions: [Int]) -> JSONValue {
        func describe(_ info: ONNXValueInfo) -> JSONValue {
            .object(["name": .string(info.name), "datatype": .string(info.dtype.v2Name),
                     "shape": .array((info.dimensions ?? []).map { .int(Int64($0)) })])
        }
        return .object([
            "name": .string(loaded.model),
            "versions": .array(versions.map { .string(String($0)) }),
            "platform": .string("onnx"),
            "inputs": .array(model.inputInfos.map(describe)),
            "outputs": .array(model.outputInfos.map(describe)),
        ])
    }

    /// The registry's description of an uploaded ONNX file (its `spec`).
    static func specJSON(_ model: ONNXModel) -> String {
        func describe(_ info: ONNXValueInfo) -> JSONValue {
            let shape: [JSONValue] = info.shape?.map {
                switch $0 {
                case let .fixed(n): return .int(Int64(n))
                case let .symbolic(name): return .string(name.isEmpty ? "?" : name)
                }
            } ?? []
            return .object(["name": .string(info.name), "datatype": .string(info.dtype.v2Name), "shape": .array(shape)])
        }
        let ops = Set(model.graph.nodes.map(\.opType)).sorted()
        return String(decoding: JSONValue.object([
            "format": .string("onnx"),
            "opset": .int(Int64(model.graph.opsetVersion)),
            "producer": .string(model.graph.producer),
            "inputs": .array(model.inputInfos.map(describe)),
            "outputs": .array(model.outputInfos.map(describe)),
            "operators": .array(ops.map { .string($0) }),
            "nodes": .int(Int64(model.graph.nodes.count)),
        ]).serialized(), as: UTF8.self)
    }

    // MARK: TF Serving

    /// `:predict` on a one-input ONNX model: `instances` (one sample per
    /// element, the batch dimension added) or `inputs` (the whole tensor,
    /// or an object naming the input). Answers the outputs per sample.
    static func decodePredict(_ root: JSONValue, model: ONNXModel, maxElements: Int) throws -> (inputs: [String: AnyTensor], columnar: Bool) {
        guard case let .object(body) = root else { throw V2Codec.bad("the request body must be a JSON object") }
        try V2Codec.allowOnly(["signature_name", "instances", "inputs"], in: body, what: "request")
        guard model.inputInfos.count == 1, let info = model.inputInfos.first else {
            throw V2Codec.bad("this ONNX model takes \(model.inputInfos.count) inputs; use the V2 protocol, which names each")
        }
        guard let type = v2Type(info.dtype) else { throw V2Codec.bad("input '\(info.name)' has datatype \(info.dtype.onnxName), which Tern cannot feed") }
        let columnar: Bool
        var tensorValue: JSONValue
        switch (body["instances"], body["inputs"]) {
        case let (instances?, nil): tensorValue = instances; columnar = false
        case let (nil, inputs?): tensorValue = inputs; columnar = true
        case (.some, .some): throw V2Codec.bad("the request cannot have both 'instances' and 'inputs'")
        case (nil, nil): throw V2Codec.bad("the request needs 'instances' (row format) or 'inputs' (columnar format)")
        }
        if case let .object(members) = tensorValue {
            guard members.count == 1, let named = members[info.name] else {
                throw V2Codec.bad("the model has one input, '\(info.name)'")
            }
            tensorValue = named
        }
        let field = columnar ? "inputs" : "instances"
        let data = try TensorJSON.flatten(tensorValue, field: field, kind: type == .BOOL ? .booleans : .numbers, limit: maxElements)
        try V2Codec.checkValues(data.values, datatype: type, field: field)
        var shape = data.nestedShape
        if let declared = info.dimensions, shape.count != declared.count, let batch = shape.first {
            // Flat samples: reshape to the declared per-sample dimensions.
            let sample = Array(declared.dropFirst())
            guard !sample.contains(-1), batch > 0, sample.reduce(1, *) * batch == data.values.count else {
                throw V2Codec.bad("'\(field)' has shape \(shape); input '\(info.name)' has \(declared.count) dimensions")
            }
            shape = [batch] + sample
        }
        try checkShape(shape, info: info, field: field)
        return ([info.name: try value(data.values, type: info.dtype, shape: shape)], columnar)
    }

    /// TF Serving's signature of an ONNX model: every input and output with
    /// its dtype (`DT_FLOAT`, `DT_INT64`, ...) and dimensions (-1 when symbolic).
    static func tfSignature(_ model: ONNXModel) -> JSONValue {
        func info(_ value: ONNXValueInfo) -> (String, JSONValue) {
            (value.name, .object([
                "dtype": .string("DT_" + (value.dtype == .float32 ? "FLOAT" : value.dtype.onnxName)),
                "tensor_shape": .object(["dim": .array((value.dimensions ?? []).map { .object(["size": .string(String($0))]) })]),
                "name": .string(value.name),
            ]))
        }
        return .object([
            "inputs": .object(Dictionary(uniqueKeysWithValues: model.inputInfos.map(info))),
            "outputs": .object(Dictionary(uniqueKeysWithValues: model.outputInfos.map(info))),
            "method_name": .string("tensorflow/serving/predict"),
        ])
    }

    /// TF Serving's answer: per-sample values of the single output, or per
    /// sample an object of every output.
    static func predictResponse(_ values: [String: AnyTensor], model: ONNXModel, columnar: Bool) -> JSONValue {
        let outputs = model.outputInfos.compactMap { info in values[info.name].map { (info.name, $0) } }
        if columnar {
            if outputs.count == 1 { return .object(["outputs": json(outputs[0].1)]) }
            return .object(["outputs": .object(Dictionary(uniqueKeysWithValues: outputs.map { ($0.0, json($0.1)) }))])
        }
        let batch = outputs.first.map { $0.1.shape.rank > 0 ? $0.1.shape[0] : 1 } ?? 0
        let rows: [JSONValue] = (0..<batch).map { row in
            if outputs.count == 1 { return json(outputs[0].1, row: row) }
            return .object(Dictionary(uniqueKeysWithValues: outputs.map { ($0.0, json($0.1, row: row)) }))
        }
        return .object(["predictions": .array(rows)])
    }

    /// A value as nested JSON lists (one sample's when `row` is given).
    static func json(_ value: AnyTensor, row: Int? = nil) -> JSONValue {
        var shape = value.shape.dimensions
        var flat = flatJSON(value)
        if let row, !shape.isEmpty {
            let per = shape.dropFirst().reduce(1, *)
            flat = Array(flat[row * per ..< (row + 1) * per])
            shape.removeFirst()
        }
        return nest(flat[...], shape[...])
    }

    private static func nest(_ flat: ArraySlice<JSONValue>, _ shape: ArraySlice<Int>) -> JSONValue {
        guard let first = shape.first else { return flat.first ?? .null }
        let rest = shape.dropFirst()
        let per = rest.reduce(1, *)
        if rest.isEmpty { return .array(Array(flat)) }
        return .array((0..<first).map { i in nest(flat[(flat.startIndex + i * per)..<(flat.startIndex + (i + 1) * per)], rest) })
    }

    /// The elements as JSON values.
    static func flatJSON(_ value: AnyTensor) -> [JSONValue] {
        switch value {
        case let .float32(t): return t.scalars.map { .float($0) }
        case let .float16(t): return t.scalars.map { .float(Float($0)) }
        case let .float64(t): return t.scalars.map { .double($0) }
        case let .bool(t): return t.scalars.map { .bool($0) }
        case let .string(t): return t.values.map { .string($0) }
        default: return value.doubleScalars.map { .int(Int64($0)) }
        }
    }

    /// Raw little-endian bytes of the elements (BOOL one byte each).
    static func rawBytes(_ value: AnyTensor, into out: inout [UInt8]) {
        value.withLittleEndianBytes { out.append(contentsOf: $0) }
    }
}
