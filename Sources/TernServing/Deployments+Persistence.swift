import Foundation
import TernRegistry

extension Deployments {
    /// Records the runtime's deployments (loaded and evicted) with their
    /// settings and alias-bound marks in the store. A failure is logged: the
    /// versions stay served, and the next change writes them again.
    func save() async {
        let records = await runtime.deployments().map { row in
            DeploymentRecord(model: row.model, version: row.version, settings: Self.settingsText(row.batching),
                             aliasBound: aliasBound.contains(Key(model: row.model, version: row.version)))
        }
        do {
            try await store.replaceDeployments(records)
        } catch {
            logger.error("could not record the deployments in the store", metadata: ["error": "\(error)"])
        }
    }

    /// Loads the deployments recorded in the store (after importing a
    /// `deployments.json` written by an older server, once: the file is
    /// renamed `deployments.json.imported`). A version an alias swap left
    /// is restored only while an alias still points at it; one that cannot
    /// be loaded is reported by ``restoreFailures`` until it loads or is
    /// undeployed.
    public func restore(legacyFile: URL? = nil) async {
        if let legacyFile { await importLegacy(legacyFile) }
        let records: [DeploymentRecord]
        do {
            records = try await store.deployments()
        } catch {
            logger.error("could not read the deployments from the store", metadata: ["error": "\(error)"])
            return
        }
        for model in Set(records.map(\.model)) { await refreshPins(model: model) }
        var dropped = false
        for record in records {
            let key = Key(model: record.model, version: record.version)
            if record.aliasBound {
                // A swap was under way: keep the version only if an alias points at it now.
                let aliased = (try? await store.aliases(model: record.model).contains { $0.version == record.version }) ?? false
                guard aliased else {
                    logger.info("not restoring a version an alias swap left", metadata: ["model": "\(record.model)", "version": "\(record.version)"])
                    dropped = true
                    continue
                }
                aliasBound.insert(key)
            }
            do {
                let stored = try await store.version(model: record.model, version: record.version)
                let bytes = try artifacts.read(stored.artifactSHA256)
                _ = try await runtime.load(model: record.model, version: record.version, artifact: bytes,
                                           batching: Self.batching(record.settings))
                logger.info("restored deployment", metadata: ["model": "\(record.model)", "version": "\(record.version)"])
            } catch {
                let reason = (error as? RegistryError)?.description ?? "the artifact could not be loaded"
                logger.error("could not restore deployment; not ready until it is loaded or undeployed",
                             metadata: ["model": "\(record.model)", "version": "\(record.version)", "error": "\(reason)"])
                restoreFailed(model: record.model, version: record.version, reason: reason)
            }
        }
        if dropped { await save() }
    }

    /// The entries of a `deployments.json` (the format before the store
    /// kept deployments).
    struct LegacyEntry: Codable {
        var model: String
        var version: Int
        var batching: BatchingConfiguration?
        var aliasBound: Bool?

        enum CodingKeys: String, CodingKey { case model, version, batching, aliasBound = "alias_bound" }
    }

    private func importLegacy(_ url: URL) async {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        guard let entries = try? JSONDecoder().decode([LegacyEntry].self, from: data) else {
            logger.error("deployments.json is not readable; it is left in place and not imported")
            return
        }
        let existing = (try? await store.deployments()) ?? []
        var merged = Dictionary(existing.map { (Key(model: $0.model, version: $0.version), $0) }, uniquingKeysWith: { a, _ in a })
        for entry in entries {
            merged[Key(model: entry.model, version: entry.version)] = DeploymentRecord(
                model: entry.model, version: entry.version, settings: Self.settingsText(entry.batching ?? .disabled),
                aliasBound: entry.aliasBound ?? false)
        }
        do {
            try await store.replaceDeployments(merged.values.sorted { ($0.model, $0.version) < ($1.model, $1.version) })
            try FileManager.default.moveItem(at: url, to: url.appendingPathExtension("imported"))
            logger.info("imported deployments.json into the registry store", metadata: ["deployments": "\(entries.count)"])
        } catch {
            logger.error("could not import deployments.json", metadata: ["error": "\(error)"])
        }
    }

    /// Batching settings as stored (nil when off).
    static func settingsText(_ batching: BatchingConfiguration) -> String? {
        guard batching.isEnabled else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(batching)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Stored settings back as batching (off when absent or unreadable).
    static func batching(_ settings: String?) -> BatchingConfiguration {
        guard let settings, let value = try? JSONDecoder().decode(BatchingConfiguration.self, from: Data(settings.utf8)) else {
            return .disabled
        }
        return value
    }
}
