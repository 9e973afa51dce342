import Foundation
import TernFormats
import TernServing
import TernSupport
import TernTensor

/// A checked TF Serving predict request.
struct TFPredictRequest {
    /// Row format (`instances`) answers `predictions`; columnar (`inputs`) answers `outputs`.
    var columnar: Bool
    var inputs: NamedTensors
}

/// TF Serving's REST API, written once for every ``ServableModel``.
///
/// Row format: `instances` lists one sample per element; for a model with
/// one input each is that input's sample (or `{"name": sample}`), for a
/// model with several each is an object keyed by input name. Columnar
/// format: `inputs` is the one input's whole tensor, or an object of them
/// by name. JSON has no element types, so values take the declared type;
/// an input that also accepts other numbers (a Tern network) reads bytes
/// when every value fits its uint8 input and float32 otherwise; an input
/// that accepts any type (a table column) reads text when any value is a
/// string and numbers otherwise, with `null` or an absent key missing.
/// As the protocol specifies, a model with one output answers its values
/// without the output's name; with several, an object per row (or per
/// output) keyed by output name.
enum TFServingCodec {
    static let signatureName = "serving_default"

    static func decodePredict(_ root: JSONValue, model: any ServableModel, maxElements: Int) throws -> TFPredictRequest {
        guard case let .object(body) = root else { throw V2Codec.bad("the request body must be a JSON object") }
        try V2Codec.allowOnly(["signature_name", "instances", "inputs"], in: body, what: "request")
        switch body["signature_name"] {
        case nil: break
        case let .string(name)? where name.isEmpty || name == signatureName: break
        case let .string(name)?: throw V2Codec.bad("unknown signature '\(name.prefix(64))'; the model has '\(signatureName)'")
        case let other?: throw V2Codec.bad("'signature_name' must be a string, got \(other.kind)")
        }
        let columnar: Bool
        let value: JSONValue
        switch (body["instances"], body["inputs"]) {
        case (nil, nil): throw V2Codec.bad("the request needs 'instances' (row format) or 'inputs' (columnar format)")
        case (.some, .some): throw V2Codec.bad("the request cannot have both 'instances' and 'inputs'")
        case let (instances?, nil): value = instances; columnar = false
        case let (nil, inputs?): value = inputs; columnar = true
        }
        let declared = model.inputs
        if declared.count == 1 {
            let info = declared[0]
            let field = columnar ? "inputs" : "instances"
            let tensor = columnar ? try unwrapNamed(value, info: info, field: field)
                : .array(try rows(value).enumerated().map { try unwrapNamed($1, info: info, field: "instances[\($0)]") })
            let decoded = try decode(tensor, info: info, model: model, field: field, limit: maxElements)
            if decoded.shape.rank == 0, !info.shape.isEmpty {
                throw V2Codec.bad("'\(field)' must be a list with the batch dimension first")
            }
            return TFPredictRequest(columnar: columnar, inputs: [info.name: decoded])
        }
        var columns: [String: [JSONValue]] = [:]
        var inputs: NamedTensors = [:]
        if columnar {
            guard case let .object(members) = value else {
                throw V2Codec.bad("'inputs' must be an object of tensors by input name: \(names(declared))")
            }
            for (name, tensor) in members.sorted(by: { $0.key < $1.key }) {
                guard let info = declared.first(where: { $0.name == name }) else {
                    throw V2Codec.bad("unknown input '\(name.prefix(64))' in 'inputs'; the model takes \(names(declared))")
                }
                inputs[name] = try decode(tensor, info: info, model: model, field: "inputs.\(name)", limit: maxElements)
            }
            return TFPredictRequest(columnar: true, inputs: inputs)
        }
        let instances = try rows(value)
        guard instances.count <= maxElements else { throw TensorJSON.tooMany(maxElements) }
        for (row, item) in instances.enumerated() {
            guard case let .object(record) = item else {
                throw V2Codec.bad("'instances[\(row)]' must be an object keyed by input name: \(names(declared))")
            }
            for key in record.keys.sorted() where !declared.contains(where: { $0.name == key }) {
                throw V2Codec.bad("unknown input '\(key.prefix(64))' in 'instances[\(row)]'; the model takes \(names(declared))")
            }
            for info in declared where record[info.name] != nil || !info.optional {
                guard let cell = record[info.name] ?? (model.conversion(for: info.name) == .anyWithMissing ? .null : nil) else {
                    throw V2Codec.bad("'instances[\(row)]' has no '\(info.name)'")
                }
                columns[info.name, default: Array(repeating: .null, count: row)].append(cell)
            }
            for (name, cells) in columns where cells.count == row { columns[name]?.append(.null) }
        }
        for info in declared {
            guard let cells = columns[info.name] else { continue }
            inputs[info.name] = try decode(.array(cells), info: info, model: model, field: "instances.\(info.name)", limit: maxElements)
        }
        return TFPredictRequest(columnar: false, inputs: inputs)
    }

    private static func names(_ infos: [TensorInfo]) -> String {
        infos.filter { !$0.optional }.map { "'\($0.name)'" }.joined(separator: ", ")
    }

    /// `instances` as its list of samples.
    private static func rows(_ value: JSONValue) throws -> [JSONValue] {
        switch value {
        case let .numbers(values): return values.map { .double($0) }
        case let .array(items): return items
        default: throw V2Codec.bad("'instances' must be a list with one element per sample")
        }
    }

    /// `{"name": x}` → x for the model's one input; other objects are refused.
    private static func unwrapNamed(_ value: JSONValue, info: TensorInfo, field: String) throws -> JSONValue {
        guard case let .object(members) = value else { return value }
        guard members.count == 1, let tensor = members[info.name] else {
            let given = members.keys.sorted().map { "'\($0.prefix(64))'" }.joined(separator: ", ")
            throw V2Codec.bad("'\(field)' names inputs \(given); the model has one input, '\(info.name)'")
        }
        return tensor
    }

    /// An input's JSON values in the element type the model takes (see the type's notes).
    private static func decode(_ value: JSONValue, info: TensorInfo, model: any ServableModel, field: String,
                               limit: Int) throws -> AnyTensor {
        switch model.conversion(for: info.name) {
        case .exact:
            return try TensorJSON.decode(value, dtype: info.dtype, shape: nil, field: field, limit: limit)
        case .anyNumber:
            let floats = try TensorJSON.decode(value, dtype: .float32, shape: nil, field: field, limit: limit)
            guard info.dtype == .uint8, case let .float32(t) = floats,
                  t.withUnsafeBufferPointer({ $0.allSatisfy { $0 >= 0 && $0 <= 255 && $0.rounded(.towardZero) == $0 } }) else {
                return floats
            }
            return .uint8(t.map { UInt8($0) })
        case .anyWithMissing:
            if TensorJSON.inferredType(value) == .string { return try TensorJSON.decodeText(value, field: field, limit: limit) }
            return try TensorJSON.decode(value, dtype: .float64, shape: nil, missing: true, field: field, limit: limit)
        }
    }

    // MARK: Responses

    /// `predictions` (one entry per sample) or `outputs` (whole tensors).
    static func predictResponse(_ values: NamedTensors, model: any ServableModel, columnar: Bool) -> JSONValue {
        let outputs = model.outputs.compactMap { info in values[info.name].map { (info.name, $0) } }
        if columnar {
            if outputs.count == 1 { return .object(["outputs": TensorJSON.nested(outputs[0].1)]) }
            return .object(["outputs": .object(Dictionary(uniqueKeysWithValues: outputs.map { ($0.0, TensorJSON.nested($0.1)) }))])
        }
        let batch = outputs.first.map { $0.1.shape.rank > 0 ? $0.1.shape[0] : 1 } ?? 0
        let rows: [JSONValue] = (0..<batch).map { row in
            if outputs.count == 1 { return TensorJSON.nested(outputs[0].1, row: row) }
            return .object(Dictionary(uniqueKeysWithValues: outputs.map { ($0.0, TensorJSON.nested($0.1, row: row)) }))
        }
        return .object(["predictions": .array(rows)])
    }

    static func status(_ versions: [LoadedModel]) -> JSONValue {
        .object(["model_version_status": .array(versions.map { loaded in
            .object([
                "version": .string(String(loaded.version)),
                "state": .string(loaded.ready ? "AVAILABLE" : "LOADING"),
                "status": .object(["error_code": .string("OK"), "error_message": .string("")]),
            ])
        })])
    }

    /// The model's signature: every input and output with its dtype
    /// (`DT_FLOAT`, `DT_UINT8`, ...) and dimensions (-1 when dynamic).
    static func metadata(_ loaded: LoadedModel) -> JSONValue {
        let model = loaded.servable
        func info(_ value: TensorInfo) -> (String, JSONValue) {
            (value.name, .object([
                "dtype": .string(value.dtype.tfName),
                "tensor_shape": .object(["dim": .array(value.shape.map { .object(["size": .string(String($0 ?? -1))]) })]),
                "name": .string(value.name),
            ]))
        }
        let signature: JSONValue = .object([
            "inputs": .object(Dictionary(uniqueKeysWithValues: model.inputs.filter { !$0.optional }.map(info))),
            "outputs": .object(Dictionary(uniqueKeysWithValues: model.outputs.map(info))),
            "method_name": .string("tensorflow/serving/predict"),
        ])
        return .object([
            "model_spec": .object([
                "name": .string(loaded.model),
                "signature_name": .string(""),
                "version": .string(String(loaded.version)),
            ]),
            "metadata": .object(["signature_def": .object(["signature_def": .object([signatureName: signature])])]),
        ])
    }
}
