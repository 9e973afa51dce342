import Dispatch
import Foundation

/// Why the limiter refused to run a prediction.
public enum InferenceLimiterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Every prediction slot is busy and the wait queue is full; the server
    /// answers 503 with `Retry-After: 1`.
    case overloaded(running: Int, queued: Int)

    public var description: String {
        switch self {
        case let .overloaded(running, queued):
            return "the server is busy (\(running) running, \(queued) waiting); retry shortly"
        }
    }
}

/// Bounds the predictions running at once and the callers waiting for a
/// slot, so request handlers never run inference unboundedly.
///
/// At most ``maxConcurrent`` predictions run at a time. Large ones run on a
/// Dispatch worker thread so the cooperative pool stays free; small ones
/// (`inline: true`, a few microseconds of work) run on the calling task,
/// since handing them to another thread and back costs more than the
/// prediction. Neither ever runs on the server's event loops: Hummingbird
/// runs handlers on the cooperative pool, which is sized to the cores.
/// Up to ``maxQueued`` further
/// callers wait in FIFO order; past that, ``run(_:)`` throws
/// ``InferenceLimiterError/overloaded(running:queued:)`` at once. A waiting
/// caller whose task is cancelled leaves the queue with `CancellationError`.
public actor InferenceLimiter {
    /// Predictions allowed to run at once.
    public nonisolated let maxConcurrent: Int
    /// Callers allowed to wait for a slot.
    public nonisolated let maxQueued: Int

    private var running = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiterID: UInt64 = 0

    /// - Parameters:
    ///   - maxConcurrent: predictions at once (default: the processor count; at least 1).
    ///   - maxQueued: callers that may wait (default 256; 0 refuses whenever all slots are busy).
    public init(maxConcurrent: Int = ProcessInfo.processInfo.activeProcessorCount, maxQueued: Int = 256) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxQueued = max(0, maxQueued)
    }

    /// Predictions running and callers waiting, now.
    public var load: (running: Int, queued: Int) { (running, waiters.count) }

    /// Runs `work` once a slot is free: on the calling task when `inline`,
    /// else on a worker thread.
    /// - Throws: ``InferenceLimiterError/overloaded(running:queued:)`` when
    ///   the queue is full, `CancellationError` if the task is cancelled
    ///   while waiting, or whatever `work` throws.
    public nonisolated func run<T: Sendable>(inline: Bool = false, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await acquire()
        let result: Result<T, any Error>
        if inline {
            result = Result { try work() }
        } else {
            result = await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(returning: Result { try work() })
                }
            }
        }
        await release()
        return try result.get()
    }

    private func acquire() async throws {
        if running < maxConcurrent {
            running += 1
            return
        }
        guard waiters.count < maxQueued else {
            throw InferenceLimiterError.overloaded(running: running, queued: waiters.count)
        }
        let id = nextWaiterID
        nextWaiterID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                waiters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Hands the slot to the first waiter, or frees it.
    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
