import Foundation
import GRDB

extension SQLiteRegistryStore {
    public func createJob(_ job: JobRecord) async throws {
        try Names.validate(job.model, kind: "model")
        try await writing { db in
            guard try !Self.exists(db, table: .jobs, id: job.id) else {
                throw RegistryError.alreadyExists("job '\(job.id)'")
            }
            try db.execute(
                sql: """
                    INSERT INTO jobs (id, model, state, spec, dataset_name, dataset_version, train_rows, validation_rows,
                                      history, error, result_version, created_at, started_at, finished_at, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: Self.jobArguments(job))
        }
    }

    public func job(_ id: String) async throws -> JobRecord {
        try await reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]) else {
                throw RegistryError.notFound("job '\(id)'")
            }
            return try Self.jobRecord(row)
        }
    }

    /// Every job, oldest first.
    public func jobs() async throws -> [JobRecord] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs ORDER BY created_at, rowid").map(Self.jobRecord)
        }
    }

    /// Replaces the stored job with `job` (matched by id).
    public func updateJob(_ job: JobRecord) async throws {
        try Names.validate(job.model, kind: "model")
        try await writing { db in
            // The id moves from first (INSERT order) to last (WHERE clause).
            let arguments = StatementArguments(Array(Self.jobValues(job).dropFirst()) + [job.id])
            try db.execute(
                sql: """
                    UPDATE jobs SET model = ?, state = ?, spec = ?, dataset_name = ?, dataset_version = ?,
                        train_rows = ?, validation_rows = ?, history = ?, error = ?, result_version = ?,
                        created_at = ?, started_at = ?, finished_at = ?, created_by = ?
                    WHERE id = ?
                    """,
                arguments: arguments)
            guard db.changesCount > 0 else { throw RegistryError.notFound("job '\(job.id)'") }
        }
    }

    /// Marks every running job failed with `reason`, finished now. Queued
    /// jobs stay queued, to be picked up again.
    public func failUnfinishedJobs(reason: String) async throws -> Int {
        let now = StoredDate.seconds(Date())
        return try await writing { db in
            try db.execute(
                sql: "UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE state = ?",
                arguments: [JobState.failed.rawValue, reason, now, JobState.running.rawValue])
            return db.changesCount
        }
    }

    // MARK: Helpers

    /// The job's column values, in the INSERT's order (id first).
    static func jobValues(_ job: JobRecord) -> [(any DatabaseValueConvertible)?] {
        [job.id, job.model, job.state.rawValue, job.spec, job.datasetName, job.datasetVersion, job.trainRows,
         job.validationRows, job.history, job.error, job.resultVersion, StoredDate.seconds(job.createdAt),
         StoredDate.seconds(job.startedAt), StoredDate.seconds(job.finishedAt), job.createdBy]
    }

    static func jobArguments(_ job: JobRecord) -> StatementArguments {
        StatementArguments(jobValues(job))
    }

    static func jobRecord(_ row: Row) throws -> JobRecord {
        guard let state = JobState(rawValue: try row.decode(String.self, forColumn: "state")) else {
            throw RegistryError.storage("a stored job has an unknown state")
        }
        return JobRecord(
            id: try row.decode(String.self, forColumn: "id"),
            model: try row.decode(String.self, forColumn: "model"),
            state: state,
            spec: try row.decode(String.self, forColumn: "spec"),
            datasetName: try row.decode(String.self, forColumn: "dataset_name"),
            datasetVersion: try row.decode(Int.self, forColumn: "dataset_version"),
            trainRows: try row.decode(String.self, forColumn: "train_rows"),
            validationRows: try row.decode(String?.self, forColumn: "validation_rows"),
            history: try row.decode(String.self, forColumn: "history"),
            error: try row.decode(String?.self, forColumn: "error"),
            resultVersion: try row.decode(Int?.self, forColumn: "result_version"),
            createdAt: try row.date("created_at"),
            startedAt: try row.optionalDate("started_at"),
            finishedAt: try row.optionalDate("finished_at"),
            createdBy: try row.decode(String?.self, forColumn: "created_by"))
    }
}
