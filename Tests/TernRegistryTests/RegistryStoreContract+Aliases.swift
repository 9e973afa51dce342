import Foundation
import Testing
@testable import TernRegistry

extension RegistryStoreContract {
    func checkAliasLifecycle(_ store: any RegistryStore) async throws {
        for _ in 1...3 { try await Self.addVersion(store, model: "m") }
        let production = try await store.setAlias(model: "m", alias: "production", version: 1, by: "k1")
        #expect(production.model == "m" && production.alias == "production" && production.version == 1)
        #expect(production.updatedBy == "k1")
        expectSame(try await store.alias(model: "m", alias: "production"), production)

        let staging = try await store.setAlias(model: "m", alias: "staging", version: 3, by: nil)
        expectSame(try await store.aliases(model: "m"), [production, staging])

        // Moving an alias replaces its target.
        let moved = try await store.setAlias(model: "m", alias: "production", version: 2, by: "k2")
        #expect(moved.version == 2 && moved.updatedBy == "k2" && moved.updatedAt >= production.updatedAt)
        expectSame(try await store.alias(model: "m", alias: "production"), moved)
        #expect(try await store.aliases(model: "m").map(\.alias) == ["production", "staging"])

        try await store.deleteAlias(model: "m", alias: "staging", by: "k1")
        await expectError(.notFound("alias 'staging' of model 'm'")) { try await store.alias(model: "m", alias: "staging") }
        expectSame(try await store.aliases(model: "m"), [moved])
    }

    func checkAliasErrors(_ store: any RegistryStore) async throws {
        try await Self.addVersion(store, model: "m")
        await expectError(.notFound("version 9 of model 'm'")) {
            try await store.setAlias(model: "m", alias: "production", version: 9, by: nil)
        }
        await expectError(.notFound("model 'x'")) {
            try await store.setAlias(model: "x", alias: "production", version: 1, by: nil)
        }
        await expectError(.notFound("alias 'production' of model 'm'")) {
            try await store.alias(model: "m", alias: "production")
        }
        await expectError(.notFound("model 'x'")) { try await store.alias(model: "x", alias: "production") }
        await expectError(.notFound("alias 'production' of model 'm'")) {
            try await store.deleteAlias(model: "m", alias: "production", by: nil)
        }
        await expectError(.notFound("model 'x'")) { try await store.deleteAlias(model: "x", alias: "production", by: nil) }
        // Failed calls leave no trace.
        #expect(try await store.aliases(model: "m").isEmpty)
        #expect(try await store.aliasHistory(model: "m").isEmpty)
    }

    func checkAliasHistoryOrder(_ store: any RegistryStore) async throws {
        for _ in 1...3 { try await Self.addVersion(store, model: "m") }
        try await Self.addVersion(store, model: "other")
        _ = try await store.setAlias(model: "m", alias: "production", version: 1, by: "alice")
        _ = try await store.setAlias(model: "m", alias: "staging", version: 2, by: "bob")
        _ = try await store.setAlias(model: "other", alias: "production", version: 1, by: "carol")
        _ = try await store.setAlias(model: "m", alias: "production", version: 3, by: nil)
        try await store.deleteAlias(model: "m", alias: "staging", by: "bob")
        _ = try await store.setAlias(model: "m", alias: "staging", version: 1, by: "alice")

        let history = try await store.aliasHistory(model: "m")
        #expect(history.map(\.alias) == ["production", "staging", "production", "staging", "staging"])
        #expect(history.map(\.version) == [1, 2, 3, nil, 1])
        #expect(history.map(\.by) == ["alice", "bob", nil, "bob", "alice"])
        #expect(history.allSatisfy { $0.model == "m" })
        #expect(zip(history, history.dropFirst()).allSatisfy { $0.at <= $1.at })

        let other = try await store.aliasHistory(model: "other")
        #expect(other.count == 1 && other.first?.by == "carol" && other.first?.version == 1)
        // The latest event per alias agrees with the alias itself.
        let current = try await store.alias(model: "m", alias: "production")
        expectSame(history[2].at, current.updatedAt)
    }

    func checkAliasBlocksVersionDelete(_ store: any RegistryStore) async throws {
        try await Self.addVersion(store, model: "m", artifact: Self.sha("a"))
        try await Self.addVersion(store, model: "m", artifact: Self.sha("b"))
        _ = try await store.setAlias(model: "m", alias: "production", version: 1, by: nil)
        let error = await registryError { try await store.deleteVersion(model: "m", version: 1) }
        if case let .conflict(message)? = error {
            #expect(message.contains("production"))
        } else {
            Issue.record("expected a conflict, got \(String(describing: error))")
        }
        #expect(try await store.versions(model: "m").map(\.version) == [1, 2])

        _ = try await store.setAlias(model: "m", alias: "production", version: 2, by: nil)
        #expect(try await store.deleteVersion(model: "m", version: 1) == Self.sha("a"))
        try await store.deleteAlias(model: "m", alias: "production", by: nil)
        #expect(try await store.deleteVersion(model: "m", version: 2) == Self.sha("b"))
    }
}
