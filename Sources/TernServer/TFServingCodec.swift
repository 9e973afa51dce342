import Foundation
import TernFormats
import TernONNX
import TernServing
import TernSupport
import TernTensor

/// A checked TF Serving predict request.
struct TFPredictRequest {
    /// Row format (`instances`) answers `predictions`; columnar (`inputs`) answers `outputs`.
    var columnar: Bool
    var input: ModelInput
    var batch: Int
}

/// Decodes TF Serving REST predict requests and encodes its responses.
///
/// Values are JSON numbers; when the model takes uint8 and every value is
/// an integer in 0...255 they are passed as bytes, otherwise as float32
/// (the model's preprocessing applies either way). The single model input
/// is named `input` and the single output `output`; as the protocol
/// specifies for one named output, responses omit the output name.
enum TFServingCodec {
    static let signatureName = "serving_default"

    static func decodePredict(_ root: JSONValue, model: TernModel, maxElements: Int) throws -> TFPredictRequest {
        guard case let .object(body) = root else { throw V2Codec.bad("the request body must be a JSON object") }
        try V2Codec.allowOnly(["signature_name", "instances", "inputs"], in: body, what: "request")
        switch body["signature_name"] {
        case nil: break
        case let .string(name)? where name.isEmpty || name == signatureName: break
        case let .string(name)?: throw APIError(.badRequest, "unknown signature '\(name.prefix(64))'; the model has '\(signatureName)'")
        case let other?: throw V2Codec.bad("'signature_name' must be a string, got \(other.kind)")
        }
        switch (body["instances"], body["inputs"]) {
        case (nil, nil): throw V2Codec.bad("the request needs 'instances' (row format) or 'inputs' (columnar format)")
        case (.some, .some): throw V2Codec.bad("the request cannot have both 'instances' and 'inputs'")
        case let (instances?, nil): return try decodeInstances(instances, model: model, maxElements: maxElements)
        case let (nil, inputs?): return try decodeInputs(inputs, model: model, maxElements: maxElements)
        }
    }

    /// Row format: a list with one sample per element, each a flat list, a
    /// list nested as the input shape, a scalar (one-value inputs), or
    /// `{"input": sample}`.
    private static func decodeInstances(_ value: JSONValue, model: TernModel, maxElements: Int) throws -> TFPredictRequest {
        let samples: [JSONValue]
        switch value {
        case let .numbers(values): samples = values.map { .double($0) }
        case let .array(items): samples = items
        default: throw V2Codec.bad("'instances' must be a list with one element per sample")
        }
        let sample = TensorJSON.sampleCount(model)
        guard samples.count <= maxElements / max(1, sample) else { throw TensorJSON.tooMany(maxElements) }
        var values: [Double] = []
        values.reserveCapacity(samples.count * sample)
        for (i, item) in samples.enumerated() {
            let field = "instances[\(i)]"
            let data = try TensorJSON.flatten(try unwrapNamed(item, field: field), field: field, kind: .numbers, limit: maxElements)
            try checkSampleShape(data.nestedShape, model: model, field: field)
            values.append(contentsOf: data.values)
        }
        let input = try TensorJSON.modelInput(values, batch: samples.count, model: model, preferBytes: true, field: "instances")
        return TFPredictRequest(columnar: false, input: input, batch: samples.count)
    }

    /// Columnar format: one tensor with the batch first, or `{"input": tensor}`.
    private static func decodeInputs(_ value: JSONValue, model: TernModel, maxElements: Int) throws -> TFPredictRequest {
        let field = "inputs"
        let data = try TensorJSON.flatten(try unwrapNamed(value, field: field), field: field, kind: .numbers, limit: maxElements)
        guard let batch = data.nestedShape.first else {
            throw V2Codec.bad("'inputs' must be a list with the batch dimension first")
        }
        try checkSampleShape(Array(data.nestedShape.dropFirst()), model: model, field: "inputs[0]")
        let input = try TensorJSON.modelInput(data.values, batch: batch, model: model, preferBytes: true, field: field)
        return TFPredictRequest(columnar: true, input: input, batch: batch)
    }

    /// `{"input": x}` → x; other objects are refused.
    private static func unwrapNamed(_ value: JSONValue, field: String) throws -> JSONValue {
        guard case let .object(members) = value else { return value }
        guard members.count == 1, let tensor = members[V2Codec.inputName] else {
            let names = members.keys.sorted().map { "'\($0.prefix(64))'" }.joined(separator: ", ")
            throw V2Codec.bad("'\(field)' names inputs \(names); the model has one input, '\(V2Codec.inputName)'")
        }
        return tensor
    }

    /// One sample must be flat with the input's element count, nested
    /// exactly as the input shape, or a scalar for one-value inputs.
    private static func checkSampleShape(_ shape: [Int], model: TernModel, field: String) throws {
        let input = model.spec.input.shape
        let count = input.count
        let ok = shape == input.dimensions || shape == [count] || (shape.isEmpty && count == 1)
        guard ok else {
            throw V2Codec.bad("'\(field)' has shape \(shape); the model takes \(input.dimensions) (or \(count) flat values) per sample")
        }
    }

    // MARK: Responses

    static func predictResponse(_ request: TFPredictRequest, output: Tensor<Float>) -> JSONValue {
        .object([request.columnar ? "outputs" : "predictions": TensorJSON.rows(output)])
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

    static func metadata(_ loaded: LoadedModel) -> JSONValue {
        let signature: JSONValue
        if let ternModel = loaded.ternModel {
            let input = ternModel.spec.input
            signature = .object([
                "inputs": .object([V2Codec.inputName: tensorInfo(V2Codec.inputName, input.dtype, [-1] + input.shape.dimensions)]),
                "outputs": .object([V2Codec.outputName: tensorInfo(V2Codec.outputName, .float32, [-1, loaded.outputUnits])]),
                "method_name": .string("tensorflow/serving/predict"),
            ])
        } else {
            signature = ONNXCodec.tfSignature(loaded.onnxModel!)
        }
        return .object([
            "model_spec": .object([
                "name": .string(loaded.model),
                "signature_name": .string(""),
                "version": .string(String(loaded.version)),
            ]),
            "metadata": .object(["signature_def": .object(["signature_def": .object([signatureName: signature])])]),
        ])
    }

    private static func tensorInfo(_ name: String, _ dtype: DType, _ shape: [Int]) -> JSONValue {
        .object([
            "dtype": .string(dtype == .uint8 ? "DT_UINT8" : "DT_FLOAT"),
            "tensor_shape": .object(["dim": .array(shape.map { .object(["size": .string(String($0))]) })]),
            "name": .string(name),
        ])
    }
}
