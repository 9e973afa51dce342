import Foundation
import GRDB

extension SQLiteRegistryStore {
    /// Registers the next version of `model`, creating the model (with an
    /// empty description and no tags) if needed. Version numbers come from
    /// a per-model counter, so a deleted version's number is never reused.
    public func createVersion(model: String, artifactSHA256: String, sizeBytes: Int, spec: String,
                              metrics: [String: Double], lineage: Lineage, createdBy: String?) async throws -> VersionRecord {
        try Names.validate(model, kind: "model")
        try requireChecksum(artifactSHA256)
        guard sizeBytes >= 0 else { throw RegistryError.invalidInput("an artifact size cannot be negative") }
        let metricsText = try StoredJSON.encode(metrics, what: "metrics")
        let lineageText = try StoredJSON.encode(lineage, what: "lineage")
        let emptyTags = try StoredJSON.encode([String: String](), what: "tags")
        return try await writing { db in
            if try Self.fetchModel(db, model) == nil {
                _ = try Self.insertModel(db, name: model, description: "", tagsText: emptyTags)
            }
            guard let number = try Int.fetchOne(
                db, sql: "SELECT next_version FROM models WHERE name = ?", arguments: [model]) else {
                throw RegistryError.notFound("model '\(model)'")
            }
            try db.execute(sql: "UPDATE models SET next_version = ? WHERE name = ?", arguments: [number + 1, model])
            let now = StoredDate.now()
            try db.execute(
                sql: """
                    INSERT INTO versions (model, version, artifact_sha256, size_bytes, spec, metrics, lineage,
                                          created_at, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [model, number, artifactSHA256, sizeBytes, spec, metricsText, lineageText,
                            StoredDate.seconds(now), createdBy])
            return VersionRecord(
                model: model, version: number, artifactSHA256: artifactSHA256, sizeBytes: sizeBytes, spec: spec,
                metrics: try StoredJSON.decode([String: Double].self, from: metricsText, what: "metrics"),
                lineage: try StoredJSON.decode(Lineage.self, from: lineageText, what: "lineage"),
                createdAt: now, createdBy: createdBy)
        }
    }

    public func version(model: String, version: Int) async throws -> VersionRecord {
        try await reading { db in try Self.requireVersion(db, model: model, version: version) }
    }

    /// The model's versions, oldest first.
    public func versions(model: String) async throws -> [VersionRecord] {
        try await reading { db in
            _ = try Self.requireModel(db, model)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM versions WHERE model = ? ORDER BY version", arguments: [model]
            ).map(Self.versionRecord)
        }
    }

    /// Deletes a version no alias points at.
    /// - Throws: ``RegistryError/conflict(_:)`` naming the alias that points at it.
    public func deleteVersion(model: String, version: Int) async throws -> String? {
        try await writing { db in
            let record = try Self.requireVersion(db, model: model, version: version)
            if let alias = try String.fetchOne(
                db, sql: "SELECT alias FROM aliases WHERE model = ? AND version = ? ORDER BY alias LIMIT 1",
                arguments: [model, version]) {
                throw RegistryError.conflict(
                    "version \(version) of model '\(model)' is the target of alias '\(alias)'; move or delete the alias first")
            }
            try db.execute(sql: "DELETE FROM versions WHERE model = ? AND version = ?", arguments: [model, version])
            let stillReferenced = try Self.referencedChecksums(db)
            return stillReferenced.contains(record.artifactSHA256) ? nil : record.artifactSHA256
        }
    }

    public func referencedArtifacts() async throws -> Set<String> {
        try await reading { db in try Self.referencedChecksums(db) }
    }

    // MARK: Helpers

    static func requireVersion(_ db: Database, model: String, version: Int) throws -> VersionRecord {
        _ = try requireModel(db, model)
        guard let row = try Row.fetchOne(
            db, sql: "SELECT * FROM versions WHERE model = ? AND version = ?", arguments: [model, version]) else {
            throw RegistryError.notFound("version \(version) of model '\(model)'")
        }
        return try versionRecord(row)
    }

    static func versionRecord(_ row: Row) throws -> VersionRecord {
        VersionRecord(
            model: try row.decode(String.self, forColumn: "model"),
            version: try row.decode(Int.self, forColumn: "version"),
            artifactSHA256: try row.decode(String.self, forColumn: "artifact_sha256"),
            sizeBytes: try row.decode(Int.self, forColumn: "size_bytes"),
            spec: try row.decode(String.self, forColumn: "spec"),
            metrics: try row.json([String: Double].self, "metrics"),
            lineage: try row.json(Lineage.self, "lineage"),
            createdAt: try row.date("created_at"),
            createdBy: try row.decode(String?.self, forColumn: "created_by"))
    }
}
