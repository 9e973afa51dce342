import GRDB

extension SQLiteRegistryStore {
    /// The schema's migrations, applied in order at open. A released
    /// migration is never edited: later changes are new migrations.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            for statement in schemaV1 {
                try db.execute(sql: statement)
            }
        }
        migrator.registerMigration("v2-deployments") { db in
            // What this server serves, restored at start (until v2 this was
            // deployments.json in the data directory, imported once).
            try db.execute(sql: """
                CREATE TABLE deployments (
                    model TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    settings TEXT,
                    alias_bound INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (model, version)
                )
                """)
        }
        return migrator
    }

    /// Version 1 of the schema. Dates are REAL seconds since 1970;
    /// dictionaries and other structured values are JSON TEXT.
    static let schemaV1: [String] = [
        """
        CREATE TABLE models (
            name TEXT PRIMARY KEY NOT NULL,
            description TEXT NOT NULL,
            tags TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            next_version INTEGER NOT NULL DEFAULT 1
        )
        """,
        """
        CREATE TABLE versions (
            model TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            artifact_sha256 TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            spec TEXT NOT NULL,
            metrics TEXT NOT NULL,
            lineage TEXT NOT NULL,
            created_at REAL NOT NULL,
            created_by TEXT,
            PRIMARY KEY (model, version)
        )
        """,
        "CREATE INDEX versions_artifact ON versions(artifact_sha256)",
        // An alias keeps its version from being deleted (NO ACTION: checked at
        // the end of the statement, so deleting the model removes both).
        """
        CREATE TABLE aliases (
            model TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            version INTEGER NOT NULL,
            updated_at REAL NOT NULL,
            updated_by TEXT,
            PRIMARY KEY (model, alias),
            FOREIGN KEY (model, version) REFERENCES versions(model, version)
        )
        """,
        "CREATE INDEX aliases_version ON aliases(model, version)",
        """
        CREATE TABLE alias_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            model TEXT NOT NULL REFERENCES models(name) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            version INTEGER,
            at REAL NOT NULL,
            by TEXT
        )
        """,
        "CREATE INDEX alias_events_model ON alias_events(model, id)",
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY NOT NULL,
            job_id TEXT,
            model TEXT NOT NULL,
            parameters TEXT NOT NULL,
            history TEXT NOT NULL,
            final_metrics TEXT NOT NULL,
            dataset_name TEXT,
            dataset_version INTEGER,
            dataset_sha256 TEXT,
            created_at REAL NOT NULL
        )
        """,
        // One row per dataset name: the counter keeps deleted version
        // numbers from being reused.
        """
        CREATE TABLE dataset_names (
            name TEXT PRIMARY KEY NOT NULL,
            next_version INTEGER NOT NULL DEFAULT 1
        )
        """,
        """
        CREATE TABLE datasets (
            name TEXT NOT NULL REFERENCES dataset_names(name) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            kind TEXT NOT NULL,
            rows INTEGER NOT NULL,
            schema TEXT NOT NULL,
            files TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created_at REAL NOT NULL,
            created_by TEXT,
            PRIMARY KEY (name, version)
        )
        """,
        """
        CREATE TABLE keys (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            scope TEXT NOT NULL,
            hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL
        )
        """,
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY NOT NULL,
            model TEXT NOT NULL,
            state TEXT NOT NULL,
            spec TEXT NOT NULL,
            dataset_name TEXT NOT NULL,
            dataset_version INTEGER NOT NULL,
            train_rows TEXT NOT NULL,
            validation_rows TEXT,
            history TEXT NOT NULL,
            error TEXT,
            result_version INTEGER,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            created_by TEXT
        )
        """,
        "CREATE INDEX jobs_state ON jobs(state)",
    ]
}
