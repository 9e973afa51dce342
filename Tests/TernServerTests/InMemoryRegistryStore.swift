import Foundation
import TernRegistry

/// A `RegistryStore` held in memory, for route tests until the SQLite store
/// is available on this branch.
actor InMemoryRegistryStore: RegistryStore {
    var modelRows: [String: ModelRecord] = [:]
    var versionRows: [String: [Int: VersionRecord]] = [:]
    var nextVersion: [String: Int] = [:]
    var aliasRows: [String: [String: AliasRecord]] = [:]
    var history: [AliasEvent] = []
    var runRows: [String: RunRecord] = [:]
    var datasetRows: [String: [Int: DatasetRecord]] = [:]
    var keyRows: [String: KeyRecord] = [:]
    var jobRows: [String: JobRecord] = [:]

    init() {}

    func createModel(name: String, description: String, tags: [String: String]) throws -> ModelRecord {
        try Names.validate(name, kind: "model")
        guard modelRows[name] == nil else { throw RegistryError.alreadyExists("model '\(name)'") }
        let now = Date()
        let record = ModelRecord(name: name, description: description, tags: tags, createdAt: now, updatedAt: now)
        modelRows[name] = record
        return record
    }

    func model(_ name: String) throws -> ModelRecord {
        guard let m = modelRows[name] else { throw RegistryError.notFound("model '\(name)'") }
        return m
    }

    func models() -> [ModelRecord] { modelRows.values.sorted { $0.name < $1.name } }

    func updateModel(_ name: String, description: String?, tags: [String: String]?) throws -> ModelRecord {
        var m = try model(name)
        if let description { m.description = description }
        if let tags { m.tags = tags }
        m.updatedAt = Date()
        modelRows[name] = m
        return m
    }

    func deleteModel(_ name: String) throws -> [String] {
        _ = try model(name)
        let shas = Set((versionRows[name] ?? [:]).values.map(\.artifactSHA256))
        modelRows[name] = nil
        versionRows[name] = nil
        aliasRows[name] = nil
        history.removeAll { $0.model == name }
        let referenced = referencedArtifacts()
        return shas.filter { !referenced.contains($0) }.sorted()
    }

    func createVersion(model: String, artifactSHA256: String, sizeBytes: Int, spec: String, metrics: [String: Double],
                       lineage: Lineage, createdBy: String?) throws -> VersionRecord {
        if modelRows[model] == nil { _ = try createModel(name: model, description: "", tags: [:]) }
        let number = (nextVersion[model] ?? 0) + 1
        nextVersion[model] = number
        let record = VersionRecord(model: model, version: number, artifactSHA256: artifactSHA256, sizeBytes: sizeBytes,
                                   spec: spec, metrics: metrics, lineage: lineage, createdAt: Date(), createdBy: createdBy)
        versionRows[model, default: [:]][number] = record
        return record
    }

    func version(model: String, version: Int) throws -> VersionRecord {
        guard let v = versionRows[model]?[version] else { throw RegistryError.notFound("version \(version) of model '\(model)'") }
        return v
    }

    func versions(model: String) -> [VersionRecord] {
        (versionRows[model] ?? [:]).values.sorted { $0.version < $1.version }
    }

    func deleteVersion(model: String, version: Int) throws -> String? {
        let v = try self.version(model: model, version: version)
        versionRows[model]?[version] = nil
        return referencedArtifacts().contains(v.artifactSHA256) ? nil : v.artifactSHA256
    }

    func referencedArtifacts() -> Set<String> {
        var set = Set(versionRows.values.flatMap(\.values).map(\.artifactSHA256))
        for d in datasetRows.values.flatMap(\.values) { set.formUnion(d.files.values) }
        return set
    }

    func setAlias(model: String, alias: String, version: Int, by: String?) throws -> AliasRecord {
        _ = try self.version(model: model, version: version)
        let record = AliasRecord(model: model, alias: alias, version: version, updatedAt: Date(), updatedBy: by)
        aliasRows[model, default: [:]][alias] = record
        history.append(AliasEvent(model: model, alias: alias, version: version, at: record.updatedAt, by: by))
        return record
    }

    func alias(model: String, alias: String) throws -> AliasRecord {
        guard let a = aliasRows[model]?[alias] else { throw RegistryError.notFound("alias '\(alias)' of model '\(model)'") }
        return a
    }

    func aliases(model: String) -> [AliasRecord] { (aliasRows[model] ?? [:]).values.sorted { $0.alias < $1.alias } }

    func deleteAlias(model: String, alias: String, by: String?) throws {
        _ = try self.alias(model: model, alias: alias)
        aliasRows[model]?[alias] = nil
        history.append(AliasEvent(model: model, alias: alias, version: nil, at: Date(), by: by))
    }

    func aliasHistory(model: String) -> [AliasEvent] { history.filter { $0.model == model } }

    func createRun(_ run: RunRecord) { runRows[run.id] = run }

    func run(_ id: String) throws -> RunRecord {
        guard let r = runRows[id] else { throw RegistryError.notFound("run '\(id)'") }
        return r
    }

    func createDataset(name: String, kind: DatasetRecord.Kind, rows: Int, schema: String, files: [String: String],
                       sha256: String, createdBy: String?) throws -> DatasetRecord {
        try Names.validate(name, kind: "dataset")
        let number = ((datasetRows[name] ?? [:]).keys.max() ?? 0) + 1
        let record = DatasetRecord(name: name, version: number, kind: kind, rows: rows, schema: schema, files: files,
                                   sha256: sha256, createdAt: Date(), createdBy: createdBy)
        datasetRows[name, default: [:]][number] = record
        return record
    }

    func dataset(name: String, version: Int?) throws -> DatasetRecord {
        let rows = datasetRows[name] ?? [:]
        guard let number = version ?? rows.keys.max(), let d = rows[number] else {
            throw RegistryError.notFound("dataset '\(name)'" + (version.map { " version \($0)" } ?? ""))
        }
        return d
    }

    func datasets() -> [DatasetRecord] {
        datasetRows.values.flatMap(\.values).sorted { ($0.name, $0.version) < ($1.name, $1.version) }
    }

    func deleteDataset(name: String, version: Int) throws {
        _ = try dataset(name: name, version: version)
        datasetRows[name]?[version] = nil
        if datasetRows[name]?.isEmpty == true { datasetRows[name] = nil }
    }

    func createKey(_ key: KeyRecord) throws {
        guard keyRows[key.id] == nil else { throw RegistryError.alreadyExists("key '\(key.id)'") }
        keyRows[key.id] = key
    }

    func key(id: String) -> KeyRecord? { keyRows[id] }

    func keys() -> [KeyRecord] { keyRows.values.sorted { $0.id < $1.id } }

    func revokeKey(id: String) throws {
        guard keyRows[id] != nil else { throw RegistryError.notFound("key '\(id)'") }
        if keyRows[id]?.revokedAt == nil { keyRows[id]?.revokedAt = Date() }
    }

    func createJob(_ job: JobRecord) { jobRows[job.id] = job }

    func job(_ id: String) throws -> JobRecord {
        guard let j = jobRows[id] else { throw RegistryError.notFound("job '\(id)'") }
        return j
    }

    func jobs() -> [JobRecord] { jobRows.values.sorted { $0.createdAt < $1.createdAt } }

    func updateJob(_ job: JobRecord) { jobRows[job.id] = job }

    func failUnfinishedJobs(reason: String) -> Int {
        var count = 0
        for (id, job) in jobRows where !job.state.isFinished {
            jobRows[id]?.state = .failed
            jobRows[id]?.error = reason
            count += 1
        }
        return count
    }
}
