import Foundation

/// The process-wide cap on how many threads the compute kernels use.
///
/// Defaults to the number of active processors. Set it to 1 to run every
/// kernel on the calling thread (results are bit-identical either way: the
/// kernels split only their output across threads, never a summation).
/// Reads and writes are lock-protected, so any thread may change it.
public enum ComputeThreads {
    private static let cell = LockedCount(ProcessInfo.processInfo.activeProcessorCount)

    /// The largest number of threads a kernel may use; always at least 1.
    public static var maximum: Int {
        get { cell.value }
        set { cell.value = Swift.max(1, newValue) }
    }
}

/// An integer behind a lock. `@unchecked Sendable`: every access to `stored`
/// goes through `lock`.
private final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int

    init(_ value: Int) { stored = Swift.max(1, value) }

    var value: Int {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
