import Foundation
import Logging
import TernFormats
import TernRegistry
import TernSupport

/// A failure preparing or registering a job, with a message fit for users.
struct JobRunFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension JobRunner {
    /// The job's scratch folder: its spec and the worker's output.
    func scratch(for id: String) -> URL { scratchDirectory.appendingPathComponent(id, isDirectory: true) }

    /// Removes every scratch folder but those of jobs this runner holds.
    func clearScratch() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: scratchDirectory.path)) ?? []
        for name in names where active[name] == nil {
            try? FileManager.default.removeItem(at: scratchDirectory.appendingPathComponent(name))
        }
    }

    /// Runs the worker of job `id` to its end: prepares its files, starts
    /// the process and the time limit, feeds its messages and exit to the
    /// state machine.
    func execute(_ id: String) async {
        guard let record = active[id]?.lifecycle.record else { return }
        let worker: WorkerProcess
        do {
            guard let executable = workerExecutable else { throw JobRunFailure("no worker executable configured") }
            let dataset = try await store.dataset(name: record.datasetName, version: record.datasetVersion)
            active[id]?.dataset = dataset
            let arguments = try prepare(record, dataset: dataset)
            worker = try await WorkerProcess(executable: executable, arguments: arguments, directory: scratch(for: id))
        } catch {
            let reason = (error as? JobRunFailure)?.description
                ?? (error as? RegistryError).map { "cannot start the job: \($0)" }
                ?? "cannot start the worker process"
            logger.error("job failed to start", metadata: ["job": "\(id)", "error": "\(error)"])
            await apply(id) { $0.launchFailed(reason, at: Date()) }
            return
        }
        logger.info("job started", metadata: ["job": "\(id)", "pid": "\(worker.processIdentifier)"])
        active[id]?.worker = worker
        let limit = timeLimit
        active[id]?.timers.append(Task {
            do { try await Task.sleep(for: limit) } catch { return }
            await self.apply(id) { $0.timeLimitReached(limit) }
        })
        // A cancel that arrived while the worker was being started.
        if active[id]?.lifecycle.isStopping == true { terminate(id) }

        for await message in worker.messages {
            await apply(id) { $0.receive(message) }
        }
        let exit = await worker.exit()
        for timer in active[id]?.timers ?? [] { timer.cancel() }
        active[id]?.timers = []
        if exit != .exited(0) {
            logger.notice("worker ended", metadata: ["job": "\(id)", "exit": "\(exit)", "stderr": "\(worker.standardErrorTail)"])
        }
        await apply(id) { $0.workerExited(exit, at: Date()) }
    }

    /// Writes the spec to the scratch folder and returns the worker's arguments.
    private func prepare(_ record: JobRecord, dataset: DatasetRecord) throws -> [String] {
        let roles = dataset.kind == .csv ? [HeldOutSplit.csvRole]
            : ["images", "labels"] + (dataset.files["test_images"] != nil ? ["test_images", "test_labels"] : [])
        var files: [String: URL] = [:]
        for role in roles {
            guard let sha = dataset.files[role] else { throw JobRunFailure("the dataset has no '\(role)' file") }
            let url = try artifacts.path(for: sha)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw JobRunFailure("the dataset's files are missing from the artifact store")
            }
            files[role] = url
        }
        let folder = scratch(for: record.id)
        let specFile = folder.appendingPathComponent("spec.json")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try AtomicFile.write(Array(record.spec.utf8), to: specFile)
        } catch {
            throw JobRunFailure("cannot prepare the job's scratch files")
        }
        var arguments = [
            "worker", "--spec", specFile.path, "--output", folder.appendingPathComponent("model.tern").path,
            "--memory-limit-mb", String(memoryLimitMB), "--dataset-name", record.datasetName,
            "--parent-pid", String(getpid()),
        ]
        if let table = files[HeldOutSplit.csvRole] {
            guard let split = HeldOutSplit(parsing: record.trainRows) else { throw JobRunFailure("the job's split is unreadable") }
            arguments += ["--csv", table.path, "--test-fraction", String(split.testFraction), "--split-seed", String(split.seed)]
        } else if let images = files["images"], let labels = files["labels"] {
            arguments += ["--images", images.path, "--labels", labels.path, "--train", record.trainRows]
            if let testImages = files["test_images"], let testLabels = files["test_labels"] {
                arguments += ["--test-images", testImages.path, "--test-labels", testLabels.path]
            }
            if let validation = record.validationRows { arguments += ["--validation", validation] }
        }
        return arguments
    }

    /// Asks the worker to stop: SIGTERM now, SIGKILL after the grace period.
    func terminate(_ id: String) {
        guard let worker = active[id]?.worker else { return }
        worker.send(SIGTERM)
        let grace = terminationGrace
        active[id]?.timers.append(Task {
            do { try await Task.sleep(for: grace) } catch { return }
            worker.send(SIGKILL)
        })
    }

    /// Stores the trained artifact, records the run and registers the version.
    func register(_ id: String, finalMetrics: [String: Double]) async {
        guard let job = active[id], let dataset = job.dataset else { return }
        let record = job.lifecycle.record
        do {
            let output = scratch(for: id).appendingPathComponent("model.tern")
            let (bytes, model) = try await offload { () throws -> ([UInt8], TernModel) in
                guard let data = FileManager.default.contents(atPath: output.path) else {
                    throw JobRunFailure("the worker wrote no model artifact")
                }
                let bytes = [UInt8](data)
                do { return (bytes, try TernModel(artifact: bytes)) } catch { throw JobRunFailure("the worker wrote an invalid model artifact") }
            }
            let runID = UUID().uuidString.lowercased()
            let lineage = Lineage.of(model, run: TrainingRun(runID: runID, jobID: id, datasetVersion: dataset.version,
                                                             trainRows: record.trainRows, validationRows: record.validationRows))
            let run = RunRecord(
                id: runID, jobID: id, model: record.model, parameters: lineage.parameters,
                history: HistoryCoding.encode(job.lifecycle.history), finalMetrics: finalMetrics,
                datasetName: dataset.name, datasetVersion: dataset.version, datasetSHA256: dataset.sha256, createdAt: Date())
            try await store.createRun(run)
            let version = try await registrar.registerVersion(
                model: record.model, artifact: bytes, spec: record.spec, metrics: finalMetrics,
                lineage: Lineage(runID: runID, datasetName: dataset.name, datasetVersion: dataset.version,
                                 datasetSHA256: dataset.sha256, parameters: lineage.parameters),
                createdBy: record.createdBy)
            logger.info("job succeeded", metadata: ["job": "\(id)", "model": "\(record.model)", "version": "\(version.version)"])
            await apply(id) { $0.registered(version: version.version, at: Date()) }
        } catch {
            let reason = (error as? JobRunFailure)?.description
                ?? (error as? RegistryError).map { "cannot register the trained model: \($0)" }
                ?? "cannot register the trained model"
            logger.error("job registration failed", metadata: ["job": "\(id)", "error": "\(error)"])
            await apply(id) { $0.registrationFailed(reason, at: Date()) }
        }
    }

    /// Forgets a finished job, removes its scratch files and starts the next.
    func cleanUp(_ id: String) {
        for timer in active[id]?.timers ?? [] { timer.cancel() }
        active[id] = nil
        try? FileManager.default.removeItem(at: scratch(for: id))
        startNext()
    }
}

/// Runs blocking file work off the cooperative thread pool.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
