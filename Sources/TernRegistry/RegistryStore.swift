import Foundation

/// Errors of the registry. The server maps them to HTTP statuses, the CLI to
/// one-line messages; none carries a file-system path.
public enum RegistryError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case alreadyExists(String)
    case invalidName(String)
    /// The operation conflicts with current state (e.g. deleting a deployed model).
    case conflict(String)
    case checksumMismatch(String)
    case invalidInput(String)
    case storage(String)
    /// The disk (or quota) is full: nothing was stored; free space and retry.
    case insufficientStorage(String)

    public var description: String {
        switch self {
        case let .notFound(what): return "\(what) not found"
        case let .alreadyExists(what): return "\(what) already exists"
        case let .invalidName(reason): return "invalid name: \(reason)"
        case let .conflict(reason): return reason
        case let .checksumMismatch(what): return "checksum mismatch: \(what)"
        case let .invalidInput(reason): return reason
        case let .storage(reason): return "storage error: \(reason)"
        case let .insufficientStorage(what): return "no space left to store \(what)"
        }
    }
}

/// Names of models, aliases and datasets: 1-64 characters of letters,
/// digits, `_`, `-` and `.`, starting with a letter or digit, so a name can
/// never be a path (`..`, `/`, `%2e`).
public enum Names {
    public static func validate(_ name: String, kind: String) throws {
        let allowed = name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D || c == 0x2E
        }
        guard (1...64).contains(name.utf8.count), allowed, let first = name.utf8.first,
              first != 0x2E, first != 0x2D, first != 0x5F else {
            throw RegistryError.invalidName("\(kind) names are 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit")
        }
        // A purely numeric alias would be ambiguous with a version number.
        if kind == "alias", name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            throw RegistryError.invalidName("an alias cannot be a number (it would read as a version)")
        }
    }
}

/// The registry's metadata store. Implementations (SQLite now, PostgreSQL
/// later) pass the same contract tests. Every method is one transaction.
public protocol RegistryStore: Sendable {
    // Models
    func createModel(name: String, description: String, tags: [String: String]) async throws -> ModelRecord
    func model(_ name: String) async throws -> ModelRecord
    func models() async throws -> [ModelRecord]
    func updateModel(_ name: String, description: String?, tags: [String: String]?) async throws -> ModelRecord
    /// Deletes the model with its versions, aliases and alias history.
    /// - Returns: the artifact checksums no longer referenced by any
    ///   remaining version or dataset (safe to delete from the artifact store).
    func deleteModel(_ name: String) async throws -> [String]

    // Versions
    /// Registers the next version of `model` (creating the model if needed).
    /// The artifact must already be in the artifact store.
    func createVersion(model: String, artifactSHA256: String, sizeBytes: Int, spec: String,
                       metrics: [String: Double], lineage: Lineage, createdBy: String?) async throws -> VersionRecord
    func version(model: String, version: Int) async throws -> VersionRecord
    func versions(model: String) async throws -> [VersionRecord]
    /// Refuses with ``RegistryError/conflict(_:)`` (naming the alias) while
    /// an alias points at the version.
    /// - Returns: the artifact checksum if no other version or dataset references it.
    func deleteVersion(model: String, version: Int) async throws -> String?
    /// Every artifact checksum referenced by a version or a dataset.
    func referencedArtifacts() async throws -> Set<String>

    // Aliases
    func setAlias(model: String, alias: String, version: Int, by: String?) async throws -> AliasRecord
    func alias(model: String, alias: String) async throws -> AliasRecord
    func aliases(model: String) async throws -> [AliasRecord]
    func deleteAlias(model: String, alias: String, by: String?) async throws
    func aliasHistory(model: String) async throws -> [AliasEvent]

    // Deployments
    /// The deployed versions, by model then version.
    func deployments() async throws -> [DeploymentRecord]
    /// Replaces every deployment with `records` at once.
    func replaceDeployments(_ records: [DeploymentRecord]) async throws

    // Runs
    func createRun(_ run: RunRecord) async throws
    func run(_ id: String) async throws -> RunRecord

    // Datasets
    func createDataset(name: String, kind: DatasetRecord.Kind, rows: Int, schema: String, files: [String: String],
                       sha256: String, createdBy: String?) async throws -> DatasetRecord
    func dataset(name: String, version: Int?) async throws -> DatasetRecord
    func datasets() async throws -> [DatasetRecord]
    func deleteDataset(name: String, version: Int) async throws

    // Keys
    func createKey(_ key: KeyRecord) async throws
    func key(id: String) async throws -> KeyRecord?
    func keys() async throws -> [KeyRecord]
    func revokeKey(id: String) async throws

    // Jobs
    func createJob(_ job: JobRecord) async throws
    func job(_ id: String) async throws -> JobRecord
    func jobs() async throws -> [JobRecord]
    func updateJob(_ job: JobRecord) async throws
    /// Marks every running job failed with `reason`, finished now (at
    /// start-up, for jobs whose worker died with the previous server).
    /// Queued jobs stay queued, to be picked up again.
    /// - Returns: how many jobs were marked.
    func failUnfinishedJobs(reason: String) async throws -> Int
}
