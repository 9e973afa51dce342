import Foundation
import GRDB

extension SQLiteRegistryStore {
    public func createModel(name: String, description: String, tags: [String: String]) async throws -> ModelRecord {
        try Names.validate(name, kind: "model")
        let tagsText = try StoredJSON.encode(tags, what: "tags")
        return try await writing { db in
            guard try Self.fetchModel(db, name) == nil else {
                throw RegistryError.alreadyExists("model '\(name)'")
            }
            return try Self.insertModel(db, name: name, description: description, tagsText: tagsText)
        }
    }

    public func model(_ name: String) async throws -> ModelRecord {
        try await reading { db in try Self.requireModel(db, name) }
    }

    public func models() async throws -> [ModelRecord] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM models ORDER BY name").map(Self.modelRecord)
        }
    }

    public func updateModel(_ name: String, description: String?, tags: [String: String]?) async throws -> ModelRecord {
        let tagsText = try tags.map { try StoredJSON.encode($0, what: "tags") }
        return try await writing { db in
            var record = try Self.requireModel(db, name)
            let now = StoredDate.now()
            if let description { record.description = description }
            if let tags { record.tags = tags }
            record.updatedAt = now
            try db.execute(
                sql: "UPDATE models SET description = ?, tags = COALESCE(?, tags), updated_at = ? WHERE name = ?",
                arguments: [record.description, tagsText, StoredDate.seconds(now), name])
            return record
        }
    }

    public func deleteModel(_ name: String) async throws -> [String] {
        try await writing { db in
            _ = try Self.requireModel(db, name)
            let checksums = try String.fetchSet(
                db, sql: "SELECT DISTINCT artifact_sha256 FROM versions WHERE model = ?", arguments: [name])
            // Versions, aliases and alias history go with the model (ON DELETE CASCADE).
            try db.execute(sql: "DELETE FROM models WHERE name = ?", arguments: [name])
            let stillReferenced = try Self.referencedChecksums(db)
            return checksums.subtracting(stillReferenced).sorted()
        }
    }

    // MARK: Helpers shared by the other extensions

    static func fetchModel(_ db: Database, _ name: String) throws -> ModelRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM models WHERE name = ?", arguments: [name]).map(modelRecord)
    }

    static func requireModel(_ db: Database, _ name: String) throws -> ModelRecord {
        guard let record = try fetchModel(db, name) else { throw RegistryError.notFound("model '\(name)'") }
        return record
    }

    /// Inserts a new model row (the name must be validated and free).
    static func insertModel(_ db: Database, name: String, description: String, tagsText: String) throws -> ModelRecord {
        let now = StoredDate.now()
        try db.execute(
            sql: """
                INSERT INTO models (name, description, tags, created_at, updated_at, next_version)
                VALUES (?, ?, ?, ?, ?, 1)
                """,
            arguments: [name, description, tagsText, StoredDate.seconds(now), StoredDate.seconds(now)])
        let tags = try StoredJSON.decode([String: String].self, from: tagsText, what: "tags")
        return ModelRecord(name: name, description: description, tags: tags, createdAt: now, updatedAt: now)
    }

    static func modelRecord(_ row: Row) throws -> ModelRecord {
        ModelRecord(
            name: try row.decode(String.self, forColumn: "name"),
            description: try row.decode(String.self, forColumn: "description"),
            tags: try row.json([String: String].self, "tags"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }

    /// Every checksum referenced by a version or a dataset file.
    static func referencedChecksums(_ db: Database) throws -> Set<String> {
        var result = try String.fetchSet(db, sql: "SELECT DISTINCT artifact_sha256 FROM versions")
        for filesText in try String.fetchAll(db, sql: "SELECT files FROM datasets") {
            let files = try StoredJSON.decode([String: String].self, from: filesText, what: "dataset files")
            result.formUnion(files.values)
        }
        return result
    }
}
