import Foundation
import Hummingbird
import TernRegistry
import TernServing

/// A model version held in memory by the runtime.
struct LoadedVersion: Hashable, Sendable {
    let model: String
    let version: Int
}

/// What the registry routes need from the runtime: which versions are
/// loaded, so that deleting one of them is refused with 409.
protocol LoadedVersionsSource: Sendable {
    func loadedVersions() async -> [LoadedVersion]
}

extension ModelRuntime: LoadedVersionsSource {
    nonisolated func loadedVersions() async -> [LoadedVersion] {
        await loaded().map { LoadedVersion(model: $0.model, version: $0.version) }
    }
}

/// The registry REST API under `/api/v1`: models, versions, aliases,
/// datasets and API keys. GET routes need a `read` key, changes `deploy`,
/// keys `admin`.
func addRegistryRoutes(to router: Router<TernRequestContext>, _ services: ServerServices) {
    addRegistryRoutes(to: router, services, loaded: services.runtime)
}

/// ``addRegistryRoutes(to:_:)`` with the source of loaded versions given
/// (tests pass a fake runtime).
func addRegistryRoutes(to router: Router<TernRequestContext>, _ services: ServerServices, loaded: any LoadedVersionsSource) {
    let routes = RegistryRoutes(services: services, loaded: loaded)
    let api = router.group("api/v1")
    routes.addModelRoutes(to: api)
    routes.addVersionRoutes(to: api)
    routes.addAliasRoutes(to: api)
    routes.addDatasetRoutes(to: api)
    routes.addDatasetProfileRoutes(to: api)
    routes.addKeyRoutes(to: api)
}

/// The handlers of the registry API and what they share.
struct RegistryRoutes: Sendable {
    let services: ServerServices
    let loaded: any LoadedVersionsSource

    var store: any RegistryStore { services.store }
    var artifacts: ArtifactStore { services.artifacts }

    /// A validated model, alias or dataset name from the path (400 for
    /// anything path-like: `..`, `%2e%2e`, slashes...).
    func name(_ context: TernRequestContext, _ parameter: String, kind: String) throws -> String {
        guard let raw = context.parameters.get(parameter) else { throw APIError(.badRequest, "missing \(kind) name") }
        try Names.validate(raw, kind: kind)
        return raw
    }

    /// The model named in the path, which must exist (404).
    func existingModel(_ context: TernRequestContext) async throws -> String {
        let model = try name(context, "name", kind: "model")
        _ = try await store.model(model)
        return model
    }

    /// A version number in a path or query (1...999,999,999).
    static func versionNumber(_ text: Substring) throws -> Int {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let number = Int(text), number > 0 else {
            throw APIError(.badRequest, "a version is a positive integer")
        }
        return number
    }

    /// The version named by the `version` path parameter: digits, or an
    /// alias resolved through the store.
    func resolveVersion(model: String, _ context: TernRequestContext) async throws -> Int {
        guard let text = context.parameters.get("version") else { throw APIError(.badRequest, "missing version") }
        if let first = text.utf8.first, first >= 0x30 && first <= 0x39 {
            return try RegistryRoutes.versionNumber(Substring(text))
        }
        try Names.validate(text, kind: "alias")
        return try await store.alias(model: model, alias: text).version
    }

    /// The loaded versions of `model`, sorted.
    func loadedVersions(of model: String) async -> [Int] {
        await loaded.loadedVersions().filter { $0.model == model }.map(\.version).sorted()
    }

    /// Rejects query parameters outside `allowed`.
    static func checkQuery(_ request: Request, allowed: [String]) throws {
        for (key, _) in request.uri.queryParameters where !allowed.contains(String(key)) {
            throw APIError(.badRequest, "unknown query parameter '\(key)'" + (allowed.isEmpty ? "" : " (allowed: \(allowed.joined(separator: ", ")))"))
        }
    }
}

