import Foundation
import TernNN
import TernRegistry

/// The life of one training job as a pure state machine: each input
/// (start, a worker message, a cancel request, the time limit, the worker's
/// exit, the registration's outcome) updates the record and returns the
/// side effects for ``JobRunner`` to perform, in order. Nothing here touches
/// processes, files or the store, so every transition is unit-testable.
///
/// ```
/// queued ──start──▶ running ──exit 0 + done──▶ registering ──▶ succeeded
///   │                 │ ╲──cancel──▶ (terminate) ──exit──▶ cancelled
///   └──cancel──▶ cancelled  ╲──time limit──▶ (terminate) ──exit──▶ failed
///                            ╲──crash / error──▶ failed
/// ```
public struct JobLifecycle: Sendable {
    /// A side effect for the runner.
    public enum Action: Equatable, Sendable {
        /// Write the record to the store.
        case persist(JobRecord)
        /// Tell subscribers.
        case publish(JobEvent)
        /// Start the worker process.
        case launchWorker
        /// Ask the worker to stop (SIGTERM, then SIGKILL after a grace period).
        case terminateWorker
        /// Store the artifact and register a version with these final metrics.
        case register(finalMetrics: [String: Double])
        /// Remove the job's scratch files and forget it (before `finished`
        /// is published, so a subscriber never sees leftovers).
        case cleanUp
    }

    /// Why the runner is stopping the worker.
    enum StopReason: Equatable, Sendable {
        case cancelRequested
        case timeLimit(Duration)
    }

    public private(set) var record: JobRecord
    /// Epochs reported so far.
    public private(set) var history: [EpochRecord] = []
    private var stopReason: StopReason?
    private var workerError: String?
    private var finalMetrics: [String: Double]?
    private var registering = false
    /// The worker's memory limit, named in crash reasons.
    private let memoryLimitMB: Int?

    public init(record: JobRecord, memoryLimitMB: Int? = nil) {
        self.record = record
        self.memoryLimitMB = memoryLimitMB
    }

    public var isFinished: Bool { record.state.isFinished }

    /// Whether the runner has asked the worker to stop.
    public var isStopping: Bool { stopReason != nil }

    /// queued → running.
    public mutating func start(at now: Date) -> [Action] {
        guard record.state == .queued else { return [] }
        record.state = .running
        record.startedAt = now
        return [.persist(record), .launchWorker]
    }

    /// A line from the worker.
    public mutating func receive(_ message: WorkerMessage) -> [Action] {
        guard record.state == .running, !registering else { return [] }
        switch message {
        case let .batch(progress):
            return [.publish(.progress(progress))]
        case let .epoch(epoch):
            history.append(epoch)
            record.history = HistoryCoding.encode(history)
            return [.persist(record), .publish(.epoch(epoch))]
        case let .done(metrics):
            finalMetrics = metrics
            return []
        case let .error(message):
            workerError = message
            return []
        case .cancelled:
            return []
        }
    }

    /// A cancel request: a queued job ends at once, a running one is asked
    /// to stop and ends when its worker exits.
    public mutating func cancel(at now: Date) -> [Action] {
        switch record.state {
        case .queued:
            return finish(.cancelled, error: nil, at: now)
        case .running where stopReason == nil && !registering:
            stopReason = .cancelRequested
            return [.terminateWorker]
        default:
            return []
        }
    }

    /// The wall-clock limit passed while the worker ran.
    public mutating func timeLimitReached(_ limit: Duration) -> [Action] {
        guard record.state == .running, stopReason == nil, !registering else { return [] }
        stopReason = .timeLimit(limit)
        return [.terminateWorker]
    }

    /// The worker could not be started (or its inputs prepared).
    public mutating func launchFailed(_ reason: String, at now: Date) -> [Action] {
        guard !record.state.isFinished else { return [] }
        if stopReason == .cancelRequested { return finish(.cancelled, error: nil, at: now) }
        return finish(.failed, error: reason, at: now)
    }

    /// The worker process ended.
    public mutating func workerExited(_ exit: WorkerExit, at now: Date) -> [Action] {
        guard record.state == .running, !registering else { return [] }
        switch stopReason {
        case .cancelRequested:
            return finish(.cancelled, error: nil, at: now)
        case let .timeLimit(limit):
            return finish(.failed, error: "time limit of \(Self.seconds(limit)) s exceeded", at: now)
        case nil:
            break
        }
        if exit == .exited(0), let metrics = finalMetrics {
            registering = true
            return [.register(finalMetrics: metrics)]
        }
        return finish(.failed, error: failureReason(exit), at: now)
    }

    /// The version was registered.
    public mutating func registered(version: Int, at now: Date) -> [Action] {
        guard registering, record.state == .running else { return [] }
        record.resultVersion = version
        return finish(.succeeded, error: nil, at: now)
    }

    /// Storing the artifact or registering the version failed.
    public mutating func registrationFailed(_ reason: String, at now: Date) -> [Action] {
        guard registering, record.state == .running else { return [] }
        return finish(.failed, error: reason, at: now)
    }

    private mutating func finish(_ state: JobState, error: String?, at now: Date) -> [Action] {
        record.state = state
        record.error = error
        record.finishedAt = now
        return [.persist(record), .cleanUp, .publish(.finished(record))]
    }

    private func failureReason(_ exit: WorkerExit) -> String {
        if let workerError { return workerError }
        switch exit {
        case .exited(0):
            return "the worker exited without reporting a result"
        case let .exited(status):
            return "the worker exited with status \(status)"
        case .signaled(SIGKILL):
            return "the worker was killed by signal 9 (likely the memory limit)"
        case let .signaled(signal):
            let limit = memoryLimitMB.map { " (it may have hit the memory limit of \($0) MiB)" } ?? ""
            return "the worker crashed with signal \(signal)\(limit)"
        }
    }

    /// `1`, `1.5`: whole seconds without a fraction.
    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        if atto == 0 { return String(s) }
        return String(format: "%g", Double(s) + Double(atto) * 1e-18)
    }
}
