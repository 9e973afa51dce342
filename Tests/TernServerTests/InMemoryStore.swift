import Foundation
import TernRegistry

/// A minimal in-memory ``RegistryStore`` for the serving tests: models,
/// versions, aliases and keys. Runs, datasets and jobs are not needed here
/// and throw.
actor InMemoryStore: RegistryStore {
    private var modelRecords: [String: ModelRecord] = [:]
    private var versionRecords: [String: [VersionRecord]] = [:]
    private var aliasRecords: [String: [String: AliasRecord]] = [:]
    private var keyRecords: [String: KeyRecord] = [:]

    private func unsupported() -> RegistryError { .storage("not supported by the test store") }

    func createModel(name: String, description: String, tags: [String: String]) throws -> ModelRecord {
        try Names.validate(name, kind: "model")
        guard modelRecords[name] == nil else { throw RegistryError.alreadyExists("model '\(name)'") }
        let record = ModelRecord(name: name, description: description, tags: tags, createdAt: Date(), updatedAt: Date())
        modelRecords[name] = record
        return record
    }

    func model(_ name: String) throws -> ModelRecord {
        guard let record = modelRecords[name] else { throw RegistryError.notFound("model '\(name)'") }
        return record
    }

    func models() -> [ModelRecord] { modelRecords.values.sorted { $0.name < $1.name } }

    func updateModel(_ name: String, description: String?, tags: [String: String]?) throws -> ModelRecord { throw unsupported() }
    func deleteModel(_ name: String) throws -> [String] { throw unsupported() }

    func createVersion(model: String, artifactSHA256: String, sizeBytes: Int, spec: String,
                       metrics: [String: Double], lineage: Lineage, createdBy: String?) throws -> VersionRecord {
        if modelRecords[model] == nil { _ = try createModel(name: model, description: "", tags: [:]) }
        let next = (versionRecords[model]?.last?.version ?? 0) + 1
        let record = VersionRecord(model: model, version: next, artifactSHA256: artifactSHA256, sizeBytes: sizeBytes, spec: spec,
                                   metrics: metrics, lineage: lineage, createdAt: Date(), createdBy: createdBy)
        versionRecords[model, default: []].append(record)
        return record
    }

    func version(model: String, version: Int) throws -> VersionRecord {
        guard let record = versionRecords[model]?.first(where: { $0.version == version }) else {
            throw RegistryError.notFound("model '\(model)' version \(version)")
        }
        return record
    }

    func versions(model: String) -> [VersionRecord] { versionRecords[model] ?? [] }
    func deleteVersion(model: String, version: Int) throws -> String? { throw unsupported() }
    func referencedArtifacts() -> Set<String> { Set(versionRecords.values.flatMap { $0.map(\.artifactSHA256) }) }

    func setAlias(model: String, alias: String, version: Int, by: String?) throws -> AliasRecord {
        try Names.validate(alias, kind: "alias")
        _ = try self.version(model: model, version: version)
        let record = AliasRecord(model: model, alias: alias, version: version, updatedAt: Date(), updatedBy: by)
        aliasRecords[model, default: [:]][alias] = record
        return record
    }

    func alias(model: String, alias: String) throws -> AliasRecord {
        guard let record = aliasRecords[model]?[alias] else { throw RegistryError.notFound("alias '\(alias)' of model '\(model)'") }
        return record
    }

    func aliases(model: String) -> [AliasRecord] { (aliasRecords[model] ?? [:]).values.sorted { $0.alias < $1.alias } }

    func deleteAlias(model: String, alias: String, by: String?) throws {
        guard aliasRecords[model]?.removeValue(forKey: alias) != nil else { throw RegistryError.notFound("alias '\(alias)'") }
    }

    func aliasHistory(model: String) throws -> [AliasEvent] { throw unsupported() }
    func createRun(_ run: RunRecord) throws { throw unsupported() }
    func run(_ id: String) throws -> RunRecord { throw unsupported() }

    func createDataset(name: String, kind: DatasetRecord.Kind, rows: Int, schema: String, files: [String: String],
                       sha256: String, createdBy: String?) throws -> DatasetRecord { throw unsupported() }
    func dataset(name: String, version: Int?) throws -> DatasetRecord { throw unsupported() }
    func datasets() throws -> [DatasetRecord] { throw unsupported() }
    func deleteDataset(name: String, version: Int) throws { throw unsupported() }

    func createKey(_ key: KeyRecord) throws {
        guard keyRecords[key.id] == nil else { throw RegistryError.alreadyExists("key '\(key.id)'") }
        keyRecords[key.id] = key
    }

    func key(id: String) -> KeyRecord? { keyRecords[id] }
    func keys() -> [KeyRecord] { keyRecords.values.sorted { $0.id < $1.id } }

    func revokeKey(id: String) throws {
        guard keyRecords[id] != nil else { throw RegistryError.notFound("key '\(id)'") }
        keyRecords[id]?.revokedAt = Date()
    }

    func createJob(_ job: JobRecord) throws { throw unsupported() }
    func job(_ id: String) throws -> JobRecord { throw unsupported() }
    func jobs() throws -> [JobRecord] { throw unsupported() }
    func updateJob(_ job: JobRecord) throws { throw unsupported() }
    func failUnfinishedJobs(reason: String) throws -> Int { throw unsupported() }
}
