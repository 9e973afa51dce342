import Foundation
import TernRegistry

/// What keeps the server from being ready: deployments that could not be
/// restored at start (a blob that fails its checksum, a version gone from
/// the store). `GET /v2/health/ready` answers 503 with these reasons, and
/// with the store's failure when it does not answer; liveness is separate.
/// A failure clears when that version is loaded again or undeployed.
actor Readiness {
    private var failedRestores: [String: String] = [:]

    func restoreFailed(model: String, version: Int, reason: String) {
        failedRestores["\(model) version \(version)"] = reason
    }

    /// Forgets a failed restore; true if there was one.
    @discardableResult
    func clear(model: String, version: Int) -> Bool {
        failedRestores.removeValue(forKey: "\(model) version \(version)") != nil
    }

    /// The reasons, sorted; empty when every deployment was restored.
    var reasons: [String] {
        failedRestores.sorted { $0.key < $1.key }.map { "deployment \($0.key) was not restored: \($0.value)" }
    }
}

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
        return problems + (await readiness.reasons)
    }
}
