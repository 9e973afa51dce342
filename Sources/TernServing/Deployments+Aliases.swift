import Foundation
import TernRegistry

extension Deployments {
    /// Moves `alias` of `model` to `version` without dropping a request.
    ///
    /// When the alias's current version is deployed, the new version is
    /// loaded first (with the same batching settings) and warmed; only then
    /// does the alias move, in the store and in the alias cache at once. The
    /// old version is unloaded after its running predictions finish, unless
    /// another alias still points at it. If the new version cannot be
    /// loaded, the alias stays where it was. When the alias is new or its
    /// version is not deployed, it just moves.
    /// - Throws: ``ServingError/conflict(_:)`` when the new version cannot
    ///   be loaded; the store's errors.
    public func moveAlias(model: String, alias: String, to version: Int, by keyID: String?) async throws -> AliasRecord {
        try await aliasMoves.withLock { try await self.moveAliasLocked(model: model, alias: alias, to: version, by: keyID) }
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
            aliasBound.insert(Key(model: model, version: version))
            let loaded: LoadedModel
            do {
                loaded = try await loadVersion(model: model, version: version, batching: batching)
            } catch {
                aliasBound.remove(Key(model: model, version: version))
                throw ServingError.conflict("alias '\(alias)' still points at version \(previous ?? 0): \(error)")
            }
            await warm(loaded)
            await save()
        }
        if let previous, oldDeployment != nil {
            // About to be left: after a crash it is restored only if an alias still points at it.
            aliasBound.insert(Key(model: model, version: previous))
            await save()
        }
        let record = try await store.setAlias(model: model, alias: alias, version: version, by: keyID)
        await aliasesChanged(model: model)
        if let previous, oldDeployment != nil {
            logger.info("alias moved", metadata: ["model": "\(model)", "alias": "\(alias)", "from": "\(previous)", "to": "\(version)"])
            Task { await self.retire(model: model, version: previous) }
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
            if await !loaded.usage.waitUntilIdle(timeout: drainTimeout) {
                logger.warning("unloading a version with predictions still running", metadata: ["model": "\(model)", "version": "\(version)"])
            }
        }
        await aliasMoves.withLock {
            let pinned = (try? await self.store.aliases(model: model).contains { $0.version == version }) ?? true
            guard !pinned else { return }
            await self.unloadLeft(model: model, version: version)
        }
    }

    private func unloadLeft(model: String, version: Int) async {
        guard await runtime.unload(model: model, version: version) else { return }
        aliasBound.remove(Key(model: model, version: version))
        await save()
        logger.info("model unloaded after alias swap", metadata: ["model": "\(model)", "version": "\(version)"])
    }
}
