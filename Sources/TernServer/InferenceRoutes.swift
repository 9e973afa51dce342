import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernData
import TernFormats
import TernONNX
import TernServing
import TernSupport
import TernTensor

/// The server's name and version in V2 server metadata.
let serverName = "tern"
let serverVersion = "0.1.0"

/// Inference, metadata and health routes: the Open Inference Protocol
/// (KServe V2) under `/v2` and TF Serving's REST API under `/v1/models`.
///
/// Health routes (`/v2/health/live`, `/v2/health/ready`) need no key; every
/// other route here needs a key with the `predict` scope unless
/// ``ServerConfiguration/allowAnonymousPredict`` is set.
func addInferenceRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {
    addV2Routes(to: router, services)
    addTFServingRoutes(to: router, services)
}

// MARK: KServe V2

private func addV2Routes(to router: Router<TernRequestContext>, _ services: ServerServices) {
    router.get("/v2/health/live") { _, _ in jsonResponse(.object(["live": .bool(true)])) }
    router.get("/v2/health/ready") { _, _ in
        let problems = await services.readinessProblems()
        guard problems.isEmpty else {
            return jsonResponse(.object(["ready": .bool(false), "reasons": .array(problems.map { .string($0) })]),
                                status: .serviceUnavailable)
        }
        return jsonResponse(.object(["ready": .bool(true)]))
    }
    router.get("/v2") { _, context in
        try services.requirePredict(context)
        return jsonResponse(.object([
            "name": .string(serverName),
            "version": .string(serverVersion),
            "extensions": .array([.string("binary_tensor_data")]),
        ]))
    }

    let metadata: @Sendable (Request, TernRequestContext) async throws -> Response = { _, context in
        try services.requirePredict(context)
        let loaded = try await services.deployments.resolve(model: try modelParameter(context), try versionParameter(context))
        let versions = await services.runtime.loaded(model: loaded.model).map(\.version)
        guard let ternModel = loaded.ternModel else {
            return jsonResponse(ONNXCodec.metadata(loaded, loaded.onnxModel!, versions: versions))
        }
        if let pipeline = ternModel.tabular {
            return jsonResponse(TableCodec.v2Metadata(loaded, pipeline: pipeline, versions: versions))
        }
        return jsonResponse(V2Codec.metadata(loaded, versions: versions))
    }
    router.get("/v2/models/{model}", use: metadata)
    router.get("/v2/models/{model}/versions/{version}", use: metadata)

    let ready: @Sendable (Request, TernRequestContext) async throws -> Response = { _, context in
        try services.requirePredict(context)
        let loaded = try await services.deployments.resolve(model: try modelParameter(context), try versionParameter(context))
        return jsonResponse(.object(["name": .string(loaded.model), "ready": .bool(loaded.ready)]))
    }
    router.get("/v2/models/{model}/ready", use: ready)
    router.get("/v2/models/{model}/versions/{version}/ready", use: ready)

    let infer: @Sendable (Request, TernRequestContext) async throws -> Response = { request, context in
        try services.requirePredict(context)
        let loaded = try await services.deployments.resolve(model: try modelParameter(context), try versionParameter(context))
        let body = try await readInferBody(request, services)
        guard let ternModel = loaded.ternModel else { return try await inferONNX(body, loaded, services) }
        if let pipeline = ternModel.tabular {
            return try await inferTable(body, loaded, pipeline, services)
        }
        let decoded = try V2Codec.decodeInfer(body.json, binary: body.binary, model: ternModel,
                                              maxElements: services.configuration.maxTensorElements)
        let binaryOutputs = try BinaryOutputChoice(body.json.objectMembers)
        let output = try await predict(loaded, decoded.input, batch: decoded.batch, services)
        return V2Response.encode(model: loaded.model, version: loaded.version, id: decoded.id,
                                 outputs: V2Codec.inferOutputs(loaded, output: output, batch: decoded.batch), binary: binaryOutputs)
    }
    router.post("/v2/models/{model}/infer", use: infer)
    router.post("/v2/models/{model}/versions/{version}/infer", use: infer)
}

/// The `{model}` path parameter.
private func modelParameter(_ context: TernRequestContext) throws -> String {
    guard let model = context.parameters.get("model") else { throw APIError(.badRequest, "missing model name") }
    return model
}

/// The optional `{version}` path parameter: digits or an alias.
private func versionParameter(_ context: TernRequestContext) throws -> VersionSelector {
    guard let segment = context.parameters.get("version") else { return .unspecified }
    return try VersionSelector(segment: segment)
}

// MARK: TF Serving

private func addTFServingRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {
    // Model status: all loaded versions, or the one addressed.
    router.get("/v1/models/{model}") { _, context in
        try services.requirePredict(context)
        let versions = try await services.deployments.resolveAll(model: try modelParameter(context), .unspecified)
        return jsonResponse(TFServingCodec.status(versions))
    }
    router.get("/v1/models/{model}/versions/{version}") { _, context in
        try services.requirePredict(context)
        let versions = try await services.deployments.resolveAll(model: try modelParameter(context), try tfVersion(context))
        return jsonResponse(TFServingCodec.status(versions))
    }
    router.get("/v1/models/{model}/labels/{label}") { _, context in
        try services.requirePredict(context)
        let versions = try await services.deployments.resolveAll(model: try modelParameter(context), try tfLabel(context))
        return jsonResponse(TFServingCodec.status(versions))
    }

    // Metadata.
    let metadata: @Sendable (Request, TernRequestContext) async throws -> Response = { _, context in
        try services.requirePredict(context)
        let selector: VersionSelector = context.parameters.get("version") != nil ? try tfVersion(context)
            : context.parameters.get("label") != nil ? try tfLabel(context) : .unspecified
        let loaded = try await services.deployments.resolve(model: try modelParameter(context), selector)
        return jsonResponse(TFServingCodec.metadata(loaded))
    }
    router.get("/v1/models/{model}/metadata", use: metadata)
    router.get("/v1/models/{model}/versions/{version}/metadata", use: metadata)
    router.get("/v1/models/{model}/labels/{label}/metadata", use: metadata)

    // Predict: the verb is part of the last path segment (`mnist:predict`, `3:predict`).
    router.post("/v1/models/{model}") { request, context in
        try services.requirePredict(context)
        let model = try splitVerb(try modelParameter(context))
        return try await tfPredict(request, model: model, .unspecified, services)
    }
    router.post("/v1/models/{model}/versions/{version}") { request, context in
        try services.requirePredict(context)
        let segment = try splitVerb(context.parameters.get("version") ?? "")
        guard isDigits(segment) else { throw APIError(.badRequest, "version '\(segment.prefix(32))' must be a number") }
        return try await tfPredict(request, model: try modelParameter(context), try VersionSelector(segment: segment), services)
    }
    router.post("/v1/models/{model}/labels/{label}") { request, context in
        try services.requirePredict(context)
        let segment = try splitVerb(context.parameters.get("label") ?? "")
        return try await tfPredict(request, model: try modelParameter(context), try labelSelector(segment), services)
    }
}

private func tfPredict(_ request: Request, model: String, _ selector: VersionSelector, _ services: ServerServices) async throws -> Response {
    let loaded = try await services.deployments.resolve(model: model, selector)
    let body = try await readJSON(request, services)
    guard let ternModel = loaded.ternModel else {
        let onnx = loaded.onnxModel!
        let decoded = try ONNXCodec.decodePredict(body, model: onnx, maxElements: services.configuration.maxTensorElements)
        let outputs = try await predictONNX(loaded, decoded.inputs, services)
        return jsonResponse(ONNXCodec.predictResponse(outputs, model: onnx, columnar: decoded.columnar))
    }
    if let pipeline = ternModel.tabular {
        return try await tfPredictTable(body, loaded, pipeline, services)
    }
    let decoded = try TFServingCodec.decodePredict(body, model: ternModel, maxElements: services.configuration.maxTensorElements)
    let output = try await predict(loaded, decoded.input, batch: decoded.batch, services)
    return jsonResponse(TFServingCodec.predictResponse(decoded, output: output))
}

/// `name:predict` → `name`; other verbs are refused.
private func splitVerb(_ segment: String) throws -> String {
    guard let colon = segment.lastIndex(of: ":") else {
        throw APIError(.badRequest, "expected ':predict' at the end of the path")
    }
    let verb = segment[segment.index(after: colon)...]
    guard verb == "predict" else {
        if verb == "classify" || verb == "regress" {
            throw APIError(.badRequest, "':\(verb)' is not supported; Tern models serve ':predict'")
        }
        throw APIError(.badRequest, "unknown method ':\(verb.prefix(32))'; expected ':predict'")
    }
    return String(segment[..<colon])
}

private func tfVersion(_ context: TernRequestContext) throws -> VersionSelector {
    let segment = context.parameters.get("version") ?? ""
    guard isDigits(segment) else { throw APIError(.badRequest, "version '\(segment.prefix(32))' must be a number") }
    return try VersionSelector(segment: segment)
}

private func tfLabel(_ context: TernRequestContext) throws -> VersionSelector {
    try labelSelector(context.parameters.get("label") ?? "")
}

/// A TF Serving label: an alias name (numbers are versions, not labels).
private func labelSelector(_ segment: String) throws -> VersionSelector {
    guard !isDigits(segment) else { throw APIError(.badRequest, "label '\(segment)' must not be a number; use /versions/\(segment)") }
    return try VersionSelector(segment: segment)
}

private func isDigits(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}

// MARK: Shared

/// Reads and parses a JSON body within the configured size and depth limits.
func readJSON(_ request: Request, _ services: ServerServices) async throws -> JSONValue {
    // JSON with no type, curl's default form type, or the binary protocol's
    // octet-stream (a client may label a JSON-only body so); text/plain and
    // other types are a 415.
    try request.requireJSONContentType(alsoAccepting: ["application/octet-stream"])
    let buffer = try await request.collectBody(limit: services.configuration.maxJSONBodyBytes)
    return try await parseJSON(Array(buffer.readableBytesView), services)
}

/// Parses a JSON body: a small one on the calling task, a large one (over
/// 1 MiB, tens of milliseconds of work or more) on the bounded decoding
/// pool, so big bodies never hold the threads that answer health checks.
/// - Throws: 400 naming the parse error; 503 when the pool's queue is full.
func parseJSON(_ bytes: [UInt8], _ services: ServerServices) async throws -> JSONValue {
    let maxDepth = services.configuration.maxJSONDepth
    let parse: @Sendable () throws -> JSONValue = {
        do {
            return try JSONParser.parse(bytes, maxDepth: maxDepth)
        } catch let error as JSONParseError {
            throw APIError(.badRequest, error.description)
        }
    }
    return bytes.count <= 1 << 20 ? try parse() : try await services.decoding.run(parse)
}

/// V2 inference on raw records of a table model (see ``TableCodec``).
private func inferTable(_ request: V2InferBody, _ loaded: LoadedModel, _ pipeline: FittedTabularPipeline,
                        _ services: ServerServices) async throws -> Response {
    guard case let .object(body) = request.json else { throw V2Codec.bad("the request body must be a JSON object") }
    try V2Codec.allowOnly(["id", "parameters", "inputs", "outputs"], in: body, what: "request")
    var id: String?
    switch body["id"] {
    case nil: break
    case let .string(s)?: id = s
    case let other?: throw V2Codec.bad("'id' must be a string, got \(other.kind)")
    }
    try V2Codec.checkParameters(body["parameters"], field: "parameters")
    var requested: Set<String>?
    if case let .array(list)? = body["outputs"] {
        requested = []
        for (i, item) in list.enumerated() {
            guard case let .object(o) = item, case let .string(name)? = o["name"] else { throw V2Codec.bad("'outputs[\(i)].name' must be a string") }
            guard name == V2Codec.outputName || (name == TableCodec.labelOutput && pipeline.classLabels != nil) else {
                throw V2Codec.bad("unknown output '\(name.prefix(64))'")
            }
            requested?.insert(name)
        }
    } else if let outputs = body["outputs"], outputs != .numbers([]) {
        throw V2Codec.bad("'outputs' must be a list of objects")
    }
    guard case let .array(inputs)? = body["inputs"], !inputs.isEmpty else {
        throw V2Codec.bad("'inputs' must list one tensor per column: \(TableCodec.inputColumns(pipeline).map(\.name).joined(separator: ", "))")
    }
    let binaryOutputs = try BinaryOutputChoice(body)
    // The rows the shapes declare are checked against the work budget before
    // any column is decoded, counting no more rows than a column's data could
    // hold (a shape its data cannot fill is the decoder's 400).
    let declaredRows = inputs.compactMap { input -> Int? in
        guard case let .object(tensor) = input, case let .numbers(dims)? = tensor["shape"], let rows = dims.first,
              rows >= 0, rows < 1e15 else { return nil }
        var present = 0
        switch tensor["data"] {
        case let .numbers(values)?: present = values.count
        case let .array(values)?: present = values.count
        default: present = (try? V2Binary.declaredSize(tensor["parameters"], field: "")).flatMap { $0 } ?? 0
        }
        return min(Int(rows), present)
    }.max() ?? 0
    if let model = loaded.ternModel { try services.runtime.workBudget.checkFeatures(model, rows: declaredRows) }
    let table = try TableCodec.decodeV2(inputs, binary: request.binary, pipeline: pipeline, maxElements: services.configuration.maxTensorElements)
    if let model = loaded.ternModel { try services.runtime.workBudget.checkFeatures(model, rows: table.rowCount) }
    let features = try TableCodec.features(table, pipeline: pipeline)
    let output = try await predict(loaded, .float32(features), batch: table.rowCount, services)
    return V2Response.encode(model: loaded.model, version: loaded.version, id: id,
                             outputs: TableCodec.v2Outputs(output, pipeline: pipeline, requested: requested), binary: binaryOutputs)
}

/// TF Serving `:predict` on raw records of a table model.
private func tfPredictTable(_ root: JSONValue, _ loaded: LoadedModel, _ pipeline: FittedTabularPipeline,
                            _ services: ServerServices) async throws -> Response {
    guard case let .object(body) = root else { throw V2Codec.bad("the request body must be a JSON object") }
    try V2Codec.allowOnly(["signature_name", "instances", "inputs"], in: body, what: "request")
    let limit = services.configuration.maxTensorElements
    let table: Table
    let columnar: Bool
    switch (body["instances"], body["inputs"]) {
    case let (.array(instances)?, nil):
        table = try TableCodec.decodeInstances(instances, pipeline: pipeline, maxElements: limit)
        columnar = false
    case let (nil, .object(columns)?):
        table = try TableCodec.decodeColumns(columns, pipeline: pipeline, maxElements: limit)
        columnar = true
    case (.some, .some):
        throw V2Codec.bad("the request cannot have both 'instances' and 'inputs'")
    default:
        throw V2Codec.bad("a table model takes 'instances' as objects keyed by column name, or 'inputs' as an object of columns")
    }
    if let model = loaded.ternModel { try services.runtime.workBudget.checkFeatures(model, rows: table.rowCount) }
    let features = try TableCodec.features(table, pipeline: pipeline)
    let output = try await predict(loaded, .float32(features), batch: table.rowCount, services)
    return jsonResponse(TableCodec.tfPredictions(output, pipeline: pipeline, columnar: columnar))
}

/// V2 inference on an ONNX model: named inputs of the graph's types.
private func inferONNX(_ request: V2InferBody, _ loaded: LoadedModel, _ services: ServerServices) async throws -> Response {
    let model = loaded.onnxModel!
    let decoded = try ONNXCodec.decodeInfer(request.json, binary: request.binary, model: model,
                                            maxElements: services.configuration.maxTensorElements)
    let binaryOutputs = try BinaryOutputChoice(request.json.objectMembers)
    let outputs = try await predictONNX(loaded, decoded.inputs, services)
    return V2Response.encode(model: loaded.model, version: loaded.version, id: decoded.id,
                             outputs: ONNXCodec.outputs(outputs, model: model, requested: decoded.requested), binary: binaryOutputs)
}

/// Runs an ONNX model through the runtime's limiter; inputs the graph
/// refuses at run time (a shape its operators cannot take) are 400s.
private func predictONNX(_ loaded: LoadedModel, _ inputs: [String: AnyTensor], _ services: ServerServices) async throws -> [String: AnyTensor] {
    try requireReady(loaded)
    do {
        return try await services.runtime.predict(loaded, onnx: inputs)
    } catch let error as ONNXRuntimeError {
        throw APIError(.badRequest, error.description)
    }
}

/// Runs the model through the runtime's limiter (an empty batch answers
/// an empty output without running it).
private func predict(_ loaded: LoadedModel, _ input: ModelInput, batch: Int, _ services: ServerServices) async throws -> Tensor<Float> {
    try requireReady(loaded)
    if batch == 0 { return Tensor(zeros: [0, loaded.outputUnits]) }
    return try await services.runtime.predict(loaded, input)
}

/// 503 with `Retry-After` unless the version accepts predictions.
private func requireReady(_ loaded: LoadedModel) throws {
    guard loaded.ready else {
        throw APIError(.serviceUnavailable, "model '\(loaded.model)' version \(loaded.version) is not ready", headers: [.retryAfter: "1"])
    }
}

/// A JSON response.
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
}
