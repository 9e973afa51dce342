import Foundation
import GRDB

extension SQLiteRegistryStore {
    /// Stores the next version of dataset `name`. Version numbers come from
    /// a per-name counter, so a deleted version's number is never reused.
    public func createDataset(name: String, kind: DatasetRecord.Kind, rows: Int, schema: String, files: [String: String],
                              sha256: String, createdBy: String?) async throws -> DatasetRecord {
        try Names.validate(name, kind: "dataset")
        try requireChecksum(sha256)
        for checksum in files.values { try requireChecksum(checksum) }
        guard rows >= 0 else { throw RegistryError.invalidInput("a row count cannot be negative") }
        let filesText = try StoredJSON.encode(files, what: "dataset files")
        return try await writing { db in
            try db.execute(sql: "INSERT INTO dataset_names (name) VALUES (?) ON CONFLICT (name) DO NOTHING",
                           arguments: [name])
            guard let number = try Int.fetchOne(
                db, sql: "SELECT next_version FROM dataset_names WHERE name = ?", arguments: [name]) else {
                throw RegistryError.notFound("dataset '\(name)'")
            }
            try db.execute(sql: "UPDATE dataset_names SET next_version = ? WHERE name = ?", arguments: [number + 1, name])
            let now = StoredDate.now()
            try db.execute(
                sql: """
                    INSERT INTO datasets (name, version, kind, rows, schema, files, sha256, created_at, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [name, number, kind.rawValue, rows, schema, filesText, sha256, StoredDate.seconds(now), createdBy])
            return DatasetRecord(name: name, version: number, kind: kind, rows: rows, schema: schema, files: files,
                                 sha256: sha256, createdAt: now, createdBy: createdBy)
        }
    }

    /// Version `version` of dataset `name`, or its latest version if nil.
    public func dataset(name: String, version: Int?) async throws -> DatasetRecord {
        try await reading { db in
            let row: Row?
            if let version {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM datasets WHERE name = ? AND version = ?", arguments: [name, version])
            } else {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM datasets WHERE name = ? ORDER BY version DESC LIMIT 1", arguments: [name])
            }
            guard let row else {
                if let version { throw RegistryError.notFound("version \(version) of dataset '\(name)'") }
                throw RegistryError.notFound("dataset '\(name)'")
            }
            return try Self.datasetRecord(row)
        }
    }

    /// Every dataset version, by name then version.
    public func datasets() async throws -> [DatasetRecord] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM datasets ORDER BY name, version").map(Self.datasetRecord)
        }
    }

    public func deleteDataset(name: String, version: Int) async throws {
        try await writing { db in
            try db.execute(sql: "DELETE FROM datasets WHERE name = ? AND version = ?", arguments: [name, version])
            guard db.changesCount > 0 else {
                throw RegistryError.notFound("version \(version) of dataset '\(name)'")
            }
        }
    }

    static func datasetRecord(_ row: Row) throws -> DatasetRecord {
        let kindText = try row.decode(String.self, forColumn: "kind")
        guard let kind = DatasetRecord.Kind(rawValue: kindText) else {
            throw RegistryError.storage("a stored dataset has an unknown kind")
        }
        return DatasetRecord(
            name: try row.decode(String.self, forColumn: "name"),
            version: try row.decode(Int.self, forColumn: "version"),
            kind: kind,
            rows: try row.decode(Int.self, forColumn: "rows"),
            schema: try row.decode(String.self, forColumn: "schema"),
            files: try row.json([String: String].self, "files"),
            sha256: try row.decode(String.self, forColumn: "sha256"),
            createdAt: try row.date("created_at"),
            createdBy: try row.decode(String?.self, forColumn: "created_by"))
    }
}
