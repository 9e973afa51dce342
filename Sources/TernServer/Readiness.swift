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
            problems.append("the registry store does not answer: \(error)")
        }
        return problems + (await readiness.reasons)
    }
}

/// The deployed versions that are loaded only because of an alias swap:
/// the version a swap loaded (until someone deploys it explicitly) and the
/// version it left (until it is unloaded). `deployments.json` marks them,
/// so a server killed mid-swap restores them only while an alias points at
/// them (``DeploymentsFile/restore(into:)``).
actor AliasBoundVersions {
    struct Key: Hashable, Sendable {
        let model: String
        let version: Int
    }

    private(set) var keys: Set<Key> = []

    func insert(model: String, version: Int) { keys.insert(Key(model: model, version: version)) }
    func remove(model: String, version: Int) { keys.remove(Key(model: model, version: version)) }
}

extension ServerServices {
    /// Writes `deployments.json` from the runtime and the alias-bound marks.
    func saveDeployments() async {
        await DeploymentsFile(directory: configuration.dataDirectory).save(runtime, aliasBound: await aliasBound.keys)
    }
}
