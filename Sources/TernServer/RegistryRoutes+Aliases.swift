import Foundation
import Hummingbird
import TernRegistry

/// `PUT /api/v1/models/{name}/aliases/{alias}` body.
struct SetAliasRequest: Decodable {
    let version: Int

    init(from decoder: any Decoder) throws {
        let o = try StrictObject(decoder, allowed: ["version"])
        version = try o.required("version")
    }
}

extension RegistryRoutes {
    func addAliasRoutes(to api: RouterGroup<TernRequestContext>) {
        api.put("models/:name/aliases/:alias") { request, context in try await setAlias(request, context) }
        api.get("models/:name/aliases") { _, context in try await listAliases(context) }
        api.delete("models/:name/aliases/:alias") { _, context in try await deleteAlias(context) }
    }

    static func aliasJSON(_ a: AliasRecord) -> RegistryJSON {
        [
            "model": .string(a.model),
            "alias": .string(a.alias),
            "version": .int(a.version),
            "updated_at": RegistryJSON(a.updatedAt),
            "updated_by": RegistryJSON(a.updatedBy),
        ]
    }

    /// Points the alias at an existing version (the store records the move
    /// in the alias history with the time and key id).
    func setAlias(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        let model = try await existingModel(context)
        let alias = try name(context, "alias", kind: "alias")
        let body = try await request.decodeJSONBody(SetAliasRequest.self, configuration: services.configuration)
        guard body.version > 0 else { throw APIError(.badRequest, "'version' must be a positive integer") }
        _ = try await store.version(model: model, version: body.version)
        let record = try await services.deployments.moveAlias(model: model, alias: alias, to: body.version, by: context.identity?.id)
        return try registryResponse(RegistryRoutes.aliasJSON(record))
    }

    func listAliases(_ context: TernRequestContext) async throws -> Response {
        try context.require(.read)
        let model = try await existingModel(context)
        let aliases = try await store.aliases(model: model).sorted { $0.alias < $1.alias }
        let history = try await store.aliasHistory(model: model)
        return try registryResponse([
            "aliases": .array(aliases.map(RegistryRoutes.aliasJSON)),
            "history": .array(history.map { e in
                ["alias": .string(e.alias), "version": RegistryJSON(e.version), "at": RegistryJSON(e.at), "by": RegistryJSON(e.by)]
            }),
        ])
    }

    func deleteAlias(_ context: TernRequestContext) async throws -> Response {
        try context.require(.deploy)
        let model = try await existingModel(context)
        let alias = try name(context, "alias", kind: "alias")
        _ = try await store.alias(model: model, alias: alias)
        try await store.deleteAlias(model: model, alias: alias, by: context.identity?.id)
        await services.deployments.aliasesChanged(model: model)
        return Response(status: .noContent)
    }
}
