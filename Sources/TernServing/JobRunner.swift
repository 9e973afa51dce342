import Foundation
import Logging
import TernData
import TernFormats
import TernRegistry
import TernSupport

/// Runs training jobs outside the request path: each job is a `tern worker`
/// child process training a stored spec on a stored IDX dataset, at most
/// `concurrency` at a time, in submission order.
///
/// The runner keeps queued and running jobs in memory and mirrors every
/// change to the ``RegistryStore``; the transitions themselves are decided by
/// ``JobLifecycle``. Call ``start()`` once when the server starts, before
/// submitting.
public actor JobRunner {
    typealias Action = JobLifecycle.Action

    /// A running job: its state machine and the resources it holds.
    struct ActiveJob {
        var lifecycle: JobLifecycle
        var worker: WorkerProcess?
        var dataset: DatasetRecord?
        var timers: [Task<Void, Never>] = []
    }

    let store: any RegistryStore
    let artifacts: ArtifactStore
    /// Registers trained versions (holding the blob lock uploads take).
    let registrar: Registrar
    let workerExecutable: URL?
    let scratchDirectory: URL
    let timeLimit: Duration
    let memoryLimitMB: Int
    let concurrency: Int
    let terminationGrace: Duration
    let logger: Logger

    /// Queued jobs, oldest first.
    var queue: [JobRecord] = []
    /// Running jobs (including ones whose result is being registered).
    var active: [String: ActiveJob] = [:]
    var subscribers: [String: [UUID: AsyncStream<JobEvent>.Continuation]] = [:]
    private var started = false

    /// - Parameters:
    ///   - workerExecutable: the `tern` executable; nil makes every job fail.
    ///   - scratchDirectory: where per-job spec and output files live while a job runs.
    ///   - timeLimit: wall-clock limit per job.
    ///   - memoryLimitMB: the worker's address-space limit.
    ///   - concurrency: jobs run at once (at least 1).
    ///   - terminationGrace: how long a worker may take to stop after SIGTERM before SIGKILL.
    ///   - registrar: registers trained versions; the server shares it with
    ///     the upload routes, so both hold the same blob lock.
    public init(registrar: Registrar, workerExecutable: URL?, scratchDirectory: URL,
                timeLimit: Duration, memoryLimitMB: Int, concurrency: Int, logger: Logger,
                terminationGrace: Duration = .seconds(5)) {
        self.registrar = registrar
        store = registrar.store
        artifacts = registrar.artifacts
        self.workerExecutable = workerExecutable
        self.scratchDirectory = scratchDirectory
        self.timeLimit = timeLimit
        self.memoryLimitMB = memoryLimitMB
        self.concurrency = max(1, concurrency)
        self.terminationGrace = terminationGrace
        self.logger = logger
    }

    /// A runner with a registrar of its own (tests).
    public init(store: any RegistryStore, artifacts: ArtifactStore, workerExecutable: URL?, scratchDirectory: URL,
                timeLimit: Duration, memoryLimitMB: Int, concurrency: Int, logger: Logger,
                terminationGrace: Duration = .seconds(5)) {
        self.init(registrar: Registrar(store: store, artifacts: artifacts, logger: logger), workerExecutable: workerExecutable,
                  scratchDirectory: scratchDirectory, timeLimit: timeLimit, memoryLimitMB: memoryLimitMB,
                  concurrency: concurrency, logger: logger, terminationGrace: terminationGrace)
    }

    /// At server start: removes the scratch files a previous server left
    /// (it was killed before it could), marks the jobs it was running failed
    /// (``RegistryStore/failUnfinishedJobs(reason:)``), then runs whatever is
    /// still queued, oldest first. Later calls do nothing.
    public func start() async {
        guard !started else { return }
        started = true
        clearScratch()
        do {
            let count = try await store.failUnfinishedJobs(reason: "the server stopped while the job was running")
            if count > 0 { logger.notice("marked unfinished jobs failed", metadata: ["count": "\(count)"]) }
            let known = Set(queue.map(\.id)).union(active.keys)
            let queued = try await store.jobs().filter { $0.state == .queued && !known.contains($0.id) }
            queue.append(contentsOf: queued.sorted { $0.createdAt < $1.createdAt })
        } catch {
            logger.error("cannot recover jobs at start", metadata: ["error": "\(error)"])
        }
        startNext()
    }

    /// Validates and queues a training job.
    /// - Parameters:
    ///   - spec: the model spec as JSON text (the format of `tern train`); it is
    ///     only ever decoded as a ``ModelSpec``, never executed.
    ///   - datasetVersion: nil for the latest version.
    ///   - trainRows, validationRows: `start:end` row ranges within the dataset.
    /// - Throws: ``JobError/invalidField(_:_:)`` naming the bad field,
    ///   ``JobError/notFound(_:)`` for an unknown dataset.
    public func submit(model: String, spec: String, datasetName: String, datasetVersion: Int?, trainRows: String?,
                       validationRows: String?, testFraction: Double? = nil, splitSeed: UInt64? = nil,
                       createdBy: String?) async throws -> JobRecord {
        do { try Names.validate(model, kind: "model") } catch { throw JobError.invalidField("model", "\(error)") }
        do { try Names.validate(datasetName, kind: "dataset") } catch { throw JobError.invalidField("dataset", "\(error)") }
        let decoded: ModelSpec
        do {
            decoded = try JSONDecoder().decode(ModelSpec.self, from: Data(spec.utf8))
        } catch {
            throw JobError.invalidField("spec", describe(error))
        }
        let dataset = try await lookUpDataset(datasetName, version: datasetVersion)
        let train: String, validation: String?
        if dataset.kind == .csv {
            guard decoded.input.format == .table else {
                throw JobError.invalidField("spec", "a CSV dataset needs a table spec (\"input\": {\"format\": \"table\", \"target\": ...})")
            }
            guard trainRows == nil, validationRows == nil else {
                throw JobError.invalidField("train", "CSV datasets are split with 'test_fraction' and 'split_seed', not row ranges")
            }
            let split = HeldOutSplit(testFraction: testFraction ?? 0.2, seed: splitSeed ?? 1)
            guard (0..<1).contains(split.testFraction) else { throw JobError.invalidField("test_fraction", "must be in [0, 1)") }
            (train, validation) = (split.description, nil)
        } else {
            guard decoded.input.format == .tensor else {
                throw JobError.invalidField("spec", "a table spec needs a CSV dataset")
            }
            guard testFraction == nil, splitSeed == nil else {
                throw JobError.invalidField("test_fraction", "IDX datasets are split with 'train' and 'validation' row ranges")
            }
            guard let trainRows else { throw JobError.invalidField("train", "missing (a row range such as 0:8000, or train)") }
            train = try Self.selection(trainRows, field: "train", in: dataset).description
            validation = try validationRows.map { try Self.selection($0, field: "validation", in: dataset).description }
        }
        let record = JobRecord(
            id: Self.newID(), model: model, state: .queued, spec: spec, datasetName: dataset.name,
            datasetVersion: dataset.version, trainRows: train, validationRows: validation,
            createdAt: Date(), createdBy: createdBy)
        try await store.createJob(record)
        queue.append(record)
        logger.info("job queued", metadata: ["job": "\(record.id)", "model": "\(model)"])
        startNext()
        return record
    }

    /// Cancels a job: a queued one at once, a running one by stopping its
    /// worker (SIGTERM, SIGKILL after the grace period).
    /// - Returns: the job in its final state (normally cancelled; a job
    ///   that was already registering its result may still succeed).
    /// - Throws: ``JobError/notFound(_:)``, ``JobError/alreadyFinished(id:state:)``.
    public func cancel(id: String) async throws -> JobRecord {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            var lifecycle = JobLifecycle(record: queue.remove(at: index))
            await perform(lifecycle.cancel(at: Date()), id: id)
            return lifecycle.record
        }
        if active[id] != nil {
            let stream = events(id: id)
            await apply(id) { $0.cancel(at: Date()) }
            for await event in stream {
                if case let .finished(record) = event { return record }
            }
        }
        let record: JobRecord
        do { record = try await store.job(id) } catch RegistryError.notFound { throw JobError.notFound("job \(id)") }
        guard !record.state.isFinished else { throw JobError.alreadyFinished(id: id, state: record.state) }
        // Queued in the store but unknown here (start() not called yet).
        var lifecycle = JobLifecycle(record: record)
        await perform(lifecycle.cancel(at: Date()), id: id)
        return lifecycle.record
    }

    /// Live events of a job, ending after ``JobEvent/finished(_:)``. A job
    /// that already finished yields just that event; an unknown job none.
    /// Any number of streams may follow the same job.
    public func events(id: String) -> AsyncStream<JobEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: JobEvent.self, bufferingPolicy: .bufferingNewest(512))
        if active[id] != nil || queue.contains(where: { $0.id == id }) {
            let token = UUID()
            subscribers[id, default: [:]][token] = continuation
            continuation.onTermination = { _ in Task { await self.unsubscribe(id, token) } }
        } else {
            let store = self.store
            Task {
                if let record = try? await store.job(id), record.state.isFinished { continuation.yield(.finished(record)) }
                continuation.finish()
            }
        }
        return stream
    }

    /// How many jobs are queued and running (for metrics and tests).
    public var load: (queued: Int, running: Int) { (queue.count, active.count) }

    // MARK: - Internals

    private func unsubscribe(_ id: String, _ token: UUID) {
        subscribers[id]?[token] = nil
        if subscribers[id]?.isEmpty == true { subscribers[id] = nil }
    }

    func publish(_ event: JobEvent, id: String) {
        guard let streams = subscribers[id] else { return }
        for continuation in streams.values { continuation.yield(event) }
        if case .finished = event {
            subscribers[id] = nil
            for continuation in streams.values { continuation.finish() }
        }
    }

    /// Starts queued jobs while there is room.
    func startNext() {
        while active.count < concurrency, !queue.isEmpty {
            let record = queue.removeFirst()
            var lifecycle = JobLifecycle(record: record, memoryLimitMB: memoryLimitMB)
            let actions = lifecycle.start(at: Date())
            active[record.id] = ActiveJob(lifecycle: lifecycle)
            Task { await self.perform(actions, id: record.id) }
        }
    }

    /// Feeds one input to a running job's state machine and performs the result.
    func apply(_ id: String, _ transition: (inout JobLifecycle) -> [Action]) async {
        guard var lifecycle = active[id]?.lifecycle else { return }
        let actions = transition(&lifecycle)
        active[id]?.lifecycle = lifecycle
        await perform(actions, id: id)
    }

    func perform(_ actions: [Action], id: String) async {
        for action in actions {
            switch action {
            case let .persist(record):
                do { try await store.updateJob(record) } catch {
                    logger.error("cannot store job state", metadata: ["job": "\(id)", "error": "\(error)"])
                }
            case let .publish(event):
                publish(event, id: id)
            case .launchWorker:
                await execute(id)
            case .terminateWorker:
                terminate(id)
            case let .register(metrics):
                await register(id, finalMetrics: metrics)
            case .cleanUp:
                cleanUp(id)
            }
        }
    }

    private func lookUpDataset(_ name: String, version: Int?) async throws -> DatasetRecord {
        let dataset: DatasetRecord
        do {
            dataset = try await store.dataset(name: name, version: version)
        } catch RegistryError.notFound {
            throw JobError.notFound(version.map { "dataset '\(name)' version \($0)" } ?? "dataset '\(name)'")
        } catch let error as RegistryError {
            throw JobError.invalidField("dataset", error.description)
        }
        let usable = dataset.kind == .idx ? dataset.files["images"] != nil && dataset.files["labels"] != nil
            : dataset.files[HeldOutSplit.csvRole] != nil
        guard usable else {
            throw JobError.invalidField("dataset", "training jobs need an IDX dataset with 'images' and 'labels' files or a CSV dataset")
        }
        return dataset
    }

    /// Samples of an IDX dataset: `start:end` or `train[:start:end]` of its
    /// images and labels, `test[:start:end]` of its test part.
    static func selection(_ text: String, field: String, in dataset: DatasetRecord) throws -> SampleSelection {
        let selection: SampleSelection
        do { selection = try SampleSelection(parsing: text) } catch { throw JobError.invalidField(field, "\(error)") }
        let count: Int
        if selection.part == .test {
            guard let testRows = testRows(of: dataset) else {
                throw JobError.invalidField(field, "dataset '\(dataset.name)' has no test part (upload one with test_images and test_labels)")
            }
            count = testRows
        } else {
            count = dataset.rows
        }
        if let rows = selection.rows, rows.upperBound > count {
            throw JobError.invalidField(field, "rows \(rows) reach past the \(selection.part == .test ? "test part's" : "dataset's") \(count) rows")
        }
        return selection
    }

    /// The sample count of an IDX dataset's test part, if it has one.
    static func testRows(of dataset: DatasetRecord) -> Int? {
        guard dataset.files["test_images"] != nil,
              let schema = try? JSONSerialization.jsonObject(with: Data(dataset.schema.utf8)) as? [String: Any] else { return nil }
        return (schema["test_rows"] as? NSNumber)?.intValue
    }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "job-" + hexString((0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

/// How a CSV job splits its rows, stored as the job's `train` text
/// (`holdout 0.2 seed 1`): the seeded stratified split of `tern train --csv`.
public struct HeldOutSplit: Equatable, Sendable, CustomStringConvertible {
    public static let csvRole = "table"
    public var testFraction: Double
    public var seed: UInt64

    public init(testFraction: Double, seed: UInt64) {
        self.testFraction = testFraction
        self.seed = seed
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: " ")
        guard parts.count == 4, parts[0] == "holdout", parts[2] == "seed",
              let fraction = Double(parts[1]), let seed = UInt64(parts[3]) else { return nil }
        self.init(testFraction: fraction, seed: seed)
    }

    public var description: String { "holdout \(testFraction) seed \(seed)" }
}
