import Foundation
import GRDB

// Runs, API keys and training jobs: records the caller builds whole.

extension SQLiteRegistryStore {
    // MARK: Runs

    public func createRun(_ run: RunRecord) async throws {
        let parameters = try StoredJSON.encode(run.parameters, what: "parameters")
        let finalMetrics = try StoredJSON.encode(run.finalMetrics, what: "metrics")
        try await writing { db in
            guard try !Self.exists(db, table: .runs, id: run.id) else {
                throw RegistryError.alreadyExists("run '\(run.id)'")
            }
            try db.execute(
                sql: """
                    INSERT INTO runs (id, job_id, model, parameters, history, final_metrics, dataset_name,
                                      dataset_version, dataset_sha256, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [run.id, run.jobID, run.model, parameters, run.history, finalMetrics, run.datasetName,
                            run.datasetVersion, run.datasetSHA256, StoredDate.seconds(run.createdAt)])
        }
    }

    public func run(_ id: String) async throws -> RunRecord {
        try await reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else {
                throw RegistryError.notFound("run '\(id)'")
            }
            return RunRecord(
                id: try row.decode(String.self, forColumn: "id"),
                jobID: try row.decode(String?.self, forColumn: "job_id"),
                model: try row.decode(String.self, forColumn: "model"),
                parameters: try row.json([String: String].self, "parameters"),
                history: try row.decode(String.self, forColumn: "history"),
                finalMetrics: try row.json([String: Double].self, "final_metrics"),
                datasetName: try row.decode(String?.self, forColumn: "dataset_name"),
                datasetVersion: try row.decode(Int?.self, forColumn: "dataset_version"),
                datasetSHA256: try row.decode(String?.self, forColumn: "dataset_sha256"),
                createdAt: try row.date("created_at"))
        }
    }

    // MARK: Keys

    public func createKey(_ key: KeyRecord) async throws {
        try await writing { db in
            guard try !Self.exists(db, table: .keys, id: key.id) else {
                throw RegistryError.alreadyExists("key '\(key.id)'")
            }
            try db.execute(
                sql: "INSERT INTO keys (id, name, scope, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [key.id, key.name, key.scope.rawValue, key.hash,
                            StoredDate.seconds(key.createdAt), StoredDate.seconds(key.revokedAt)])
        }
    }

    /// The key with this id, or nil (an unknown key is not an error: the
    /// caller answers 401 either way).
    public func key(id: String) async throws -> KeyRecord? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT * FROM keys WHERE id = ?", arguments: [id]).map(Self.keyRecord)
        }
    }

    /// Every key, oldest first.
    public func keys() async throws -> [KeyRecord] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM keys ORDER BY created_at, id").map(Self.keyRecord)
        }
    }

    /// Revokes the key; revoking a revoked key keeps its first revocation time.
    public func revokeKey(id: String) async throws {
        let now = StoredDate.seconds(Date())
        try await writing { db in
            guard try Self.exists(db, table: .keys, id: id) else { throw RegistryError.notFound("key '\(id)'") }
            try db.execute(sql: "UPDATE keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", arguments: [now, id])
        }
    }

    static func keyRecord(_ row: Row) throws -> KeyRecord {
        guard let scope = KeyScope(rawValue: try row.decode(String.self, forColumn: "scope")) else {
            throw RegistryError.storage("a stored key has an unknown scope")
        }
        return KeyRecord(
            id: try row.decode(String.self, forColumn: "id"),
            name: try row.decode(String.self, forColumn: "name"),
            scope: scope,
            hash: try row.decode(String.self, forColumn: "hash"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at"))
    }

    // MARK: Helpers

    enum IdentifiedTable: String { case runs, keys, jobs }

    static func exists(_ db: Database, table: IdentifiedTable, id: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table.rawValue) WHERE id = ?)", arguments: [id]) ?? false
    }
}
