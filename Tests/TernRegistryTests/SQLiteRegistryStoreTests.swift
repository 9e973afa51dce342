import Foundation
import GRDB
import Testing
@testable import TernRegistry

/// Runs the registry store contract against SQLite files in a temporary
/// directory (removed when the test ends), plus SQLite-specific checks.
final class SQLiteRegistryStoreTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tern-registry-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    var contract: RegistryStoreContract {
        let directory = directory
        return RegistryStoreContract {
            let path = directory.appendingPathComponent("registry-\(UUID().uuidString).sqlite")
            return { try SQLiteRegistryStore(path: path) }
        }
    }

    @Test(arguments: RegistryStoreContract.Check.allCases)
    func contract(_ check: RegistryStoreContract.Check) async throws {
        try await contract.run(check)
    }

    @Test func createsMissingDirectoriesAndReopensAnEmptyStore() async throws {
        let path = directory.appendingPathComponent("nested/deeper/registry.sqlite")
        do {
            let store = try SQLiteRegistryStore(path: path)
            #expect(try await store.models().isEmpty)
        }
        #expect(FileManager.default.fileExists(atPath: path.path))
        // Opening again re-runs no migration and loses nothing.
        let again = try SQLiteRegistryStore(path: path)
        #expect(try await again.models().isEmpty)
        #expect(try await again.jobs().isEmpty)
    }

    @Test func twoStoresOnOneFileSeeEachOthersWrites() async throws {
        let path = directory.appendingPathComponent("shared.sqlite")
        let server = try SQLiteRegistryStore(path: path)
        let cli = try SQLiteRegistryStore(path: path)
        async let a: Void = { for _ in 0..<10 { try await RegistryStoreContract.addVersion(server, model: "m") } }()
        async let b: Void = { for _ in 0..<10 { try await RegistryStoreContract.addVersion(cli, model: "m") } }()
        _ = try await (a, b)
        #expect(try await server.versions(model: "m").map(\.version) == Array(1...20))
    }

    @Test func aNonDatabaseFileIsAStorageErrorWithoutThePath() throws {
        let path = directory.appendingPathComponent("not-a-database.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: path)
        do {
            _ = try SQLiteRegistryStore(path: path)
            Issue.record("opening a non-database file succeeded")
        } catch let error as RegistryError {
            guard case .storage = error else {
                Issue.record("expected a storage error, got \(error)")
                return
            }
            #expect(!error.description.contains(directory.path))
            #expect(!error.description.contains("not-a-database"))
        }
    }

    @Test func storeGeneratedDatesReadBackExactly() async throws {
        let store = try SQLiteRegistryStore(path: directory.appendingPathComponent("dates.sqlite"))
        let model = try await store.createModel(name: "m", description: "", tags: [:])
        #expect(try await store.model("m") == model)
        let version = try await RegistryStoreContract.addVersion(store, model: "m")
        #expect(try await store.version(model: "m", version: 1) == version)
        let alias = try await store.setAlias(model: "m", alias: "production", version: 1, by: nil)
        #expect(try await store.alias(model: "m", alias: "production") == alias)
        let millis = model.createdAt.timeIntervalSince1970 * 1000
        #expect(abs(millis - millis.rounded()) < 1e-3)
    }

    @Test func nonFiniteMetricsRoundTrip() async throws {
        let store = try SQLiteRegistryStore(path: directory.appendingPathComponent("metrics.sqlite"))
        let created = try await store.createVersion(
            model: "m", artifactSHA256: RegistryStoreContract.sha("a"), sizeBytes: 1, spec: "{}",
            metrics: ["loss": .infinity, "gain": -.infinity, "odd": .nan, "ok": 0.5], lineage: Lineage(), createdBy: nil)
        let read = try await store.version(model: "m", version: 1)
        #expect(read.metrics["loss"] == .infinity && read.metrics["gain"] == -.infinity)
        #expect(read.metrics["odd"]?.isNaN == true && read.metrics["ok"] == 0.5)
        #expect(created.metrics["odd"]?.isNaN == true)
    }

    @Test(arguments: [ResultCode.SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY, .SQLITE_CONSTRAINT_FOREIGNKEY,
                      .SQLITE_BUSY, .SQLITE_FULL, .SQLITE_CORRUPT, .SQLITE_IOERR, .SQLITE_CONSTRAINT_NOTNULL])
    func databaseErrorsBecomeRegistryErrorsWithoutSQL(_ code: ResultCode) {
        let error = DatabaseError(resultCode: code, message: "constraint failed: models.name",
                                  sql: "INSERT INTO models (name) VALUES (?)", arguments: ["secret"])
        let mapped = SQLiteRegistryStore.mapped(error)
        guard let registryError = mapped as? RegistryError else {
            Issue.record("not a RegistryError: \(mapped)")
            return
        }
        for leak in ["INSERT", "models", "secret", "constraint failed"] {
            #expect(!registryError.description.contains(leak), "\(registryError)")
        }
    }

    @Test func registryAndCancellationErrorsPassThrough() {
        #expect(SQLiteRegistryStore.mapped(RegistryError.notFound("model 'm'")) as? RegistryError == .notFound("model 'm'"))
        #expect(SQLiteRegistryStore.mapped(CancellationError()) is CancellationError)
    }
}
