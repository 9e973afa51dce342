import Foundation
import HTTPTypes
import Hummingbird
import TernFormats
import TernRegistry
import TernServing
import TernSupport

/// Largest deployment request body.
private let deploymentBodyLimit = 64 << 10

/// Loading and unloading model versions for serving:
///
/// - `POST /api/v1/deployments` (scope `deploy`), body `{"model": "mnist",
///   "version": 3}` or `{"model": "mnist", "alias": "production"}`: reads
///   the version's artifact (checksum verified), loads it and answers 201
///   with the deployment. An optional `"batching"` object turns on dynamic
///   batching for the version (``BatchingJSON``): `{"max_batch_size": 32,
///   "max_queue_delay_microseconds": 500, "preferred_batch_sizes": [8, 16, 32],
///   "max_queue_size": 1024}`; without it (or with a delay of 0) each
///   request runs alone. Every deployment answers its `batching` settings.
///   `version` may also be a string, a number or an alias as in V2 URLs;
///   with neither `version` nor `alias` the `production` alias is deployed
///   if the model has one, else its newest version (`"selected_by"` says
///   which).
/// - `GET /api/v1/deployments` (scope `read`): `{"deployments": [...]}`.
/// - `DELETE /api/v1/deployments/{model}/{version}` (scope `deploy`):
///   unloads the version (404 if it is not loaded).
///
/// Deployed versions are recorded in the registry store (``Deployments``),
/// so a restarted server loads them again.
func addDeploymentRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {
    router.post("/api/v1/deployments") { request, context in
        try context.require(.deploy)
        let (model, selector, batching) = try await readDeploymentRequest(request, services)
        let (loaded, selectedBy) = try await services.deployments.deploy(model: model, selector, batching: batching)
        context.logger.info("model loaded", metadata: ["model": "\(model)", "version": "\(loaded.version)",
                                                       "memory_bytes": "\(loaded.memoryBytes)", "batching": "\(batching.isEnabled)"])
        return jsonResponse(deploymentJSON(loaded, selectedBy: selectedBy), status: .created)
    }

    router.get("/api/v1/deployments") { _, context in
        try context.require(.read)
        let all = await services.deployments.list().map { row in
            row.loaded.map { deploymentJSON($0) } ?? evictedDeploymentJSON(model: row.model, version: row.version, batching: row.batching)
        }
        return jsonResponse(.object(["deployments": .array(all)]))
    }

    router.delete("/api/v1/deployments/{model}/{version}") { _, context in
        try context.require(.deploy)
        let model = context.parameters.get("model") ?? ""
        try Names.validate(model, kind: "model")
        let segment = context.parameters.get("version") ?? ""
        guard case let .number(version) = try VersionSelector(segment: segment) else {
            throw APIError(.badRequest, "version '\(segment.prefix(32))' must be a number")
        }
        // Undeploying a version that failed to restore at start clears it from readiness.
        try await services.deployments.undeploy(model: model, version: version)
        context.logger.info("model unloaded", metadata: ["model": "\(model)", "version": "\(version)"])
        return jsonResponse(.object(["model": .string(model), "version": .int(Int64(version)), "state": .string("unloaded")]))
    }
}

/// The body's model name, version or alias, and batching settings.
private func readDeploymentRequest(_ request: Request, _ services: ServerServices) async throws
    -> (String, VersionSelector, BatchingConfiguration) {
    try request.requireJSONContentType()
    let buffer = try await request.collectBody(limit: deploymentBodyLimit)
    let root = try JSONParser.parse(Array(buffer.readableBytesView), maxDepth: services.configuration.maxJSONDepth)
    guard case let .object(body) = root else { throw APIError(.badRequest, "the request body must be a JSON object") }
    try V2Codec.allowOnly(["model", "version", "alias", "batching"], in: body, what: "deployment request")
    guard case let .string(model)? = body["model"] else { throw APIError(.badRequest, "'model' must be a string") }
    try Names.validate(model, kind: "model")
    let batching = try body["batching"].map(BatchingJSON.decode) ?? .disabled
    return (model, try deploymentSelector(body), batching)
}

/// The body's `version` or `alias`.
private func deploymentSelector(_ body: [String: JSONValue]) throws -> VersionSelector {
    switch (body["version"], body["alias"]) {
    case (.some, .some):
        throw APIError(.badRequest, "give either 'version' or 'alias', not both")
    case (nil, nil):
        return .unspecified
    case let (.int(v)?, nil):
        guard v >= 1, v <= Int64(Int32.max) else { throw APIError(.badRequest, "'version' must be a positive integer") }
        return .number(Int(v))
    case let (.string(text)?, nil):
        // A number or an alias, as in V2 URLs.
        let selector = try VersionSelector(segment: text)
        if case .number(0) = selector { throw APIError(.badRequest, "'version' must be a positive integer") }
        return selector
    case (.some, nil):
        throw APIError(.badRequest, "'version' must be a positive integer or an alias name")
    case let (nil, .string(alias)?):
        try Names.validate(alias, kind: "alias")
        return .alias(alias)
    case (nil, .some):
        throw APIError(.badRequest, "'alias' must be a string")
    }
}

/// A loaded version; `selectedBy` says how a deployment request chose it.
private func deploymentJSON(_ loaded: LoadedModel, selectedBy: String? = nil) -> JSONValue {
    var fields: [String: JSONValue] = [
        "model": .string(loaded.model),
        "version": .int(Int64(loaded.version)),
        "state": .string(loaded.ready ? "ready" : "loading"),
        "memory_bytes": .int(Int64(loaded.memoryBytes)),
        "loaded_at": .string(loaded.loadedAt.formatted(.iso8601)),
        "batching": BatchingJSON.encode(loaded.batching),
    ]
    if let selectedBy { fields["selected_by"] = .string(selectedBy) }
    return .object(fields)
}

/// A deployed version the memory budget unloaded: loaded again on its next request.
private func evictedDeploymentJSON(model: String, version: Int, batching: BatchingConfiguration) -> JSONValue {
    .object([
        "model": .string(model),
        "version": .int(Int64(version)),
        "state": .string("evicted"),
        "batching": BatchingJSON.encode(batching),
    ])
}
