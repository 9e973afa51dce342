import Foundation
import TernRegistry
import TernServing

/// How a request names the version it wants.
enum VersionSelector: Equatable, CustomStringConvertible {
    /// No version in the path: the `production` alias if the model has one,
    /// else the highest loaded version.
    case unspecified
    case number(Int)
    case alias(String)

    /// Reads a path segment: all digits → a version number, anything else → an alias name.
    /// - Throws: 400 for a number that does not fit or an invalid alias name.
    init(segment: String) throws {
        if !segment.isEmpty, segment.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let number = Int(segment), number <= Int(Int32.max) else {
                throw APIError(.badRequest, "version '\(segment.prefix(32))' is out of range")
            }
            self = .number(number)
        } else {
            try Names.validate(segment, kind: "alias")
            self = .alias(segment)
        }
    }

    var description: String {
        switch self {
        case .unspecified: return "latest"
        case let .number(n): return "version \(n)"
        case let .alias(a): return "alias '\(a)'"
        }
    }
}

/// The alias used when a request names no version.
let defaultAlias = "production"

extension ServerServices {
    /// The loaded version a request addresses.
    /// - Throws: 400 for invalid names, 404 when the model, alias or version
    ///   is unknown or not loaded.
    func resolve(model: String, _ selector: VersionSelector) async throws -> LoadedModel {
        try Names.validate(model, kind: "model")
        let version: Int
        switch selector {
        case let .number(n):
            version = n
        case let .alias(alias):
            guard let aliased = try await lookupAlias(model: model, alias: alias) else {
                throw APIError(.notFound, "model '\(model)' has no alias '\(alias)'")
            }
            version = aliased
        case .unspecified:
            if let aliased = try await lookupAlias(model: model, alias: defaultAlias) {
                version = aliased
            } else if let latest = await runtime.latestLoaded(model: model) {
                return latest
            } else {
                throw APIError(.notFound, "model '\(model)' is not loaded")
            }
        }
        if let loaded = await runtime.get(model: model, version: version) { return loaded }
        if let batching = await runtime.evictedDeployment(model: model, version: version) {
            return try await reloadEvicted(model: model, version: version, batching: batching)
        }
        throw APIError(.notFound, "model '\(model)' version \(version) is not loaded")
    }

    /// Every loaded version the selector covers (TF Serving's status route:
    /// no selector → all loaded versions).
    func resolveAll(model: String, _ selector: VersionSelector) async throws -> [LoadedModel] {
        if selector == .unspecified {
            try Names.validate(model, kind: "model")
            let all = await runtime.loaded(model: model)
            guard !all.isEmpty else { throw APIError(.notFound, "model '\(model)' is not loaded") }
            return all
        }
        return [try await resolve(model: model, selector)]
    }

    /// The version an alias points at, or nil when the model or alias does
    /// not exist (through ``AliasCache``).
    private func lookupAlias(model: String, alias: String) async throws -> Int? {
        if let cached = aliases.lookup(model: model, alias: alias) { return cached }
        let generation = aliases.currentGeneration
        let version: Int?
        do {
            version = try await store.alias(model: model, alias: alias).version
        } catch RegistryError.notFound {
            version = nil
        }
        aliases.store(model: model, alias: alias, version: version, readAt: generation)
        return version
    }

    /// Throws 401/403 unless anonymous prediction is allowed or the key has `predict`.
    func requirePredict(_ context: TernRequestContext) throws {
        if !configuration.allowAnonymousPredict { try context.require(.predict) }
    }
}
