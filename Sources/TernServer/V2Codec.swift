import Foundation
import TernFormats
import TernONNX
import TernServing
import TernSupport
import TernTensor

/// The Open Inference Protocol (KServe V2) tensor datatypes.
enum V2DataType: String, CaseIterable {
    case BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BYTES

    /// The values an integer type holds, nil for the others.
    var integerRange: ClosedRange<Double>? {
        switch self {
        case .UINT8: return 0...Double(UInt8.max)
        case .UINT16: return 0...Double(UInt16.max)
        case .UINT32: return 0...Double(UInt32.max)
        case .UINT64: return 0...Double(UInt64.max)
        case .INT8: return Double(Int8.min)...Double(Int8.max)
        case .INT16: return Double(Int16.min)...Double(Int16.max)
        case .INT32: return Double(Int32.min)...Double(Int32.max)
        case .INT64: return Double(Int64.min)...Double(Int64.max)
        default: return nil
        }
    }

    /// The datatype of a model input.
    static func of(_ dtype: DType) -> V2DataType { dtype == .uint8 ? .UINT8 : .FP32 }
}

/// A checked V2 inference request.
struct V2InferRequest {
    var id: String?
    var input: ModelInput
    var batch: Int
}

/// Decodes V2 inference requests and encodes V2 responses.
///
/// The single input tensor may carry any name: Tern models have one input
/// (declared as `input` in metadata), and clients often send the name of
/// the layer they exported (`input_1`), so the name is not checked.
/// Request and tensor `parameters` are accepted and ignored, except those of
/// the binary tensor data extension (`binary_data_size` on inputs, read by
/// ``V2Binary``; `binary_data_output` and `binary_data` choosing binary
/// outputs, see ``BinaryOutputChoice``).
enum V2Codec {
    static let outputName = "output"
    static let inputName = "input"

    /// - Parameter binary: the binary part of the body, when the request
    ///   uses the binary tensor data extension.
    static func decodeInfer(_ root: JSONValue, binary: BinarySections? = nil, model: TernModel, maxElements: Int) throws -> V2InferRequest {
        guard case let .object(body) = root else { throw bad("the request body must be a JSON object") }
        try allowOnly(["id", "parameters", "inputs", "outputs"], in: body, what: "request")
        var id: String?
        switch body["id"] {
        case nil: break
        case let .string(s)?: id = s
        case let other?: throw bad("'id' must be a string, got \(other.kind)")
        }
        try checkParameters(body["parameters"], field: "parameters")
        try checkOutputs(body["outputs"])
        guard let inputsValue = body["inputs"] else { throw bad("missing 'inputs'") }
        guard case let .array(inputs) = inputsValue else {
            if case .numbers([]) = inputsValue { throw bad("'inputs' must hold exactly one tensor, got 0") }
            throw bad("'inputs' must be a list of tensors")
        }
        guard inputs.count == 1, case let .object(tensor) = inputs[0] else {
            throw bad(inputs.count == 1 ? "'inputs[0]' must be an object" : "'inputs' must hold exactly one tensor, got \(inputs.count)")
        }
        try allowOnly(["name", "shape", "datatype", "parameters", "data"], in: tensor, what: "input tensor")
        guard case .string? = tensor["name"] else { throw bad("'inputs[0].name' must be a string") }
        try checkParameters(tensor["parameters"], field: "inputs[0].parameters")
        guard case let .string(typeName)? = tensor["datatype"] else { throw bad("'inputs[0].datatype' must be a string") }
        guard let datatype = V2DataType(rawValue: typeName) else {
            throw bad("unknown datatype '\(typeName.prefix(32))'; expected one of \(V2DataType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if datatype == .BYTES || datatype == .FP16 {
            throw bad("datatype \(datatype.rawValue) is not supported by this model")
        }
        let binarySize = try V2Binary.declaredSize(tensor["parameters"], field: "inputs[0].parameters")
        // A binary input's shape is checked against its byte count before the
        // element limit, so a huge shape over a tiny body is a 400.
        let shape = try readShape(tensor["shape"], maxElements: binarySize == nil ? maxElements : .max)
        let sample = TensorJSON.sampleCount(model)
        let perSample = shape.dropFirst().reduce(1, *)
        guard perSample == sample else {
            throw bad("the model takes \(sample) values per sample (shape \(model.spec.input.shape.dimensions)); 'shape' \(shape) has \(perSample)")
        }
        if let binarySize {
            var binary = binary
            let field = "inputs[0]"
            let bytes = try V2Binary.section(binarySize, hasData: tensor["data"] != nil, binary: &binary, field: field)
            let count = shape.reduce(1, *)
            try V2Binary.checkSize(binarySize, count: count, datatype: datatype, shape: shape, field: field)
            guard count <= maxElements else { throw TensorJSON.tooMany(maxElements) }
            try binary?.finish()
            let input = try V2Binary.modelInput(bytes, datatype: datatype, batch: shape[0], model: model, field: field)
            return V2InferRequest(id: id, input: input, batch: shape[0])
        }
        try binary?.finish()
        guard let dataValue = tensor["data"] else { throw bad("missing 'inputs[0].data'") }
        let field = "inputs[0].data"
        let data = try TensorJSON.flatten(dataValue, field: field, kind: datatype == .BOOL ? .booleans : .numbers, limit: maxElements)
        // Flat is the canonical form; any rectangular nesting with the
        // shape's element count is read in row-major order (as Triton does).
        let expected = shape.reduce(1, *)
        guard data.values.count == expected else {
            throw bad("'shape' \(shape) has \(expected) elements but '\(field)' has \(data.values.count)")
        }
        try checkValues(data.values, datatype: datatype, field: field)
        let integral = datatype == .BOOL || datatype.integerRange != nil
        let input = try TensorJSON.modelInput(data.values, batch: shape[0], model: model, preferBytes: integral, field: field)
        return V2InferRequest(id: id, input: input, batch: shape[0])
    }

    /// `shape`: non-negative integers with an overflow-checked product
    /// within the element limit, and (unless `allowScalar`) at least the
    /// batch dimension.
    /// - Parameter field: the tensor's name in messages (`inputs[0]`).
    static func readShape(_ value: JSONValue?, field: String = "inputs[0]", allowScalar: Bool = false,
                          maxElements: Int) throws -> [Int] {
        guard case let .numbers(dims)? = value else { throw bad("'\(field).shape' must be a list of integers") }
        guard allowScalar || !dims.isEmpty else { throw bad("'\(field).shape' needs at least the batch dimension") }
        var shape: [Int] = []
        var total = 1
        for d in dims {
            guard d.rounded(.towardZero) == d, d.isFinite else { throw bad("'\(field).shape' must hold integers") }
            guard d >= 0 else { throw bad("'\(field).shape' has a negative dimension") }
            guard d <= Double(Int.max / 2) else { throw bad("'\(field).shape' element count overflows") }
            let dim = Int(d)
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw bad("'\(field).shape' element count overflows") }
            total = product
            shape.append(dim)
        }
        guard total <= maxElements else { throw TensorJSON.tooMany(maxElements) }
        return shape
    }

    /// Integer datatypes need integral values in range; float ones finite values.
    static func checkValues(_ values: [Double], datatype: V2DataType, field: String) throws {
        if let range = datatype.integerRange {
            for (i, v) in values.enumerated() where !(range.contains(v) && v.rounded(.towardZero) == v) {
                throw bad("'\(field)' element \(i) (\(v)) is not a valid \(datatype.rawValue) value")
            }
        } else if datatype == .FP32 || datatype == .FP64 {
            for (i, v) in values.enumerated() where !v.isFinite {
                throw bad("'\(field)' element \(i) is not a finite number")
            }
        }
    }

    /// `outputs`: a list of `{"name", "parameters"?}`; only `output` exists.
    static func checkOutputs(_ value: JSONValue?) throws {
        guard let value else { return }
        let items: [JSONValue]
        switch value {
        case .numbers([]): items = []
        case let .array(list): items = list
        default: throw bad("'outputs' must be a list of objects")
        }
        for (i, item) in items.enumerated() {
            guard case let .object(output) = item else { throw bad("'outputs[\(i)]' must be an object") }
            try allowOnly(["name", "parameters"], in: output, what: "requested output")
            guard case let .string(name)? = output["name"] else { throw bad("'outputs[\(i)].name' must be a string") }
            guard name == outputName else { throw bad("unknown output '\(name.prefix(64))'; the model has '\(outputName)'") }
            try checkParameters(output["parameters"], field: "outputs[\(i)].parameters")
        }
    }

    static func checkParameters(_ value: JSONValue?, field: String) throws {
        guard let value else { return }
        guard case .object = value else { throw bad("'\(field)' must be an object") }
    }

    static func allowOnly(_ keys: Set<String>, in object: [String: JSONValue], what: String) throws {
        if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
            throw bad("unknown field '\(unknown.prefix(64))' in the \(what)")
        }
    }

    static func bad(_ message: String) -> APIError { APIError(.badRequest, message) }

    // MARK: Responses

    /// The outputs of a tensor model: `output`, FP32 `(batch, units)`.
    static func inferOutputs(_ loaded: LoadedModel, output: Tensor<Float>, batch: Int) -> [V2Output] {
        [V2Output(name: outputName, datatype: "FP32", shape: [batch, loaded.outputUnits], values: .floats(output))]
    }

    static func metadata(_ loaded: LoadedModel, versions: [Int]) -> JSONValue {
        guard let ternModel = loaded.ternModel else { return ONNXCodec.metadata(loaded, loaded.onnxModel!, versions: versions) }
        let spec = ternModel.spec.input
        let inputShape = [-1] + spec.shape.dimensions
        return .object([
            "name": .string(loaded.model),
            "versions": .array(versions.map { .string(String($0)) }),
            "platform": .string("tern"),
            "inputs": .array([tensorMetadata(inputName, V2DataType.of(spec.dtype), inputShape)]),
            "outputs": .array([tensorMetadata(outputName, .FP32, [-1, loaded.outputUnits])]),
        ])
    }

    private static func tensorMetadata(_ name: String, _ type: V2DataType, _ shape: [Int]) -> JSONValue {
        .object(["name": .string(name), "datatype": .string(type.rawValue), "shape": .array(shape.map { .int(Int64($0)) })])
    }
}
