import Foundation
import HTTPTypes
import Hummingbird
import TernRegistry

/// Reads `Authorization: Bearer <key>` (or `X-API-Key`), verifies it against
/// the stored hash and records the key in the context. A presented key that
/// does not verify is refused with 401 at once; no key leaves the request
/// anonymous for the route to judge. (The request id is already in the
/// logger metadata: ``RequestIDMiddleware`` runs first.)
struct AuthMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext
    let store: any RegistryStore
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let header = request.headers[.authorization].map(AuthMiddleware.credentials) ?? request.headers[AuthMiddleware.apiKeyHeader]
        if let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let id = APIKeys.id(of: text), let record = try await store.key(id: id),
                  APIKeys.verify(text, against: record) else {
                throw APIError(.unauthorized, "invalid or revoked API key")
            }
            context.identity = record
        }
        return try await next(request, context)
    }

    /// The key in an `Authorization` value: after the `Bearer` scheme, whose
    /// name is case-insensitive (RFC 9110, 11.1), or the whole value.
    static func credentials(_ value: String) -> String {
        let trimmed = value.drop { $0 == " " || $0 == "\t" }
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }),
              trimmed[..<space].lowercased() == "bearer" else { return String(trimmed) }
        return String(trimmed[space...])
    }
}
