import Foundation
import Testing
@testable import TernRegistry

extension RegistryStoreContract {
    /// Everything written is there after the store is closed and opened
    /// again, including the version counters.
    func checkPersistence(_ open: Opener) async throws {
        struct Snapshot: Encodable {
            var models: [ModelRecord]
            var versions: [VersionRecord]
            var aliases: [AliasRecord]
            var history: [AliasEvent]
            var datasets: [DatasetRecord]
            var run: RunRecord
            var keys: [KeyRecord]
            var jobs: [JobRecord]
        }

        func snapshot(_ store: any RegistryStore) async throws -> Snapshot {
            Snapshot(models: try await store.models(),
                     versions: try await store.versions(model: "m"),
                     aliases: try await store.aliases(model: "m"),
                     history: try await store.aliasHistory(model: "m"),
                     datasets: try await store.datasets(),
                     run: try await store.run("run-1"),
                     keys: try await store.keys(),
                     jobs: try await store.jobs())
        }

        let written: Snapshot
        do {
            let store = try await open()
            _ = try await store.createModel(name: "m", description: "kept", tags: ["a": "b"])
            for _ in 1...3 { try await Self.addVersion(store, model: "m", by: "k1") }
            _ = try await store.deleteVersion(model: "m", version: 3)
            _ = try await store.setAlias(model: "m", alias: "production", version: 2, by: "k1")
            _ = try await store.setAlias(model: "m", alias: "staging", version: 1, by: nil)
            try await store.deleteAlias(model: "m", alias: "staging", by: nil)
            _ = try await store.createDataset(name: "d", kind: .csv, rows: 5, schema: "{}", files: ["table": Self.sha("c")],
                                              sha256: Self.sha("d"), createdBy: nil)
            _ = try await store.createDataset(name: "d", kind: .csv, rows: 6, schema: "{}", files: ["table": Self.sha("c")],
                                              sha256: Self.sha("e"), createdBy: nil)
            try await store.deleteDataset(name: "d", version: 2)
            try await store.createRun(RunRecord(id: "run-1", jobID: nil, model: "m", parameters: ["seed": "1"],
                                                history: "[]", finalMetrics: ["loss": 0.5], datasetName: "d",
                                                datasetVersion: 1, datasetSHA256: Self.sha("d"), createdAt: Self.instant()))
            try await store.createKey(KeyRecord(id: "aaaaaaaaaaaa", name: "admin", scope: .admin, hash: Self.sha("f"),
                                                createdAt: Self.instant()))
            try await store.revokeKey(id: "aaaaaaaaaaaa")
            try await store.createJob(Self.job("job-1", state: .running, offset: 0))
            try await store.createJob(Self.job("job-2", state: .queued, offset: 1))
            written = try await snapshot(store)
        }

        let reopened = try await open()
        expectSame(try await snapshot(reopened), written)
        #expect(written.history.count == 3 && written.versions.count == 2 && written.keys.first?.revokedAt != nil)
        // The counters survived: deleted numbers stay retired.
        #expect(try await Self.addVersion(reopened, model: "m").version == 4)
        let dataset = try await reopened.createDataset(name: "d", kind: .csv, rows: 1, schema: "{}",
                                                       files: ["table": Self.sha("c")], sha256: Self.sha("a"),
                                                       createdBy: nil)
        #expect(dataset.version == 3)
        #expect(try await reopened.failUnfinishedJobs(reason: "restart") == 1)
    }
}
