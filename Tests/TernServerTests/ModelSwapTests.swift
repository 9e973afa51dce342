import Foundation
import Testing
import TernRegistry
import TernFormats
@testable import TernServer
import TernServing
import TernTensor

/// Moving an alias of a deployed version swaps versions without a gap
/// (load and warm the new one, switch, drain and unload the old one), and
/// deployed versions evicted by the memory budget load again on demand.
@Suite struct ModelSwapTests {
    static let body = v2Body(shape: [1, 28, 28], data: "[" + Array(repeating: "0", count: 784).joined(separator: ",") + "]")

    private func servedVersion(_ client: Client, _ path: String = "/v2/models/mnist/infer") async throws -> String? {
        let reply = try await client.post(path, Self.body)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.object["model_version"] as? String
    }

    private func corrupt(_ fixture: Fixture, version: Int) async throws {
        _ = try await fixture.corruptArtifact(version: version)
    }

    @Test func movingTheAliasOfADeployedVersionLoadsTheNewOneThenRetiresTheOld() async throws {
        let fixture = try await Fixture.make(loaded: [1])
        let runtime = fixture.services.runtime
        try await fixture.test { client in
            #expect(try await servedVersion(client) == "1")
            let moved = try await client.send(.put, "/api/v1/models/mnist/aliases/production", key: fixture.deployKey, body: #"{"version": 3}"#)
            #expect(moved.status == .ok, "\(moved.text)")
            // Loaded (and warmed: one prediction) before the alias moved.
            let v3 = try #require(await runtime.get(model: "mnist", version: 3))
            #expect(v3.usage.snapshot.predictions >= 1)
            #expect(try await servedVersion(client) == "3")
            // The old version stays while requests that resolved it may still run, then goes.
            #expect(await runtime.get(model: "mnist", version: 1) != nil)
            try await Task.sleep(for: .seconds(2.5))
            #expect(await runtime.get(model: "mnist", version: 1) == nil)
            let recorded = try await fixture.store.deployments()
            #expect(recorded.map(\.version) == [3], "\(recorded)")
        }
    }

    /// A server killed in the middle of a swap (both versions recorded in
    /// the store) restores only what an alias or an explicit
    /// deployment points at: nothing stays loaded that nothing points at.
    @Test func aCrashMidSwapLeavesNothingLoadedThatNothingPointsAt() async throws {
        let fixture = try await Fixture.make(loaded: [1])
        try await fixture.test { client in
            let moved = try await client.send(.put, "/api/v1/models/mnist/aliases/production", key: fixture.deployKey, body: #"{"version": 3}"#)
            #expect(moved.status == .ok, "\(moved.text)")
            // Right after the move (before the old version is retired), both are marked as loaded for the alias.
            let entries = try await fixture.store.deployments()
            #expect(entries.map(\.version).sorted() == [1, 3])
            #expect(entries.allSatisfy { $0.aliasBound }, "\(entries)")
        }
        // "Restart" with those records, plus an explicit deployment of 2 and
        // a leftover alias-bound 1: production points at 3, staging at 2.
        let crashed = try await Fixture.make(loaded: [])
        _ = try await crashed.store.setAlias(model: "mnist", alias: "production", version: 3, by: nil)
        _ = try await crashed.store.deleteAlias(model: "mnist", alias: "staging", by: nil)
        try await crashed.store.replaceDeployments([
            DeploymentRecord(model: "mnist", version: 1, aliasBound: true),
            DeploymentRecord(model: "mnist", version: 2),
            DeploymentRecord(model: "mnist", version: 3, aliasBound: true),
        ])
        let restarted = try await crashed.restarted()
        #expect(await restarted.services.runtime.loaded().map(\.version).sorted() == [2, 3])
        #expect(try await restarted.store.deployments().map(\.version).sorted() == [2, 3], "the store forgets the version nothing points at")
        // Deploying the swapped-in version explicitly makes it an ordinary deployment.
        try await restarted.test { client in
            let deployed = try await client.post("/api/v1/deployments", #"{"model": "mnist", "version": 3}"#, key: restarted.deployKey)
            #expect(deployed.status == .created, "\(deployed.text)")
        }
        #expect(try await restarted.store.deployments().first { $0.version == 3 }?.aliasBound == false)
    }

    @Test func aVersionAnotherAliasPointsAtIsKept() async throws {
        let fixture = try await Fixture.make(loaded: [1, 2])
        let runtime = fixture.services.runtime
        try await fixture.test { client in
            // staging → 1 as well, so moving production away must not unload 1.
            let staged = try await client.send(.put, "/api/v1/models/mnist/aliases/staging", key: fixture.deployKey, body: #"{"version": 1}"#)
            #expect(staged.status == .ok)
            let moved = try await client.send(.put, "/api/v1/models/mnist/aliases/production", key: fixture.deployKey, body: #"{"version": 2}"#)
            #expect(moved.status == .ok)
            try await Task.sleep(for: .seconds(2.5))
            #expect(await runtime.get(model: "mnist", version: 1) != nil)
            #expect(try await servedVersion(client) == "2")
        }
    }

    @Test func aFailedLoadLeavesTheAliasAndTheOldVersionServing() async throws {
        let fixture = try await Fixture.make(loaded: [1])
        try await corrupt(fixture, version: 3)
        try await fixture.test { client in
            try await client.expectError(.put, "/api/v1/models/mnist/aliases/production", body: #"{"version": 3}"#, key: fixture.deployKey,
                                         .conflict, "alias 'production' still points at version 1")
            #expect(try await fixture.store.alias(model: "mnist", alias: "production").version == 1)
            #expect(try await servedVersion(client) == "1")
            #expect(await fixture.services.runtime.get(model: "mnist", version: 3) == nil)
        }
    }

    @Test func anAliasOfAVersionThatIsNotDeployedJustMoves() async throws {
        let fixture = try await Fixture.make(loaded: [1])
        try await fixture.test { client in
            let moved = try await client.send(.put, "/api/v1/models/mnist/aliases/staging", key: fixture.deployKey, body: #"{"version": 3}"#)
            #expect(moved.status == .ok)
            #expect(await fixture.services.runtime.get(model: "mnist", version: 3) == nil)
        }
    }

    @Test func anEvictedVersionLoadsAgainWhenARequestNeedsIt() async throws {
        let oneModel = (784 * 128 + 128 + 128 * 10 + 10) * 4 + 100
        let fixture = try await Fixture.make(loaded: []) { $0.memoryBudgetBytes = oneModel }
        let runtime = fixture.services.runtime
        try await fixture.test { client in
            for version in [3, 1] {
                let deployed = try await client.send(.post, "/api/v1/deployments", key: fixture.deployKey, body: "{\"model\": \"mnist\", \"version\": \(version)}")
                #expect(deployed.status == .created, "\(deployed.text)")
            }
            // Version 1 is pinned by `production`; version 3 is not, so it made room.
            #expect(await runtime.loaded().map(\.version) == [1])
            let list = try await client.get("/api/v1/deployments", key: fixture.readKey)
            let states = (list.object["deployments"] as? [[String: Any]] ?? []).map { "\($0["version"] ?? "?"):\($0["state"] ?? "?")" }
            #expect(states == ["1:ready", "3:evicted"])
            // Concurrent requests for the evicted version wait for one load and all succeed.
            try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<8 { group.addTask { try await servedVersion(client, "/v2/models/mnist/versions/3/infer") } }
                for try await version in group { #expect(version == "3") }
            }
            #expect(await runtime.get(model: "mnist", version: 3) != nil)
            // A version never deployed is still a 404, not a load.
            try await client.expectError(.post, "/v2/models/mnist/versions/2/infer", body: Self.body, .notFound, "not loaded")
        }
    }

    @Test func aFailedReloadIs503() async throws {
        let oneModel = (784 * 128 + 128 + 128 * 10 + 10) * 4 + 100
        let fixture = try await Fixture.make(loaded: []) { $0.memoryBudgetBytes = oneModel }
        try await fixture.test { client in
            for version in [3, 1] {
                let deployed = try await client.send(.post, "/api/v1/deployments", key: fixture.deployKey, body: "{\"model\": \"mnist\", \"version\": \(version)}")
                #expect(deployed.status == .created)
            }
            try await corrupt(fixture, version: 3)
            try await client.expectError(.post, "/v2/models/mnist/versions/3/infer", body: Self.body, .serviceUnavailable, "could not be loaded")
            #expect(try await servedVersion(client, "/v2/models/mnist/versions/1/infer") == "1")
        }
    }
}
