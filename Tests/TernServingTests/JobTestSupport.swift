import Foundation
import Logging
import Testing
import TernTesting
import TernRegistry
@testable import TernServing

/// A runner over a SQLite registry and a temporary artifact store holding
/// the MNIST test set (10,000 rows) as dataset `mnist` version 1.
struct JobFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let mnist = TestPaths.mnistDirectory

    /// The built `tern` executable.
    static let tern: URL? = TestPaths.ternExecutable

    let directory: URL
    let store: SQLiteRegistryStore
    let artifacts: ArtifactStore
    let runner: JobRunner
    let dataset: DatasetRecord

    init(timeLimit: Duration = .seconds(60), memoryLimitMB: Int = 4096, concurrency: Int = 1,
         noWorker: Bool = false, start: Bool = true) async throws {
        let executable = try #require(Self.tern, "the tern executable is not built")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-jobs-\(UUID().uuidString)")
        store = try SQLiteRegistryStore(path: directory.appendingPathComponent("registry.sqlite"))
        artifacts = try ArtifactStore(root: directory.appendingPathComponent("artifacts"))
        let images = try #require(FileManager.default.contents(atPath: Self.mnist.appendingPathComponent("t10k-images-idx3-ubyte.gz").path))
        let labels = try #require(FileManager.default.contents(atPath: Self.mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path))
        let imagesSHA = try artifacts.put(images), labelsSHA = try artifacts.put(labels)
        dataset = try await store.createDataset(
            name: "mnist", kind: .idx, rows: 10000, schema: "{}", files: ["images": imagesSHA, "labels": labelsSHA],
            sha256: imagesSHA, createdBy: nil)
        runner = JobRunner(
            store: store, artifacts: artifacts, workerExecutable: noWorker ? nil : executable,
            scratchDirectory: directory.appendingPathComponent("scratch"), timeLimit: timeLimit,
            memoryLimitMB: memoryLimitMB, concurrency: concurrency, logger: Logger(label: "tern.tests.jobs"),
            terminationGrace: .seconds(2))
        if start { await runner.start() }
    }

    /// `Examples/mnist-mlp.json` with `fit.epochs` set to `epochs`.
    static func spec(epochs: Int) throws -> String {
        let text = try String(contentsOf: root.appendingPathComponent("Examples/mnist-mlp.json"), encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"epochs\": 5", with: "\"epochs\": \(epochs)")
        try #require(edited != text, "the example spec no longer has \"epochs\": 5")
        return edited
    }

    func submit(epochs: Int = 1, train: String = "0:1000", validation: String? = "8000:8500", model: String = "mnist") async throws -> JobRecord {
        try await runner.submit(model: model, spec: Self.spec(epochs: epochs), datasetName: "mnist", datasetVersion: nil,
                                trainRows: train, validationRows: validation, createdBy: "tester")
    }

    /// Collects a job's events until it finishes (failing after `timeout`).
    func events(of id: String, timeout: Duration = .seconds(60)) async throws -> [JobEvent] {
        let stream = await runner.events(id: id)
        return try await withThrowingTaskGroup(of: [JobEvent]?.self) { group in
            group.addTask {
                var events: [JobEvent] = []
                for await event in stream { events.append(event) }
                return events
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return try #require(first, "the job did not finish in time")
        }
    }

    /// The job's final record, waiting for it to finish.
    func finished(_ id: String, timeout: Duration = .seconds(60)) async throws -> JobRecord {
        let events = try await events(of: id, timeout: timeout)
        guard case let .finished(record)? = events.last else {
            Issue.record("the event stream did not end with 'finished'")
            return try await store.job(id)
        }
        return record
    }

    /// Waits until the job's worker reports progress.
    func waitUntilTraining(_ id: String) async {
        for await event in await runner.events(id: id) {
            if case .progress = event { return }
            if case .finished = event { return }
        }
    }

    /// Versions of model `mnist` (none when the model does not exist).
    func versionCount() async throws -> Int {
        do { return try await store.versions(model: "mnist").count } catch RegistryError.notFound { return 0 }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
