import Foundation
import GRDB

extension SQLiteRegistryStore {
    /// Points `alias` at an existing version (creating or moving it) and
    /// records the change in the model's alias history.
    public func setAlias(model: String, alias: String, version: Int, by: String?) async throws -> AliasRecord {
        try Names.validate(alias, kind: "alias")
        return try await writing { db in
            _ = try Self.requireVersion(db, model: model, version: version)
            let now = StoredDate.now()
            let seconds = StoredDate.seconds(now)
            try db.execute(
                sql: """
                    INSERT INTO aliases (model, alias, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (model, alias) DO UPDATE SET
                        version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by
                    """,
                arguments: [model, alias, version, seconds, by])
            try Self.recordEvent(db, model: model, alias: alias, version: version, at: seconds, by: by)
            return AliasRecord(model: model, alias: alias, version: version, updatedAt: now, updatedBy: by)
        }
    }

    public func alias(model: String, alias: String) async throws -> AliasRecord {
        try await reading { db in
            _ = try Self.requireModel(db, model)
            guard let row = try Row.fetchOne(
                db, sql: "SELECT * FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias]) else {
                throw RegistryError.notFound("alias '\(alias)' of model '\(model)'")
            }
            return try Self.aliasRecord(row)
        }
    }

    /// The model's aliases, by name.
    public func aliases(model: String) async throws -> [AliasRecord] {
        try await reading { db in
            _ = try Self.requireModel(db, model)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM aliases WHERE model = ? ORDER BY alias", arguments: [model]
            ).map(Self.aliasRecord)
        }
    }

    /// Removes `alias` and records the removal (an event with no version).
    public func deleteAlias(model: String, alias: String, by: String?) async throws {
        try await writing { db in
            _ = try Self.requireModel(db, model)
            try db.execute(sql: "DELETE FROM aliases WHERE model = ? AND alias = ?", arguments: [model, alias])
            guard db.changesCount > 0 else {
                throw RegistryError.notFound("alias '\(alias)' of model '\(model)'")
            }
            try Self.recordEvent(db, model: model, alias: alias, version: nil,
                                 at: StoredDate.seconds(StoredDate.now()), by: by)
        }
    }

    /// Every alias change of the model, oldest first.
    public func aliasHistory(model: String) async throws -> [AliasEvent] {
        try await reading { db in
            _ = try Self.requireModel(db, model)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM alias_events WHERE model = ? ORDER BY id", arguments: [model]
            ).map { row in
                AliasEvent(
                    model: try row.decode(String.self, forColumn: "model"),
                    alias: try row.decode(String.self, forColumn: "alias"),
                    version: try row.decode(Int?.self, forColumn: "version"),
                    at: try row.date("at"),
                    by: try row.decode(String?.self, forColumn: "by"))
            }
        }
    }

    // MARK: Helpers

    static func recordEvent(_ db: Database, model: String, alias: String, version: Int?, at: Double, by: String?) throws {
        try db.execute(
            sql: "INSERT INTO alias_events (model, alias, version, at, by) VALUES (?, ?, ?, ?, ?)",
            arguments: [model, alias, version, at, by])
    }

    static func aliasRecord(_ row: Row) throws -> AliasRecord {
        AliasRecord(
            model: try row.decode(String.self, forColumn: "model"),
            alias: try row.decode(String.self, forColumn: "alias"),
            version: try row.decode(Int.self, forColumn: "version"),
            updatedAt: try row.date("updated_at"),
            updatedBy: try row.decode(String?.self, forColumn: "updated_by"))
    }
}
