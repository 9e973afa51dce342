import Foundation
import Hummingbird
import TernRegistry

/// `POST /api/v1/keys` body.
struct CreateKeyRequest: Decodable {
    let name: String
    let scope: KeyScope

    init(from decoder: any Decoder) throws {
        let o = try StrictObject(decoder, allowed: ["name", "scope"])
        name = try o.required("name")
        let scopeText: String = try o.required("scope")
        guard let scope = KeyScope(rawValue: scopeText) else {
            throw APIError(.badRequest, "'scope' must be one of \(KeyScope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.scope = scope
    }
}

extension RegistryRoutes {
    func addKeyRoutes(to api: RouterGroup<TernRequestContext>) {
        api.post("keys") { request, context in try await createKey(request, context) }
        api.get("keys") { _, context in try await listKeys(context) }
        api.delete("keys/:id") { _, context in try await revokeKey(context) }
    }

    /// A key without its secret or hash.
    static func keyJSON(_ k: KeyRecord) -> RegistryJSON {
        [
            "id": .string(k.id),
            "name": .string(k.name),
            "scope": .string(k.scope.rawValue),
            "created_at": RegistryJSON(k.createdAt),
            "revoked_at": RegistryJSON(k.revokedAt),
        ]
    }

    /// Creates a key; its full text is in this response only.
    func createKey(_ request: Request, _ context: TernRequestContext) async throws -> Response {
        try context.require(.admin)
        let body = try await request.decodeJSONBody(CreateKeyRequest.self, configuration: services.configuration)
        guard (1...128).contains(body.name.utf8.count),
              !body.name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError(.badRequest, "'name' must be 1-128 characters without control characters")
        }
        let (text, record) = APIKeys.generate(name: body.name, scope: body.scope)
        try await store.createKey(record)
        return try registryResponse([
            "id": .string(record.id),
            "name": .string(record.name),
            "scope": .string(record.scope.rawValue),
            "key": .string(text),
            "created_at": RegistryJSON(record.createdAt),
        ], status: .created)
    }

    func listKeys(_ context: TernRequestContext) async throws -> Response {
        try context.require(.admin)
        let keys = try await store.keys().sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        return try registryResponse(["keys": .array(keys.map(RegistryRoutes.keyJSON))])
    }

    /// Revokes a key (it stays listed, with `revoked_at`).
    func revokeKey(_ context: TernRequestContext) async throws -> Response {
        try context.require(.admin)
        guard let id = context.parameters.get("id"), id.utf8.count == 12,
              id.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw APIError(.badRequest, "an API key id is 12 lowercase hexadecimal digits")
        }
        guard try await store.key(id: id) != nil else { throw APIError(.notFound, "API key '\(id)' not found") }
        try await store.revokeKey(id: id)
        return Response(status: .noContent)
    }
}
