import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernFormats
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
        let decoded = try V2Codec.decodeInfer(body.json, binary: body.binary, model: loaded.servable,
                                              maxElements: services.configuration.maxTensorElements)
        let binaryOutputs = try BinaryOutputChoice(body.json.objectMembers)
        let outputs = try await predict(loaded, decoded.inputs, services)
        return V2Response.encode(model: loaded.model, version: loaded.version, id: decoded.id,
                                 outputs: V2Codec.outputs(outputs, model: loaded.servable, requested: decoded.requested),
                                 binary: binaryOutputs)
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
    let decoded = try TFServingCodec.decodePredict(body, model: loaded.servable, maxElements: services.configuration.maxTensorElements)
    let outputs = try await predict(loaded, decoded.inputs, services)
    return jsonResponse(TFServingCodec.predictResponse(outputs, model: loaded.servable, columnar: decoded.columnar))
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
    let parse: @Sendable () throws -> JSONValue = { try JSONParser.parse(bytes, maxDepth: maxDepth) }
    return bytes.count <= 1 << 20 ? try parse() : try await services.decoding.run(parse)
}

/// Runs the model through the runtime's limiter, unless the version is
/// not ready (503 with `Retry-After`).
private func predict(_ loaded: LoadedModel, _ inputs: NamedTensors, _ services: ServerServices) async throws -> NamedTensors {
    guard loaded.ready else { throw ServingError.notReady("model '\(loaded.model)' version \(loaded.version) is not ready") }
    return try await services.runtime.predict(loaded, inputs)
}

/// A JSON response.
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
}
