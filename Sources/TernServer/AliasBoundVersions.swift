import Foundation

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
