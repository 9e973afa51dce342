import Foundation
import TernRegistry

extension ServerServices {
    /// Why the server is not ready: the store not answering, deployments
    /// not restored. Empty when ready.
    func readinessProblems() async -> [String] {
        var problems: [String] = []
        do {
            _ = try await store.model("tern-readiness-probe")
        } catch RegistryError.notFound {
            // The store answered.
        } catch {
            // Unauthenticated callers read this: a registry error's text, never a driver's (paths).
            problems.append("the registry store does not answer: \((error as? RegistryError)?.description ?? "query failed")")
        }
        return problems + (await deployments.restoreFailures)
    }
}
