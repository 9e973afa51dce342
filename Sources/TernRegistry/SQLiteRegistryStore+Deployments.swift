import Foundation
import GRDB

extension SQLiteRegistryStore {
    /// The deployed versions, by model then version.
    public func deployments() async throws -> [DeploymentRecord] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deployments ORDER BY model, version").map { row in
                DeploymentRecord(model: row["model"], version: row["version"], settings: row["settings"],
                                 aliasBound: (row["alias_bound"] as Int) != 0)
            }
        }
    }

    /// Replaces every deployment with `records`, in one transaction.
    public func replaceDeployments(_ records: [DeploymentRecord]) async throws {
        try await writing { db in
            try db.execute(sql: "DELETE FROM deployments")
            for r in records {
                try db.execute(
                    sql: "INSERT INTO deployments (model, version, settings, alias_bound) VALUES (?, ?, ?, ?)",
                    arguments: [r.model, r.version, r.settings, r.aliasBound ? 1 : 0])
            }
        }
    }
}
