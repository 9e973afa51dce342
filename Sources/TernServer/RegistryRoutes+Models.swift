import Foundation
import Hummingbird
import TernRegistry

/// `POST /api/v1/models` body.
struct CreateModelRequest: Decodable {
    let name: String
    let description: String?
    let tags: [String: String]?

    init(from decoder: any Decoder) throws {
        let o = try StrictObject(decoder, allowed: ["name", "description", "tags"])
        name = try o.required("name")
        description = try o.optional("description")
        tags = try o.optional("tags")
    }
}

/// `PATCH /api/v1/models/{name}` body.
struct UpdateModelRequest: Decodable {
    let description: String?
    let tags: [String: String]?

    init(from decoder: any Decoder) throws {
        let o = try StrictObject(decoder, allowed: ["description", "tags"])
        description = try o.optional("description")
        tags = try o.optional("tags")
    }
}

/// Limits on free-text model metadata.
enum ModelMetadata {
    static let maxDescription = 4096
    static let maxTags = 64

    static func check(description: String?, tags: [String: String]?) throws {
        if let description, description.utf8.count > maxDescription {
            throw APIError(.badRequest, "'description' is longer than \(maxDescription) bytes")
        }
        guard let tags else { return }
        guard tags.count <= maxTags else { throw APIError(.badRequest, "'tags' has more than \(maxTags) entries") }
        for (key, value) in tags {
            guard (1...128).contains(key.utf8.count), !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw APIError(.badRequest, "tag names are 1-128 characters without control characters")
            }
            guard value.utf8.count <= 1024 else { throw APIError(.badRequest, "tag '\(key)' is longer than 1024 bytes") }
        }
    }
}

extension RegistryRoutes {
    func addModelRoutes(to api: RouterGroup<TernRequestContext>) {
        api.post("models") { request, context in try await createModel(request, context) }
        api.get("models") { _, context in try await listModels(context) }
        api.get("models/:name") { _, context in try await getModel(context) }
        api.patch("models/:name") { request, context in try await updateModel(request, context) }
        api.delete("models/:name") { request, context in try await deleteModel(request, context) }
    }

    /// A model with its latest version and aliases (and, for the detail
    /// view, a summary of its versions).
    func modelJSON(_ model: ModelRecord, withVersions: Bool) async throws -> RegistryJSON {
        let versions = try await store.versions(model: model.name)
        let aliases = try await store.aliases(model: model.name)
        var json: [String: RegistryJSON] = [
            "name": .string(model.name),
            "description": .string(model.description),
            "tags": RegistryJSON(model.tags),
            "created_at": RegistryJSON(model.createdAt),
            "updated_at": RegistryJSON(model.updatedAt),
            "latest_version": RegistryJSON(versions.map(\.version).max()),
            "aliases": .object(Dictionary(aliases.map { ($0.alias, RegistryJSON.int($0.version)) }, uniquingKeysWith: { a, _ in a })),
        ]
        if withVersions {
            json["versions"] = .array(versions.sorted { $0.version < $1.version }.map { v in
                [
                    "version": .int(v.version),
                    "artifact_sha256": .string(v.artifactSHA256),
                    "size_bytes": .int(v.sizeBytes),
                    "metrics": RegistryJSON(v.metrics),
                    "created_at": RegistryJSON(v.createdAt),
                    "created_by": RegistryJSON(v.createdBy),
                    "aliases": .array(aliases.filter { $0.version == v.version }.map(\.alias).sorted().map { .string($0) }),
                ]
            })
        }
        return .object(json)
    }

    func createModel(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        let body = try await request.decodeJSONBody(CreateModelRequest.self, configuration: services.configuration)
        try Names.validate(body.name, kind: "model")
        try ModelMetadata.check(description: body.description, tags: body.tags)
        let model = try await store.createModel(name: body.name, description: body.description ?? "", tags: body.tags ?? [:])
        return try registryResponse(try await modelJSON(model, withVersions: false), status: .created,
                                headers: [.location: "/api/v1/models/\(model.name)"])
    }

    func listModels(_ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        var list: [RegistryJSON] = []
        for model in try await store.models().sorted(by: { $0.name < $1.name }) {
            list.append(try await modelJSON(model, withVersions: false))
        }
        return try registryResponse(["models": .array(list)])
    }

    func getModel(_ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        let model = try await store.model(try name(context, "name", kind: "model"))
        return try registryResponse(try await modelJSON(model, withVersions: true))
    }

    func updateModel(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        let model = try await existingModel(context)
        let body = try await request.decodeJSONBody(UpdateModelRequest.self, configuration: services.configuration)
        try ModelMetadata.check(description: body.description, tags: body.tags)
        let updated = try await store.updateModel(model, description: body.description, tags: body.tags)
        return try registryResponse(try await modelJSON(updated, withVersions: true))
    }

    /// Refused with 409 while a version is loaded, unless `?force=true`.
    func deleteModel(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        try RegistryRoutes.checkQuery(request, allowed: ["force"])
        let force: Bool
        switch request.uri.queryParameters["force"].map(String.init) {
        case nil, "false": force = false
        case "true": force = true
        default: throw APIError(.badRequest, "'force' must be true or false")
        }
        let model = try await existingModel(context)
        let loadedVersions = await loadedVersions(of: model)
        if !loadedVersions.isEmpty, !force {
            throw APIError(.conflict, "model '\(model)' has loaded versions \(loadedVersions.map(String.init).joined(separator: ", ")); unload them first or pass ?force=true")
        }
        try await services.registrar.withBlobLock {
            let unreferenced = try await store.deleteModel(model)
            await services.registrar.removeUnreferenced(unreferenced)
        }
        await services.deployments.undeployAll(model: model, versions: loadedVersions)
        return Response(status: .noContent)
    }
}
