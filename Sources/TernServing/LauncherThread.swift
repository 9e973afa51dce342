import Foundation

/// One thread, alive for as long as the process, that starts worker
/// processes.
///
/// Workers ask the kernel to kill them when their parent ends
/// (`PR_SET_PDEATHSIG`), and on Linux "parent" means the *thread* that
/// started them. Pool threads come and go, so a worker started from one
/// would be killed when that thread retires; started from here, it dies
/// only with the server.
final class LauncherThread: @unchecked Sendable {
    // @unchecked Sendable: `pending` is only touched under `condition`.
    static let shared = LauncherThread()

    private let condition = NSCondition()
    private var pending: [() -> Void] = []

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "tern-worker-launcher"
        thread.start()
    }

    /// Runs `body` on the launcher thread and returns what it returns.
    func run<T: Sendable>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            pending.append { continuation.resume(with: Result { try body() }) }
            condition.signal()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let work = pending
            pending = []
            condition.unlock()
            for item in work { item() }
        }
    }
}
