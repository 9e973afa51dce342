import Foundation
import NIOCore
import TernFormats
import TernServing
import TernSupport
import TernTensor

/// A checked V2 inference request.
struct V2InferRequest {
    var id: String?
    var inputs: NamedTensors
    /// Output names asked for, in order (nil: every output).
    var requested: [String]?
}

/// The Open Inference Protocol (KServe V2), written once for every
/// ``ServableModel``: inputs by name and datatype (JSON `data` or binary
/// sections), outputs by name, and model metadata.
///
/// A model with one input takes the single tensor of a request whatever
/// its name (clients often send the name of the layer they exported, such
/// as `input_1`). Request and tensor `parameters` are accepted and ignored,
/// except those of the binary tensor data extension (`binary_data_size` on
/// inputs, read by ``V2Binary``; `binary_data_output` and `binary_data`
/// choosing binary outputs, see ``BinaryOutputChoice``).
enum V2Codec {
    /// - Parameter binary: the binary part of the body, when the request
    ///   uses the binary tensor data extension.
    static func decodeInfer(_ root: JSONValue, binary: BinarySections? = nil, model: any ServableModel,
                            maxElements: Int) throws -> V2InferRequest {
        guard case let .object(body) = root else { throw bad("the request body must be a JSON object") }
        try allowOnly(["id", "parameters", "inputs", "outputs"], in: body, what: "request")
        var request = V2InferRequest(id: nil, inputs: [:], requested: nil)
        switch body["id"] {
        case nil: break
        case let .string(s)?: request.id = s
        case let other?: throw bad("'id' must be a string, got \(other.kind)")
        }
        try checkParameters(body["parameters"], field: "parameters")
        request.requested = try requestedOutputs(body["outputs"], model: model)
        let declared = model.inputs
        let expected = declared.filter { !$0.optional }.map { "'\($0.name)'" }.joined(separator: ", ")
        guard let inputsValue = body["inputs"] else { throw bad("missing 'inputs'") }
        guard case let .array(tensors) = inputsValue, !tensors.isEmpty else {
            if case .numbers([]) = inputsValue { throw bad("'inputs' must list the model's inputs: \(expected)") }
            throw bad("'inputs' must be a list of tensors: \(expected)")
        }
        var binary = binary
        for (i, item) in tensors.enumerated() {
            let field = "inputs[\(i)]"
            guard case let .object(tensor) = item else { throw bad("'\(field)' must be an object") }
            try allowOnly(["name", "shape", "datatype", "parameters", "data"], in: tensor, what: "input tensor")
            guard case let .string(given)? = tensor["name"] else { throw bad("'\(field).name' must be a string") }
            let info: TensorInfo
            if declared.count == 1, tensors.count == 1 {
                info = declared[0]
            } else {
                guard let match = declared.first(where: { $0.name == given }) else {
                    throw bad("unknown input '\(given.prefix(64))'; the model takes \(expected)")
                }
                info = match
            }
            guard request.inputs[info.name] == nil else { throw bad("input '\(given.prefix(64))' is given twice") }
            request.inputs[info.name] = try decodeTensor(tensor, info: info, conversion: model.conversion(for: info.name),
                                                         field: field, binary: &binary, maxElements: maxElements)
        }
        try binary?.finish()
        return request
    }

    /// `outputs`: a list of `{"name", "parameters"?}` naming model outputs.
    private static func requestedOutputs(_ value: JSONValue?, model: any ServableModel) throws -> [String]? {
        guard let value else { return nil }
        let items: [JSONValue]
        switch value {
        case .numbers([]): return nil
        case let .array(list): items = list
        default: throw bad("'outputs' must be a list of objects")
        }
        let names = model.outputs.map(\.name)
        return try items.enumerated().map { i, item in
            guard case let .object(output) = item else { throw bad("'outputs[\(i)]' must be an object") }
            try allowOnly(["name", "parameters"], in: output, what: "requested output")
            guard case let .string(name)? = output["name"] else { throw bad("'outputs[\(i)].name' must be a string") }
            guard names.contains(name) else {
                throw bad("unknown output '\(name.prefix(64))'; the model has \(names.map { "'\($0)'" }.joined(separator: ", "))")
            }
            try checkParameters(output["parameters"], field: "outputs[\(i)].parameters")
            return name
        }
    }

    /// One input tensor, from JSON `data` or a binary section, of the
    /// datatype the request names (which the model must accept).
    private static func decodeTensor(_ tensor: [String: JSONValue], info: TensorInfo, conversion: InputConversion,
                                     field: String, binary: inout BinarySections?, maxElements: Int) throws -> AnyTensor {
        try checkParameters(tensor["parameters"], field: "\(field).parameters")
        guard case let .string(typeName)? = tensor["datatype"] else { throw bad("'\(field).datatype' must be a string") }
        guard let dtype = DType(v2Name: typeName) else {
            throw bad("unknown datatype '\(typeName.prefix(32))'; expected one of \(DType.allCases.map(\.v2Name).joined(separator: ", "))")
        }
        switch conversion {
        case .exact where dtype != info.dtype:
            throw bad("input '\(info.name)' is \(info.dtype.v2Name), got '\(typeName.prefix(32))'")
        case .anyNumber where dtype == .string:
            throw bad("input '\(info.name)' takes numbers; datatype BYTES is not supported by this model")
        default: break
        }
        let binarySize = try V2Binary.declaredSize(tensor["parameters"], field: "\(field).parameters")
        // A binary input's shape is checked against its byte count before the
        // element limit, so a huge shape over a tiny body is a 400.
        let shape = try readShape(tensor["shape"], field: field, maxElements: binarySize == nil ? maxElements : .max)
        if shape.isEmpty, !info.shape.isEmpty { throw bad("'\(field).shape' needs at least the batch dimension") }
        if let binarySize {
            let bytes = try V2Binary.section(binarySize, hasData: tensor["data"] != nil, binary: &binary, field: field)
            let count = shape.reduce(1, *)
            if dtype == .string {
                guard count <= maxElements else { throw TensorJSON.tooMany(maxElements) }
                return .string(try StringTensor(shape: Shape(shape), values: try V2Binary.strings(bytes, count: count, field: field)))
            }
            try V2Binary.checkSize(binarySize, count: count, datatype: dtype, shape: shape, field: field)
            guard count <= maxElements else { throw TensorJSON.tooMany(maxElements) }
            return try V2Binary.tensor(bytes, dtype: dtype, shape: Shape(shape), field: field)
        }
        guard let data = tensor["data"] else { throw bad("missing '\(field).data'") }
        return try TensorJSON.decode(data, dtype: dtype, shape: shape, missing: conversion == .anyWithMissing,
                                     field: "\(field).data", limit: maxElements)
    }

    /// `shape`: non-negative integers with an overflow-checked product
    /// within the element limit.
    /// - Parameter field: the tensor's name in messages (`inputs[0]`).
    static func readShape(_ value: JSONValue?, field: String, maxElements: Int) throws -> [Int] {
        guard case let .numbers(dims)? = value else { throw bad("'\(field).shape' must be a list of integers") }
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

    /// The outputs asked for (or every output), in that order.
    static func outputs(_ values: NamedTensors, model: any ServableModel, requested: [String]?) -> [V2Output] {
        (requested ?? model.outputs.map(\.name)).compactMap { name in
            values[name].map { V2Output(name: name, tensor: $0) }
        }
    }

    /// Model metadata: name, versions, platform, inputs and outputs (a
    /// dynamic dimension as -1; optional inputs are not listed) and, for a
    /// classifier, `parameters.class_labels`.
    static func metadata(_ loaded: LoadedModel, versions: [Int]) -> JSONValue {
        let model = loaded.servable
        func describe(_ info: TensorInfo) -> JSONValue {
            .object(["name": .string(info.name), "datatype": .string(info.dtype.v2Name),
                     "shape": .array(info.shape.map { .int(Int64($0 ?? -1)) })])
        }
        var body: [String: JSONValue] = [
            "name": .string(loaded.model),
            "versions": .array(versions.map { .string(String($0)) }),
            "platform": .string(model.platform),
            "inputs": .array(model.inputs.filter { !$0.optional }.map(describe)),
            "outputs": .array(model.outputs.map(describe)),
        ]
        if let labels = model.classLabels { body["parameters"] = .object(["class_labels": .array(labels.map { .string($0) })]) }
        return .object(body)
    }
}
