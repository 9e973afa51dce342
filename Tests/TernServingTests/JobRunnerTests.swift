import Foundation
import Testing
import TernRegistry
@testable import TernServing

/// End-to-end jobs: real `tern worker` processes training on the MNIST test set.
@Suite(.serialized) struct JobRunnerTests {
    /// A dataset with a test part: `train:...` reads its images, `test:...`
    /// its test part; `test` on a dataset without one is refused at submit.
    @Test func trainAndTestParts() async throws {
        let fixture = try await JobFixture()
        defer { fixture.remove() }
        let spec = try JobFixture.spec(epochs: 1)
        await #expect(throws: JobError.self) {
            try await fixture.runner.submit(model: "m", spec: spec, datasetName: "mnist", datasetVersion: nil,
                                            trainRows: "0:1000", validationRows: "test", createdBy: nil)
        }
        let images = try #require(FileManager.default.contents(atPath: JobFixture.mnist.appendingPathComponent("t10k-images-idx3-ubyte.gz").path))
        let labels = try #require(FileManager.default.contents(atPath: JobFixture.mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path))
        let imagesSHA = try fixture.artifacts.put(images), labelsSHA = try fixture.artifacts.put(labels)
        // The same files serve as both parts here; only the plumbing is under test.
        _ = try await fixture.store.createDataset(
            name: "split", kind: .idx, rows: 10000, schema: #"{"test_rows": 10000}"#,
            files: ["images": imagesSHA, "labels": labelsSHA, "test_images": imagesSHA, "test_labels": labelsSHA],
            sha256: imagesSHA, createdBy: nil)
        await #expect(throws: JobError.self) {
            try await fixture.runner.submit(model: "m", spec: spec, datasetName: "split", datasetVersion: nil,
                                            trainRows: "train:0:1000", validationRows: "test:0:10001", createdBy: nil)
        }
        let job = try await fixture.runner.submit(model: "m", spec: spec, datasetName: "split", datasetVersion: nil,
                                                  trainRows: "train:0:1000", validationRows: "test:9000:10000", createdBy: nil)
        #expect(job.trainRows == "train:0:1000" && job.validationRows == "test:9000:10000")
        let finished = try await fixture.finished(job.id)
        #expect(finished.state == .succeeded, "\(finished.error ?? "")")
        let version = try await fixture.store.version(model: "m", version: 1)
        #expect(version.lineage.parameters["validation_rows"] == "test:9000:10000")
        #expect(finished.history.contains("val_accuracy"), "\(finished.history)")
    }

    @Test func smallJobSucceedsAndRegistersAVersion() async throws {
        let fixture = try await JobFixture()
        defer { fixture.remove() }
        let submitted = try await fixture.submit()
        #expect(submitted.state == .queued)
        #expect(submitted.id.hasPrefix("job-"))
        let events = try await fixture.events(of: submitted.id)

        let epochs = events.compactMap { if case let .epoch(e) = $0 { return e } else { return nil } }
        #expect(epochs.count == 1)
        #expect(epochs.first?.metrics["val_accuracy"] != nil)
        #expect(events.contains { if case .progress = $0 { return true } else { return false } })
        guard case let .finished(job)? = events.last else { Issue.record("no finished event"); return }
        #expect(job.state == .succeeded, "\(job.error ?? "")")
        #expect(job.resultVersion == 1)
        #expect(job.error == nil)
        #expect(job.startedAt != nil && job.finishedAt != nil)

        let stored = try await fixture.store.job(submitted.id)
        #expect(stored.state == job.state && stored.resultVersion == job.resultVersion && stored.history == job.history)
        let history = try JSONDecoder().decode([EpochRecordView].self, from: Data(stored.history.utf8))
        #expect(history.map(\.epoch) == [1])

        let version = try await fixture.store.version(model: "mnist", version: 1)
        #expect((version.metrics["accuracy"] ?? 0) > 0.5)
        #expect(version.metrics["loss"] != nil)
        #expect(version.createdBy == "tester")
        #expect(version.spec == submitted.spec)
        #expect(fixture.artifacts.contains(version.artifactSHA256))
        #expect(version.lineage.datasetName == "mnist")
        #expect(version.lineage.datasetVersion == 1)
        #expect(version.lineage.datasetSHA256 == fixture.dataset.sha256)
        #expect(version.lineage.parameters["epochs"] == "1")
        #expect(version.lineage.parameters["batch_size"] == "32")
        #expect(version.lineage.parameters["seed"] == "42")
        #expect(version.lineage.parameters["optimizer"] == "adam")
        #expect(version.lineage.parameters["train_rows"] == "0:1000")
        #expect(version.lineage.parameters["validation_rows"] == "8000:8500")

        let runID = try #require(version.lineage.runID)
        let run = try await fixture.store.run(runID)
        #expect(run.jobID == submitted.id)
        #expect(run.finalMetrics == version.metrics)
        #expect(run.datasetSHA256 == fixture.dataset.sha256)
        #expect(try JSONDecoder().decode([EpochRecordView].self, from: Data(run.history.utf8)).count == 1)

        // Scratch files are gone; a finished job streams just its final state.
        let scratch = fixture.directory.appendingPathComponent("scratch").appendingPathComponent(submitted.id)
        #expect(!FileManager.default.fileExists(atPath: scratch.path))
        #expect(try await finishedIDs(fixture.events(of: submitted.id)) == [submitted.id])
        #expect(await fixture.runner.load.running == 0)
    }

    @Test func timeLimitKillsTheWorkerAndTheRunnerCarriesOn() async throws {
        let fixture = try await JobFixture(timeLimit: .seconds(3))
        defer { fixture.remove() }
        let long = try await fixture.submit(epochs: 200, train: "0:8000")
        let next = try await fixture.submit()
        let failed = try await fixture.finished(long.id)
        #expect(failed.state == .failed)
        #expect(failed.error == "time limit of 3 s exceeded")
        #expect(failed.resultVersion == nil)
        #expect(try JSONDecoder().decode([EpochRecordView].self, from: Data(failed.history.utf8)).count >= 1)

        let succeeded = try await fixture.finished(next.id)
        #expect(succeeded.state == .succeeded, "\(succeeded.error ?? "")")
        #expect(succeeded.resultVersion == 1)
    }

    @Test func memoryLimitCrashIsReported() async throws {
        let fixture = try await JobFixture(memoryLimitMB: 40)
        defer { fixture.remove() }
        let job = try await fixture.submit()
        let failed = try await fixture.finished(job.id)
        #expect(failed.state == .failed)
        let reason = try #require(failed.error)
        #expect(!reason.contains(fixture.directory.path) && !reason.contains("/tmp"), "the reason must not carry a path: \(reason)")
        #expect(try await fixture.versionCount() == 0)
    }

    @Test func cancelQueuedAndRunningJobs() async throws {
        let fixture = try await JobFixture()
        defer { fixture.remove() }
        let running = try await fixture.submit(epochs: 200, train: "0:8000")
        let queued = try await fixture.submit()

        let cancelledQueued = try await fixture.runner.cancel(id: queued.id)
        #expect(cancelledQueued.state == .cancelled)
        #expect(cancelledQueued.startedAt == nil)
        #expect(try await fixture.store.job(queued.id).state == .cancelled)
        #expect(try await finishedIDs(fixture.events(of: queued.id)) == [queued.id])

        await fixture.waitUntilTraining(running.id)
        let clock = ContinuousClock()
        let started = clock.now
        let cancelledRunning = try await fixture.runner.cancel(id: running.id)
        #expect(clock.now - started < .seconds(2), "the worker should stop between batches, before SIGKILL")
        #expect(cancelledRunning.state == .cancelled)
        #expect(cancelledRunning.error == nil)
        #expect(try await fixture.store.job(running.id).state == .cancelled)
        #expect(try await fixture.versionCount() == 0)

        await #expect(throws: JobError.alreadyFinished(id: running.id, state: .cancelled)) {
            try await fixture.runner.cancel(id: running.id)
        }
        await #expect(throws: JobError.notFound("job nope")) { try await fixture.runner.cancel(id: "nope") }
        #expect(await fixture.runner.load.running == 0)
    }

    @Test func startFailsRunningJobsAndRunsQueuedOnes() async throws {
        let fixture = try await JobFixture(start: false)
        defer { fixture.remove() }
        let store = fixture.store
        let now = Date()
        let spec = try JobFixture.spec(epochs: 1)
        for (id, state) in [("job-a", JobState.running), ("job-b", .queued), ("job-c", .succeeded)] {
            try await store.createJob(JobRecord(
                id: id, model: "mnist", state: state, spec: spec, datasetName: "mnist", datasetVersion: 1,
                trainRows: "0:1000", validationRows: nil, createdAt: now, createdBy: nil))
        }
        await fixture.runner.start()
        let a = try await store.job("job-a")
        #expect(a.state == .failed)
        #expect(a.error == "the server stopped while the job was running")
        #expect(a.finishedAt != nil)
        #expect(try await store.job("job-c").state == .succeeded)

        let b = try await fixture.finished("job-b")
        #expect(b.state == .succeeded, "\(b.error ?? "")")
        #expect(b.resultVersion == 1)
        // A second start() is a no-op.
        await fixture.runner.start()
        #expect(try await store.job("job-b").state == .succeeded)
        #expect(await fixture.runner.load.running == 0)
    }

    @Test func withoutAWorkerJobsFail() async throws {
        let fixture = try await JobFixture(noWorker: true)
        defer { fixture.remove() }
        let job = try await fixture.submit()
        let failed = try await fixture.finished(job.id)
        #expect(failed.state == .failed)
        #expect(failed.error == "no worker executable configured")
    }

    @Test func badSubmissionsAreRefusedNamingTheField() async throws {
        let fixture = try await JobFixture()
        defer { fixture.remove() }
        let spec = try JobFixture.spec(epochs: 1)
        func submit(model: String = "mnist", spec: String = spec, dataset: String = "mnist", version: Int? = nil,
                    train: String = "0:1000", validation: String? = nil) async throws {
            _ = try await fixture.runner.submit(model: model, spec: spec, datasetName: dataset, datasetVersion: version,
                                                trainRows: train, validationRows: validation, createdBy: nil)
        }
        func field(_ body: () async throws -> Void) async -> String? {
            do { try await body() } catch let error as JobError { return error.field ?? "\(error)" } catch { return "\(error)" }
            return nil
        }

        #expect(await field { try await submit(dataset: "fashion") } == "dataset 'fashion' not found")
        #expect(await field { try await submit(version: 7) } == "dataset 'mnist' version 7 not found")
        #expect(await field { try await submit(train: "abc") } == "train")
        #expect(await field { try await submit(train: "10:5") } == "train")
        #expect(await field { try await submit(train: "0:20000") } == "train")
        #expect(await field { try await submit(validation: "9000:10001") } == "validation")
        #expect(await field { try await submit(model: "../etc") } == "model")
        #expect(await field { try await submit(dataset: "../mnist") } == "dataset")
        #expect(await field { try await submit(spec: "not json") } == "spec")
        let unknownLayer = spec.replacingOccurrences(of: "\"flatten\"", with: "\"lambda\"")
        #expect(await field { try await submit(spec: unknownLayer) } == "spec")
        do {
            try await submit(spec: unknownLayer)
        } catch let error as JobError {
            #expect(error.description.contains("lambda"), "\(error)")
        }
        #expect(await field { try await submit(spec: spec.replacingOccurrences(of: "\"epochs\": 1", with: "\"epochs\": 0")) } == "spec")
        #expect(try await fixture.store.jobs().isEmpty)
    }
}

/// The job ids of `finished` events, in order (a stored record's dates are
/// rounded, so records are compared by id).
func finishedIDs(_ events: [JobEvent]) -> [String] {
    events.compactMap { if case let .finished(job) = $0 { return job.id } else { return nil } }
}

/// The fields of a history entry the tests look at.
struct EpochRecordView: Decodable {
    var epoch: Int
    var seconds: Double
}
