import Foundation
import Testing
@testable import TernRegistry

extension RegistryStoreContract {
    func checkRuns(_ store: any RegistryStore) async throws {
        let run = RunRecord(id: "run-1", jobID: "job-1", model: "mnist-mlp",
                            parameters: ["epochs": "3", "seed": "42"], history: #"[{"epoch":1,"loss":0.3}]"#,
                            finalMetrics: ["accuracy": 0.97], datasetName: "mnist", datasetVersion: 1,
                            datasetSHA256: Self.sha("d"), createdAt: Self.instant())
        try await store.createRun(run)
        expectSame(try await store.run("run-1"), run)
        let bare = RunRecord(id: "run-2", jobID: nil, model: "m", parameters: [:], history: "[]", finalMetrics: [:],
                             datasetName: nil, datasetVersion: nil, datasetSHA256: nil, createdAt: Self.instant(5))
        try await store.createRun(bare)
        expectSame(try await store.run("run-2"), bare)
        await expectError(.alreadyExists("run 'run-1'")) { try await store.createRun(bare.with(id: "run-1")) }
        expectSame(try await store.run("run-1"), run)
        await expectError(.notFound("run 'nope'")) { try await store.run("nope") }
    }

    func checkDatasets(_ store: any RegistryStore) async throws {
        let files = ["images": Self.sha("1"), "labels": Self.sha("2")]
        let first = try await store.createDataset(name: "mnist", kind: .idx, rows: 60000, schema: #"{"shape":[28,28]}"#,
                                                  files: files, sha256: Self.sha("3"), createdBy: "k1")
        #expect(first.name == "mnist" && first.version == 1 && first.kind == .idx && first.rows == 60000)
        #expect(first.files == files && first.sha256 == Self.sha("3") && first.createdBy == "k1")
        let second = try await store.createDataset(name: "mnist", kind: .idx, rows: 70000, schema: "{}",
                                                   files: files, sha256: Self.sha("4"), createdBy: nil)
        let iris = try await store.createDataset(name: "iris", kind: .csv, rows: 150, schema: #"{"columns":[]}"#,
                                                 files: ["table": Self.sha("5")], sha256: Self.sha("6"), createdBy: nil)
        #expect(second.version == 2 && iris.version == 1)

        expectSame(try await store.dataset(name: "mnist", version: nil), second)
        expectSame(try await store.dataset(name: "mnist", version: 1), first)
        expectSame(try await store.datasets(), [iris, first, second])

        try await store.deleteDataset(name: "mnist", version: 2)
        expectSame(try await store.dataset(name: "mnist", version: nil), first)
        // Deleted numbers are never handed out again, even for the latest version.
        let third = try await store.createDataset(name: "mnist", kind: .idx, rows: 1, schema: "{}", files: files,
                                                  sha256: Self.sha("7"), createdBy: nil)
        #expect(third.version == 3)
        try await store.deleteDataset(name: "iris", version: 1)
        #expect(try await store.datasets().map { "\($0.name)@\($0.version)" } == ["mnist@1", "mnist@3"])
    }

    func checkDatasetErrors(_ store: any RegistryStore) async throws {
        _ = try await store.createDataset(name: "mnist", kind: .idx, rows: 1, schema: "{}",
                                          files: ["images": Self.sha("1")], sha256: Self.sha("2"), createdBy: nil)
        await expectError(.notFound("dataset 'x'")) { try await store.dataset(name: "x", version: nil) }
        await expectError(.notFound("version 9 of dataset 'mnist'")) { try await store.dataset(name: "mnist", version: 9) }
        await expectError(.notFound("version 9 of dataset 'mnist'")) { try await store.deleteDataset(name: "mnist", version: 9) }
        await expectError(.notFound("version 1 of dataset 'x'")) { try await store.deleteDataset(name: "x", version: 1) }
        let badFile = await registryError {
            try await store.createDataset(name: "mnist", kind: .idx, rows: 1, schema: "{}",
                                          files: ["images": "../../etc/passwd"], sha256: Self.sha("2"), createdBy: nil)
        }
        #expect(badFile?.isInvalidInput == true)
        let badIdentity = await registryError {
            try await store.createDataset(name: "mnist", kind: .idx, rows: 1, schema: "{}",
                                          files: ["images": Self.sha("1")], sha256: "nope", createdBy: nil)
        }
        #expect(badIdentity?.isInvalidInput == true)
        #expect(try await store.datasets().count == 1)
    }

    func checkKeys(_ store: any RegistryStore) async throws {
        #expect(try await store.keys().isEmpty)
        let admin = KeyRecord(id: "0123456789ab", name: "admin", scope: .admin, hash: Self.sha("a"), createdAt: Self.instant())
        let reader = KeyRecord(id: "ba9876543210", name: "dashboard", scope: .read, hash: Self.sha("b"),
                               createdAt: Self.instant(60))
        try await store.createKey(reader)
        try await store.createKey(admin)
        expectSame(try await store.key(id: admin.id), admin)
        #expect(try await store.key(id: "missing") == nil)
        expectSame(try await store.keys(), [admin, reader])
        await expectError(.alreadyExists("key '0123456789ab'")) { try await store.createKey(admin) }

        let before = Date().addingTimeInterval(-1)
        try await store.revokeKey(id: reader.id)
        let revoked = try #require(try await store.key(id: reader.id))
        let revokedAt = try #require(revoked.revokedAt)
        #expect(revokedAt >= before && revokedAt <= Date().addingTimeInterval(1))
        #expect(revoked.hash == reader.hash && revoked.scope == .read)
        #expect(try await store.key(id: admin.id)?.revokedAt == nil)
        await expectError(.notFound("key 'missing'")) { try await store.revokeKey(id: "missing") }

        let preRevoked = KeyRecord(id: "cccccccccccc", name: "old", scope: .deploy, hash: Self.sha("c"),
                                   createdAt: Self.instant(120), revokedAt: Self.instant(180))
        try await store.createKey(preRevoked)
        expectSame(try await store.key(id: preRevoked.id), preRevoked)
    }

    func checkJobs(_ store: any RegistryStore) async throws {
        #expect(try await store.jobs().isEmpty)
        let later = Self.job("job-b", state: .queued, offset: 10)
        let earlier = Self.job("job-a", state: .queued, offset: 0)
        try await store.createJob(later)
        try await store.createJob(earlier)
        expectSame(try await store.job("job-b"), later)
        expectSame(try await store.jobs(), [earlier, later])
        await expectError(.alreadyExists("job 'job-a'")) { try await store.createJob(earlier) }
        await expectError(.notFound("job 'nope'")) { try await store.job("nope") }

        var running = earlier
        running.state = .running
        running.startedAt = Self.instant(1)
        running.history = #"[{"epoch":1,"loss":0.25}]"#
        try await store.updateJob(running)
        expectSame(try await store.job("job-a"), running)

        var done = running
        done.state = .succeeded
        done.finishedAt = Self.instant(30)
        done.resultVersion = 7
        done.validationRows = nil
        try await store.updateJob(done)
        expectSame(try await store.job("job-a"), done)
        expectSame(try await store.jobs(), [done, later])

        await expectError(.notFound("job 'ghost'")) { try await store.updateJob(Self.job("ghost", state: .running, offset: 0)) }
        #expect(try await store.jobs().count == 2)
    }

    func checkFailUnfinishedJobs(_ store: any RegistryStore) async throws {
        #expect(try await store.failUnfinishedJobs(reason: "nothing to do") == 0)
        let states: [JobState] = [.queued, .running, .succeeded, .running, .failed, .cancelled, .queued]
        var originals: [String: JobRecord] = [:]
        for (i, state) in states.enumerated() {
            var job = Self.job("job-\(i)", state: state, offset: Double(i))
            if state.isFinished { job.finishedAt = Self.instant(Double(i) + 2) }
            if state == .failed { job.error = "out of memory" }
            try await store.createJob(job)
            originals[job.id] = job
        }
        let before = Date().addingTimeInterval(-1)
        #expect(try await store.failUnfinishedJobs(reason: "the server restarted") == 2)
        for job in try await store.jobs() {
            let original = try #require(originals[job.id])
            if original.state == .running {
                #expect(job.state == .failed && job.error == "the server restarted")
                let finished = try #require(job.finishedAt)
                #expect(finished >= before && finished <= Date().addingTimeInterval(1))
                expectSame(job.startedAt, original.startedAt)
            } else {
                // Queued jobs stay queued (to run again); finished jobs are untouched.
                expectSame(job, original)
            }
        }
        #expect(try await store.failUnfinishedJobs(reason: "again") == 0)
    }
}

extension RunRecord {
    func with(id: String) -> RunRecord {
        var copy = self
        copy.id = id
        return copy
    }
}
