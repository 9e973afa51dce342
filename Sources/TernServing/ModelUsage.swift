import Foundation

/// How one loaded model version is being used: predictions running now and
/// when the last one started. The runtime unloads the least recently used
/// versions first (``ModelRuntime/memoryBudget``), and an alias swap waits
/// for the old version's running predictions before unloading it.
///
/// `@unchecked Sendable`: the counters are only touched while holding `lock`.
public final class ModelUsage: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    private var started: ContinuousClock.Instant
    private var total = 0

    public init(now: ContinuousClock.Instant = .now) { started = now }

    /// A prediction starts.
    public func begin() {
        let now = ContinuousClock.now
        lock.lock()
        running += 1
        total += 1
        started = now
        lock.unlock()
    }

    /// A prediction ended (successfully or not).
    public func end() {
        lock.lock()
        running -= 1
        lock.unlock()
    }

    /// Predictions running now, when the latest started, and how many ever did.
    public var snapshot: (running: Int, lastUsed: ContinuousClock.Instant, predictions: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (running, started, total)
    }

    /// Waits until no prediction runs (checking every 10 ms), at most `timeout`.
    /// - Returns: false if predictions were still running at the timeout.
    public func waitUntilIdle(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while snapshot.running > 0 {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
