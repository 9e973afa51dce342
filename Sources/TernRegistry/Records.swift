import Foundation

/// A registered model: a name that versions are published under.
public struct ModelRecord: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    public var tags: [String: String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, description: String = "", tags: [String: String] = [:], createdAt: Date, updatedAt: Date) {
        self.name = name
        self.description = description
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Where a version came from (MLflow's run + dataset lineage).
public struct Lineage: Codable, Equatable, Sendable {
    /// The training run that produced it, if any (uploads have none).
    public var runID: String?
    public var datasetName: String?
    public var datasetVersion: Int?
    public var datasetSHA256: String?
    /// Training parameters (epochs, batch size, seed, optimizer...).
    public var parameters: [String: String]

    public init(runID: String? = nil, datasetName: String? = nil, datasetVersion: Int? = nil,
                datasetSHA256: String? = nil, parameters: [String: String] = [:]) {
        self.runID = runID
        self.datasetName = datasetName
        self.datasetVersion = datasetVersion
        self.datasetSHA256 = datasetSHA256
        self.parameters = parameters
    }
}

/// One immutable version of a model: an artifact in the content-addressed
/// store plus what is known about it.
public struct VersionRecord: Codable, Equatable, Sendable {
    public var model: String
    /// Assigned per model, starting at 1.
    public var version: Int
    /// SHA-256 of the whole artifact file: its address in the artifact store.
    public var artifactSHA256: String
    public var sizeBytes: Int
    /// The model spec, as JSON text.
    public var spec: String
    public var metrics: [String: Double]
    public var lineage: Lineage
    public var createdAt: Date
    /// ID of the API key that created it (nil for local administration).
    public var createdBy: String?

    public init(model: String, version: Int, artifactSHA256: String, sizeBytes: Int, spec: String,
                metrics: [String: Double], lineage: Lineage, createdAt: Date, createdBy: String?) {
        self.model = model
        self.version = version
        self.artifactSHA256 = artifactSHA256
        self.sizeBytes = sizeBytes
        self.spec = spec
        self.metrics = metrics
        self.lineage = lineage
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// A named pointer (`production`) at a version of a model.
/// A version this server serves, restored when it starts again.
public struct DeploymentRecord: Codable, Equatable, Sendable {
    public var model: String
    public var version: Int
    /// The serving settings (batching) as JSON text; nil for the defaults.
    public var settings: String?
    /// Loaded only for an alias swap (the version a swap loaded, or the one
    /// it left): restored only while an alias still points at it.
    public var aliasBound: Bool

    public init(model: String, version: Int, settings: String? = nil, aliasBound: Bool = false) {
        self.model = model
        self.version = version
        self.settings = settings
        self.aliasBound = aliasBound
    }
}

public struct AliasRecord: Codable, Equatable, Sendable {
    public var model: String
    public var alias: String
    public var version: Int
    public var updatedAt: Date
    public var updatedBy: String?

    public init(model: String, alias: String, version: Int, updatedAt: Date, updatedBy: String?) {
        self.model = model
        self.alias = alias
        self.version = version
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// One entry of the alias audit trail: the alias pointed at `version` from
/// `at` on (nil when it was deleted).
public struct AliasEvent: Codable, Equatable, Sendable {
    public var model: String
    public var alias: String
    public var version: Int?
    public var at: Date
    public var by: String?

    public init(model: String, alias: String, version: Int?, at: Date, by: String?) {
        self.model = model
        self.alias = alias
        self.version = version
        self.at = at
        self.by = by
    }
}

/// A stored dataset version: its files live in the artifact store.
public struct DatasetRecord: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case idx, csv }
    public var name: String
    public var version: Int
    public var kind: Kind
    public var rows: Int
    /// Column names and types (CSV) or the image shape (IDX), as JSON text.
    public var schema: String
    /// Role → artifact SHA-256, e.g. `images`, `labels` (IDX) or `table` (CSV).
    public var files: [String: String]
    /// SHA-256 over the files' checksums in role order: the dataset's identity.
    public var sha256: String
    public var createdAt: Date
    public var createdBy: String?

    public init(name: String, version: Int, kind: Kind, rows: Int, schema: String, files: [String: String],
                sha256: String, createdAt: Date, createdBy: String?) {
        self.name = name
        self.version = version
        self.kind = kind
        self.rows = rows
        self.schema = schema
        self.files = files
        self.sha256 = sha256
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// What an API key may do. Scopes are ordered, each including the ones
/// below it: admin ⊃ deploy ⊃ predict ⊃ read.
public enum KeyScope: String, Codable, Sendable, CaseIterable {
    /// Everything, including keys.
    case admin
    /// Upload versions, move aliases, load/unload, submit jobs, plus predict and read.
    case deploy
    /// Inference routes, plus read.
    case predict
    /// GET routes of the registry.
    case read

    /// Whether a key with this scope may use a route that needs `required`.
    public func allows(_ required: KeyScope) -> Bool {
        switch self {
        case .admin: return true
        case .deploy: return required != .admin
        case .predict: return required == .predict || required == .read
        case .read: return required == .read
        }
    }
}

/// A stored API key: only its SHA-256 is kept; the secret is shown once.
public struct KeyRecord: Codable, Equatable, Sendable {
    /// Public identifier, also the key's prefix (`tern_<id>_<secret>`).
    public var id: String
    public var name: String
    public var scope: KeyScope
    /// Hex SHA-256 of the full key text.
    public var hash: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, name: String, scope: KeyScope, hash: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.scope = scope
        self.hash = hash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// A training job's lifecycle.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A training job: a spec trained on a stored dataset, run by a worker process.
public struct JobRecord: Codable, Equatable, Sendable {
    public var id: String
    /// The model the resulting version is registered under.
    public var model: String
    public var state: JobState
    /// The model spec, as JSON text.
    public var spec: String
    public var datasetName: String
    public var datasetVersion: Int
    public var trainRows: String
    public var validationRows: String?
    /// Per-epoch metrics so far, as JSON text (an array of epoch records).
    public var history: String
    public var error: String?
    /// The version registered on success.
    public var resultVersion: Int?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var createdBy: String?

    public init(id: String, model: String, state: JobState, spec: String, datasetName: String, datasetVersion: Int,
                trainRows: String, validationRows: String?, history: String = "[]", error: String? = nil,
                resultVersion: Int? = nil, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil, createdBy: String?) {
        self.id = id
        self.model = model
        self.state = state
        self.spec = spec
        self.datasetName = datasetName
        self.datasetVersion = datasetVersion
        self.trainRows = trainRows
        self.validationRows = validationRows
        self.history = history
        self.error = error
        self.resultVersion = resultVersion
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.createdBy = createdBy
    }
}

/// A training run: what produced a version (MLflow's run).
public struct RunRecord: Codable, Equatable, Sendable {
    public var id: String
    public var jobID: String?
    public var model: String
    /// Training parameters: epochs, batch size, seed, optimizer, splits.
    public var parameters: [String: String]
    /// Per-epoch metrics, as JSON text (an array of epoch records).
    public var history: String
    public var finalMetrics: [String: Double]
    public var datasetName: String?
    public var datasetVersion: Int?
    public var datasetSHA256: String?
    public var createdAt: Date

    public init(id: String, jobID: String?, model: String, parameters: [String: String], history: String,
                finalMetrics: [String: Double], datasetName: String?, datasetVersion: Int?, datasetSHA256: String?, createdAt: Date) {
        self.id = id
        self.jobID = jobID
        self.model = model
        self.parameters = parameters
        self.history = history
        self.finalMetrics = finalMetrics
        self.datasetName = datasetName
        self.datasetVersion = datasetVersion
        self.datasetSHA256 = datasetSHA256
        self.createdAt = createdAt
    }
}
