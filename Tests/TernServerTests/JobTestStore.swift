import Foundation
import TernRegistry

/// An in-memory ``RegistryStore`` covering what training jobs use (jobs,
/// datasets, versions, runs, keys); the rest is unsupported.
actor JobTestStore: RegistryStore {
    var jobsByID: [String: JobRecord] = [:]
    var datasetList: [DatasetRecord] = []
    var versionList: [VersionRecord] = []
    var runsByID: [String: RunRecord] = [:]
    var keysByID: [String: KeyRecord] = [:]
    /// Every state a job was stored in, in order.
    var jobUpdates: [String: [JobState]] = [:]

    private func unsupported() -> RegistryError { .storage("not supported by the test store") }

    func createModel(name: String, description: String, tags: [String: String]) async throws -> ModelRecord { throw unsupported() }
    func model(_ name: String) async throws -> ModelRecord { throw unsupported() }
    func models() async throws -> [ModelRecord] { [] }
    func updateModel(_ name: String, description: String?, tags: [String: String]?) async throws -> ModelRecord { throw unsupported() }
    func deleteModel(_ name: String) async throws -> [String] { throw unsupported() }

    func createVersion(model: String, artifactSHA256: String, sizeBytes: Int, spec: String, metrics: [String: Double],
                       lineage: Lineage, createdBy: String?) async throws -> VersionRecord {
        let next = (versionList.filter { $0.model == model }.map(\.version).max() ?? 0) + 1
        let record = VersionRecord(model: model, version: next, artifactSHA256: artifactSHA256, sizeBytes: sizeBytes, spec: spec,
                                   metrics: metrics, lineage: lineage, createdAt: Date(), createdBy: createdBy)
        versionList.append(record)
        return record
    }

    func version(model: String, version: Int) async throws -> VersionRecord {
        guard let v = versionList.first(where: { $0.model == model && $0.version == version }) else {
            throw RegistryError.notFound("version \(version) of model '\(model)'")
        }
        return v
    }

    func versions(model: String) async throws -> [VersionRecord] { versionList.filter { $0.model == model } }
    func deleteVersion(model: String, version: Int) async throws -> String? { throw unsupported() }
    func referencedArtifacts() async throws -> Set<String> { Set(versionList.map(\.artifactSHA256)) }

    func setAlias(model: String, alias: String, version: Int, by: String?) async throws -> AliasRecord { throw unsupported() }
    func alias(model: String, alias: String) async throws -> AliasRecord { throw unsupported() }
    func aliases(model: String) async throws -> [AliasRecord] { [] }
    func deleteAlias(model: String, alias: String, by: String?) async throws { throw unsupported() }
    func aliasHistory(model: String) async throws -> [AliasEvent] { [] }

    func createRun(_ run: RunRecord) async throws { runsByID[run.id] = run }
    func run(_ id: String) async throws -> RunRecord {
        guard let run = runsByID[id] else { throw RegistryError.notFound("run \(id)") }
        return run
    }

    func createDataset(name: String, kind: DatasetRecord.Kind, rows: Int, schema: String, files: [String: String],
                       sha256: String, createdBy: String?) async throws -> DatasetRecord {
        let next = (datasetList.filter { $0.name == name }.map(\.version).max() ?? 0) + 1
        let record = DatasetRecord(name: name, version: next, kind: kind, rows: rows, schema: schema, files: files,
                                   sha256: sha256, createdAt: Date(), createdBy: createdBy)
        datasetList.append(record)
        return record
    }

    func dataset(name: String, version: Int?) async throws -> DatasetRecord {
        let matching = datasetList.filter { $0.name == name && (version == nil || $0.version == version) }
        guard let record = matching.max(by: { $0.version < $1.version }) else { throw RegistryError.notFound("dataset '\(name)'") }
        return record
    }

    func datasets() async throws -> [DatasetRecord] { datasetList }
    func deleteDataset(name: String, version: Int) async throws { throw unsupported() }

    func createKey(_ key: KeyRecord) async throws { keysByID[key.id] = key }
    func key(id: String) async throws -> KeyRecord? { keysByID[id] }
    func keys() async throws -> [KeyRecord] { Array(keysByID.values) }
    func revokeKey(id: String) async throws { keysByID[id]?.revokedAt = Date() }

    func createJob(_ job: JobRecord) async throws {
        guard jobsByID[job.id] == nil else { throw RegistryError.alreadyExists("job \(job.id)") }
        jobsByID[job.id] = job
        jobUpdates[job.id, default: []].append(job.state)
    }

    func job(_ id: String) async throws -> JobRecord {
        guard let job = jobsByID[id] else { throw RegistryError.notFound("job \(id)") }
        return job
    }

    func jobs() async throws -> [JobRecord] { jobsByID.values.sorted { $0.createdAt < $1.createdAt } }

    func updateJob(_ job: JobRecord) async throws {
        guard jobsByID[job.id] != nil else { throw RegistryError.notFound("job \(job.id)") }
        jobsByID[job.id] = job
        jobUpdates[job.id, default: []].append(job.state)
    }

    func failUnfinishedJobs(reason: String) async throws -> Int {
        var count = 0
        for (id, job) in jobsByID where !job.state.isFinished {
            jobsByID[id]?.state = .failed
            jobsByID[id]?.error = reason
            jobsByID[id]?.finishedAt = Date()
            count += 1
        }
        return count
    }
}
