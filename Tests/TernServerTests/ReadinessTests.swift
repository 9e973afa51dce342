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
        let fixture = try await Fixture.make(loaded: [])
        try await fixture.corruptArtifact(version: 2)
        let deployments = DeploymentsFile(directory: fixture.directory)
        try JSONEncoder().encode([DeploymentsFile.Entry(model: "mnist", version: 1), DeploymentsFile.Entry(model: "mnist", version: 2)])
            .write(to: deployments.url)
        await deployments.restore(into: fixture.services)
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
}
