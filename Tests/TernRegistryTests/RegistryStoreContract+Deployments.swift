import Foundation
import Testing
@testable import TernRegistry

extension RegistryStoreContract {
    /// Deployments are replaced as a whole, listed by model then version,
    /// keep their settings and alias-bound marks, and survive a restart.
    func checkDeployments(_ store: any RegistryStore, reopen: Opener) async throws {
        #expect(try await store.deployments().isEmpty)
        let records = [
            DeploymentRecord(model: "b", version: 1),
            DeploymentRecord(model: "a", version: 3, settings: #"{"max_batch_size":8}"#, aliasBound: true),
            DeploymentRecord(model: "a", version: 1),
        ]
        try await store.replaceDeployments(records)
        let sorted = [records[2], records[1], records[0]]
        #expect(try await store.deployments() == sorted)
        #expect(try await reopen().deployments() == sorted)
        try await store.replaceDeployments([records[0]])
        #expect(try await store.deployments() == [records[0]])
        try await store.replaceDeployments([])
        #expect(try await store.deployments().isEmpty)
    }
}
