import Foundation
import Logging
import TernFormats
import TernRegistry

/// The one owner of what this server serves: resolving a request to a
/// loaded version, deploying and undeploying, reloading versions the memory
/// budget unloaded, alias swaps with warm-up and draining
/// (`Deployments+Aliases.swift`), and keeping the deployments in the
/// registry store so a restarted server serves what it served before.
///
/// Resolution is `nonisolated` (the hot path of every inference request
/// reads the alias cache and the runtime, never this actor's state).
/// Errors are ``ServingError``s and the store's ``RegistryError``s.
public actor Deployments {
    public nonisolated let store: any RegistryStore
    public nonisolated let artifacts: ArtifactStore
    public nonisolated let runtime: ModelRuntime
    nonisolated let logger: Logger
    /// Recently resolved aliases.
    nonisolated let aliases: AliasCache
    /// Loads in progress, shared by the requests that wait for them.
    nonisolated let loads = LoadCoordinator()
    /// Serialises alias moves with the unloading of the versions they leave.
    nonisolated let aliasMoves = AsyncLock()
    /// How long a swap waits for the old version's running predictions.
    nonisolated let drainTimeout: Duration

    struct Key: Hashable, Sendable {
        let model: String
        let version: Int
    }

    /// Versions loaded only for an alias swap (the new one until it is
    /// deployed explicitly, the old one until it is unloaded).
    var aliasBound: Set<Key> = []
    /// Deployments that failed to restore at start, with the reason.
    private var failedRestores: [Key: String] = [:]

    /// - Parameters:
    ///   - aliasLifetime: how long a resolved alias is cached (a change made
    ///     by another process sharing the store is seen after it).
    ///   - drainTimeout: how long an alias swap waits for the old version's
    ///     running predictions before unloading it anyway.
    public init(store: any RegistryStore, artifacts: ArtifactStore, runtime: ModelRuntime, logger: Logger,
                aliasLifetime: Duration = .seconds(1), drainTimeout: Duration = .seconds(30)) {
        self.store = store
        self.artifacts = artifacts
        self.runtime = runtime
        self.logger = logger
        aliases = AliasCache(lifetime: aliasLifetime)
        self.drainTimeout = drainTimeout
    }

    // MARK: Resolution

    /// The loaded version a request addresses; a deployed version the
    /// memory budget unloaded is loaded again first.
    /// - Throws: ``RegistryError/invalidName(_:)`` for an invalid name,
    ///   ``ServingError/notFound(_:)`` when the model, alias or version is
    ///   unknown or not loaded, ``ServingError/unavailable(_:)`` when a
    ///   reload fails.
    public nonisolated func resolve(model: String, _ selector: VersionSelector) async throws -> LoadedModel {
        try Names.validate(model, kind: "model")
        let version: Int
        switch selector {
        case let .number(n):
            version = n
        case let .alias(alias):
            guard let aliased = try await lookupAlias(model: model, alias: alias) else {
                throw ServingError.notFound("model '\(model)' has no alias '\(alias)'")
            }
            version = aliased
        case .unspecified:
            if let aliased = try await lookupAlias(model: model, alias: VersionSelector.defaultAlias) {
                version = aliased
            } else if let latest = await runtime.latestLoaded(model: model) {
                return latest
            } else {
                throw ServingError.notFound("model '\(model)' is not loaded")
            }
        }
        if let loaded = await runtime.get(model: model, version: version) { return loaded }
        if let batching = await runtime.evictedDeployment(model: model, version: version) {
            return try await reloadEvicted(model: model, version: version, batching: batching)
        }
        throw ServingError.notFound("model '\(model)' version \(version) is not loaded")
    }

    /// Every loaded version the selector covers (no selector: all loaded
    /// versions of the model, as TF Serving's status route lists them).
    public nonisolated func resolveAll(model: String, _ selector: VersionSelector) async throws -> [LoadedModel] {
        guard selector == .unspecified else { return [try await resolve(model: model, selector)] }
        try Names.validate(model, kind: "model")
        let all = await runtime.loaded(model: model)
        guard !all.isEmpty else { throw ServingError.notFound("model '\(model)' is not loaded") }
        return all
    }

    /// The version an alias points at, or nil when the model or alias does
    /// not exist (through the alias cache).
    nonisolated func lookupAlias(model: String, alias: String) async throws -> Int? {
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

    /// Call after changing or deleting aliases of `model` (or the model):
    /// forgets the cached ones and re-pins the versions aliases point at.
    public func aliasesChanged(model: String) async {
        aliases.invalidate(model: model)
        await refreshPins(model: model)
    }

    // MARK: Deploying

    /// Loads the version `selector` names for serving (with neither version
    /// nor alias: the default alias if the model has one, else its newest
    /// version) and records the deployment.
    /// - Returns: the loaded version and how it was chosen.
    /// - Throws: ``ServingError/notFound(_:)`` for an unknown model, alias
    ///   or version; ``ServingError/conflict(_:)`` when its artifact cannot
    ///   be loaded.
    public func deploy(model: String, _ selector: VersionSelector, batching: BatchingConfiguration) async throws
        -> (loaded: LoadedModel, selectedBy: String) {
        try Names.validate(model, kind: "model")
        let (version, selectedBy) = try await deploymentVersion(model: model, selector)
        let loaded = try await loadVersion(model: model, version: version, batching: batching)
        aliasBound.remove(Key(model: model, version: version))  // deployed explicitly now
        await refreshPins(model: model)
        await save()
        return (loaded, selectedBy)
    }

    /// Unloads a deployed version (also one that failed to restore).
    /// - Throws: ``ServingError/notFound(_:)`` when it is not deployed.
    public func undeploy(model: String, version: Int) async throws {
        let wasFailedRestore = failedRestores.removeValue(forKey: Key(model: model, version: version)) != nil
        guard await runtime.unload(model: model, version: version) || wasFailedRestore else {
            throw ServingError.notFound("model '\(model)' version \(version) is not loaded")
        }
        aliasBound.remove(Key(model: model, version: version))
        await save()
    }

    /// Unloads every version of a model being deleted.
    public func undeployAll(model: String, versions: [Int]) async {
        aliases.invalidate(model: model)
        guard !versions.isEmpty else { return }
        for version in versions {
            _ = await runtime.unload(model: model, version: version)
            aliasBound.remove(Key(model: model, version: version))
        }
        await save()
    }

    /// Every deployed version: loaded ones with their model, evicted ones
    /// with their batching settings only.
    public nonisolated func list() async -> [(model: String, version: Int, batching: BatchingConfiguration, loaded: LoadedModel?)] {
        await runtime.deployments()
    }

    /// The version a deployment request names and how it was chosen.
    private func deploymentVersion(model: String, _ selector: VersionSelector) async throws -> (Int, String) {
        switch selector {
        case let .number(n):
            return (n, "version")
        case let .alias(alias):
            do {
                return (try await store.alias(model: model, alias: alias).version, "alias \(alias)")
            } catch RegistryError.notFound {
                throw ServingError.notFound("model '\(model)' has no alias '\(alias)'")
            }
        case .unspecified:
            if let aliased = try? await store.alias(model: model, alias: VersionSelector.defaultAlias) {
                return (aliased.version, "alias \(VersionSelector.defaultAlias)")
            }
            let newest: Int?
            do { newest = try await store.versions(model: model).map(\.version).max() } catch RegistryError.notFound {
                throw ServingError.notFound("model '\(model)' not found")
            }
            guard let newest else { throw ServingError.notFound("model '\(model)' has no versions to deploy") }
            return (newest, "newest version")
        }
    }

    // MARK: Loading

    /// Reads a version's artifact (checksum verified) and loads it; one load
    /// at a time per version, concurrent callers share it.
    /// - Throws: ``ServingError/conflict(_:)`` when the stored artifact is
    ///   missing, corrupt or not a model this server can load;
    ///   ``RegistryError/notFound(_:)`` when the version does not exist.
    nonisolated func loadVersion(model: String, version: Int, batching: BatchingConfiguration) async throws -> LoadedModel {
        try await loads.load(model: model, version: version) { [self] in
            let record = try await store.version(model: model, version: version)
            let artifact: [UInt8]
            do {
                artifact = try artifacts.read(record.artifactSHA256)
            } catch RegistryError.checksumMismatch {
                throw ServingError.conflict("the stored artifact of model '\(model)' version \(version) is corrupt (checksum mismatch); upload the version again")
            } catch RegistryError.notFound {
                throw ServingError.conflict("the artifact of model '\(model)' version \(version) is missing from the artifact store")
            }
            do {
                let loaded = try await runtime.load(model: model, version: version, artifact: artifact, batching: batching)
                await restored(model: model, version: version)
                return loaded
            } catch let error as BatchingConfigurationError {
                throw error
            } catch {
                throw ServingError.conflict("model '\(model)' version \(version) cannot be loaded: \(error)")
            }
        }
    }

    /// Loads again a deployed version the memory budget unloaded.
    /// - Throws: ``ServingError/unavailable(_:)`` when the load fails.
    nonisolated func reloadEvicted(model: String, version: Int, batching: BatchingConfiguration) async throws -> LoadedModel {
        do {
            let loaded = try await loadVersion(model: model, version: version, batching: batching)
            logger.info("reloaded evicted model", metadata: ["model": "\(model)", "version": "\(version)"])
            return loaded
        } catch {
            logger.error("could not reload evicted model", metadata: ["model": "\(model)", "version": "\(version)", "error": "\(error)"])
            throw ServingError.unavailable("model '\(model)' version \(version) could not be loaded: \(error)")
        }
    }

    /// Tells the runtime which versions of `model` aliases point at, so the
    /// memory budget never unloads them.
    func refreshPins(model: String) async {
        let versions = (try? await store.aliases(model: model).map(\.version)) ?? []
        await runtime.setPinned(model: model, versions: Set(versions))
    }

    /// Runs one all-zero sample through a freshly loaded version, so its
    /// first real request does not pay for first-touch page faults and lazy
    /// set-up. A failure is logged, not thrown.
    nonisolated func warm(_ loaded: LoadedModel) async {
        do {
            _ = try await runtime.warm(loaded)
        } catch {
            logger.warning("warm-up prediction failed", metadata: ["model": "\(loaded.model)", "version": "\(loaded.version)", "error": "\(error)"])
        }
    }

    // MARK: Readiness

    /// Why deployments are missing: those that failed to restore at start,
    /// until they load or are undeployed. Empty when all were restored.
    public var restoreFailures: [String] {
        failedRestores.sorted { ($0.key.model, $0.key.version) < ($1.key.model, $1.key.version) }
            .map { "deployment \($0.key.model) version \($0.key.version) was not restored: \($0.value)" }
    }

    private func restored(model: String, version: Int) {
        failedRestores[Key(model: model, version: version)] = nil
    }

    func restoreFailed(model: String, version: Int, reason: String) {
        failedRestores[Key(model: model, version: version)] = reason
    }
}
