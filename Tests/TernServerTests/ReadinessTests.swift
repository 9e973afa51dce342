import Foundation
import HTTPTypes
import Testing
import TernRegistry
@testable import TernServer

/// Ready means every deployment was restored: a deployed version whose blob
/// fails its checksum at start makes /v2/health/ready a 503 naming it (live
/// stays 200) until the version is undeployed or loaded again.
@Suite struct ReadinessTests {
    @Test func aDeploymentThatFailedToRestoreIsNotReady() async throws {
        let stopped = try await Fixture.make(loaded: [])
        try await stopped.corruptArtifact(version: 2)
        try await stopped.store.replaceDeployments([DeploymentRecord(model: "mnist", version: 1), DeploymentRecord(model: "mnist", version: 2)])
        let fixture = try await stopped.restarted()
        #expect(await fixture.services.runtime.loaded().map(\.version) == [1])
        try await fixture.test { client in
            let ready = try await client.send(.get, "/v2/health/ready", key: "")
            #expect(ready.status == .serviceUnavailable, "\(ready.text)")
            #expect(ready.object["ready"] as? Bool == false)
            let reasons = ready.object["reasons"] as? [String] ?? []
            #expect(reasons.count == 1 && reasons[0].contains("mnist version 2"), "\(reasons)")
            #expect(!reasons.joined().contains(fixture.directory.path))
            #expect(try await client.send(.get, "/v2/health/live", key: "").status == .ok)
            // Undeploying it is the operator's way back to ready.
            let undeployed = try await client.send(.delete, "/api/v1/deployments/mnist/2", key: fixture.deployKey)
            #expect(undeployed.status == .ok, "\(undeployed.text)")
            let again = try await client.send(.get, "/v2/health/ready", key: "")
            #expect(again.status == .ok && again.object["ready"] as? Bool == true, "\(again.text)")
        }
    }

    /// A `deployments.json` left by a server from before deployments lived
    /// in the store is imported once at start (and renamed), with its
    /// batching settings and alias-bound marks.
    @Test func aLegacyDeploymentsFileIsImportedOnce() async throws {
        let stopped = try await Fixture.make(loaded: [])
        let legacy = stopped.directory.appendingPathComponent("deployments.json")
        try Data(#"[{"model": "mnist", "version": 1}, {"model": "mnist", "version": 2, "batching": {"max_batch_size": 8, "max_queue_delay_microseconds": 1000, "preferred_batch_sizes": [], "max_queue_size": 64}}]"#.utf8)
            .write(to: legacy)
        let fixture = try await stopped.restarted()
        #expect(await fixture.services.runtime.loaded().map(\.version) == [1, 2])
        let records = try await fixture.store.deployments()
        #expect(records.map(\.version) == [1, 2])
        #expect(records[1].settings?.contains("1000") == true, "\(records)")
        #expect(!FileManager.default.fileExists(atPath: legacy.path))
        #expect(FileManager.default.fileExists(atPath: legacy.path + ".imported"))
        try await fixture.test { _ in }
    }
}
