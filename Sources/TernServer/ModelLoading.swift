import Foundation
import Logging
import TernFormats
import TernONNX
import TernRegistry
import TernServing
import TernTensor

/// One load at a time per model version: concurrent requests for a version
/// that is being loaded wait for that same load instead of starting another.
actor LoadCoordinator {
    private struct Key: Hashable { var model: String; var version: Int }
    private var running: [Key: Task<LoadedModel, any Error>] = [:]

    /// Runs `load` unless a load of the same version is under way, in which
    /// case it waits for that one's result.
    func load(model: String, version: Int, _ load: @escaping @Sendable () async throws -> LoadedModel) async throws -> LoadedModel {
        let key = Key(model: model, version: version)
        if let task = running[key] { return try await task.value }
        let task = Task { try await load() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}

/// A lock for async code: holders run one at a time, in arrival order.
/// Alias moves and the unloading of versions they left take it, so a move
/// back to a version cannot interleave with that version being unloaded.
actor AsyncLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { held = false } else { waiters.removeFirst().resume() }
    }
}

/// How long an alias swap waits for the old version's running predictions
/// before unloading it anyway (they keep their own reference to the model,
/// so they still finish).
let swapDrainTimeout: Duration = .seconds(30)

extension ServerServices {
    /// Reads a version's artifact (checksum verified) and loads it.
    /// - Throws: 409 when the stored artifact is missing, corrupt or not a
    ///   model this server can load; 404 when the version does not exist.
    func loadVersion(model: String, version: Int, batching: BatchingConfiguration) async throws -> LoadedModel {
        try await loads.load(model: model, version: version) { [self] in
            let record = try await store.version(model: model, version: version)
            let artifact: [UInt8]
            do {
                artifact = try artifacts.read(record.artifactSHA256)
            } catch RegistryError.checksumMismatch {
                throw APIError(.conflict, "the stored artifact of model '\(model)' version \(version) is corrupt (checksum mismatch); upload the version again")
            } catch RegistryError.notFound {
                throw APIError(.conflict, "the artifact of model '\(model)' version \(version) is missing from the artifact store")
            }
            do {
                let loaded = try await runtime.load(model: model, version: version, artifact: artifact, batching: batching)
                await readiness.clear(model: model, version: version)
                return loaded
            } catch let error where error is FormatError || error is ONNXError || error is ONNXRuntimeError {
                throw APIError(.conflict, "model '\(model)' version \(version) cannot be loaded: \(error)")
            }
        }
    }

    /// Loads again a deployed version the memory budget unloaded: the
    /// request waits for the load (shared with concurrent requests).
    /// - Throws: 503 when the load fails.
    func reloadEvicted(model: String, version: Int, batching: BatchingConfiguration) async throws -> LoadedModel {
        do {
            let loaded = try await loadVersion(model: model, version: version, batching: batching)
            logger.info("reloaded evicted model", metadata: ["model": "\(model)", "version": "\(version)"])
            return loaded
        } catch {
            let reason = (error as? APIError)?.message ?? "\(error)"
            logger.error("could not reload evicted model", metadata: ["model": "\(model)", "version": "\(version)", "error": "\(reason)"])
            throw APIError(.serviceUnavailable, "model '\(model)' version \(version) could not be loaded: \(reason)")
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
    /// set-up. A failure is logged, not thrown (the load already checked the
    /// model).
    func warm(_ loaded: LoadedModel) async {
        do {
            switch loaded.servable {
            case let .tern(model):
                let zeros = Tensor<Float>(zeros: Shape([1] + model.spec.input.shape.dimensions))
                _ = try await runtime.predict(loaded, .float32(zeros))
            case let .onnx(model):
                if let zeros = model.zeroInputs() { _ = try await runtime.predict(loaded, onnx: zeros) }
            }
        } catch {
            logger.warning("warm-up prediction failed", metadata: ["model": "\(loaded.model)", "version": "\(loaded.version)", "error": "\(error)"])
        }
    }

    /// Moves `alias` of `model` to `version` without dropping a request.
    ///
    /// When the alias's current version is deployed, the new version is
    /// loaded first (with the same batching settings) and warmed; only then
    /// does the alias move, in the store and in the alias cache at once. The
    /// old version is unloaded after its running predictions finish, unless
    /// another alias still points at it. If the new version cannot be
    /// loaded, the alias stays where it was and the error (409) says so.
    /// When the alias is new or its version is not deployed, it just moves.
    func moveAlias(model: String, alias: String, to version: Int, by keyID: String?) async throws -> AliasRecord {
        try await aliasMoves.withLock { try await moveAliasLocked(model: model, alias: alias, to: version, by: keyID) }
    }

    private func moveAliasLocked(model: String, alias: String, to version: Int, by keyID: String?) async throws -> AliasRecord {
        let previous = try? await store.alias(model: model, alias: alias).version
        var oldDeployment: BatchingConfiguration?
        if let previous, previous != version {
            if let loaded = await runtime.get(model: model, version: previous) {
                oldDeployment = loaded.batching
            } else {
                oldDeployment = await runtime.evictedDeployment(model: model, version: previous)
            }
        }
        if let batching = oldDeployment, await runtime.get(model: model, version: version) == nil {
            // Loaded for the alias: after a crash it is restored only if the alias reached it.
            await aliasBound.insert(model: model, version: version)
            let loaded: LoadedModel
            do {
                loaded = try await loadVersion(model: model, version: version, batching: batching)
            } catch let error as APIError {
                await aliasBound.remove(model: model, version: version)
                throw APIError(.conflict, "alias '\(alias)' still points at version \(previous ?? 0): \(error.message)")
            }
            await warm(loaded)
            await saveDeployments()
        }
        if let previous, oldDeployment != nil {
            // About to be left: after a crash it is restored only if an alias still points at it.
            await aliasBound.insert(model: model, version: previous)
            await saveDeployments()
        }
        let record = try await store.setAlias(model: model, alias: alias, version: version, by: keyID)
        aliases.invalidate(model: model)
        await refreshPins(model: model)
        if let previous, oldDeployment != nil {
            logger.info("alias moved", metadata: ["model": "\(model)", "alias": "\(alias)", "from": "\(previous)", "to": "\(version)"])
            let services = self
            Task { await services.retire(model: model, version: previous) }
        }
        return record
    }

    /// Unloads a version an alias moved away from, once requests that
    /// resolved it before the move have finished: after the alias cache's
    /// lifetime and the version's running predictions. Kept if an alias
    /// points at it again by then.
    func retire(model: String, version: Int) async {
        try? await Task.sleep(for: aliases.lifetime + .milliseconds(500))
        if let loaded = await runtime.get(model: model, version: version) {
            if await !loaded.usage.waitUntilIdle(timeout: swapDrainTimeout) {
                logger.warning("unloading a version with predictions still running", metadata: ["model": "\(model)", "version": "\(version)"])
            }
        }
        await aliasMoves.withLock {
            let pinned = (try? await store.aliases(model: model).contains { $0.version == version }) ?? true
            guard !pinned else { return }
            if await runtime.unload(model: model, version: version) {
                await aliasBound.remove(model: model, version: version)
                await saveDeployments()
                logger.info("model unloaded after alias swap", metadata: ["model": "\(model)", "version": "\(version)"])
            }
        }
    }
}
