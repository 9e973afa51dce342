import Foundation

/// A running `tern worker` child process. Its standard output is read on a
/// dedicated thread (never a server or cooperative-pool thread) and parsed
/// into ``WorkerMessage``s; its standard error is kept (the last few KiB)
/// for the server log only, since crash output may carry paths.
final class WorkerProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var exitStatus: WorkerExit?
    private var exitWaiters: [CheckedContinuation<WorkerExit, Never>] = []
    private var stderrTail: [UInt8] = []
    /// The worker's messages, finishing when its standard output closes.
    let messages: AsyncStream<WorkerMessage>

    private let messageContinuation: AsyncStream<WorkerMessage>.Continuation
    private static let stderrLimit = 4096

    /// Starts `executable` with `arguments` in `directory`, from the
    /// ``LauncherThread`` (so a worker that asks to die with its parent dies
    /// with the server, not with a pool thread).
    /// - Throws: when the executable cannot be started.
    init(executable: URL, arguments: [String], directory: URL) async throws {
        (messages, messageContinuation) = AsyncStream.makeStream(of: WorkerMessage.self, bufferingPolicy: .unbounded)
        let stdout = Pipe(), stderr = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        process.terminationHandler = { [weak self] process in
            let exit: WorkerExit = process.terminationReason == .uncaughtSignal
                ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
            self?.recordExit(exit)
        }
        let process = self.process
        try await LauncherThread.shared.run { try process.run() }
        let out = stdout.fileHandleForReading, err = stderr.fileHandleForReading
        let continuation = messageContinuation
        Thread.detachNewThread {
            WorkerProcess.readLines(out) { line in
                if let message = WorkerMessage(line: line) { continuation.yield(message) }
            }
            continuation.finish()
        }
        Thread.detachNewThread { [weak self] in
            WorkerProcess.readChunks(err) { self?.appendStderr($0) }
        }
    }

    var processIdentifier: Int32 { process.processIdentifier }

    /// Waits for the process to end.
    func exit() async -> WorkerExit {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let exitStatus {
                lock.unlock()
                continuation.resume(returning: exitStatus)
            } else {
                exitWaiters.append(continuation)
                lock.unlock()
            }
        }
    }

    /// Sends `signal` unless the process already ended (so a reused pid is never hit).
    func send(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard exitStatus == nil, process.isRunning else { return }
        kill(process.processIdentifier, signal)
    }

    /// The end of the worker's standard error, for the server log.
    var standardErrorTail: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: stderrTail, as: UTF8.self)
    }

    private func recordExit(_ exit: WorkerExit) {
        lock.lock()
        exitStatus = exit
        let waiters = exitWaiters
        exitWaiters = []
        lock.unlock()
        for waiter in waiters { waiter.resume(returning: exit) }
    }

    private func appendStderr(_ chunk: [UInt8]) {
        lock.lock()
        stderrTail.append(contentsOf: chunk)
        if stderrTail.count > Self.stderrLimit { stderrTail.removeFirst(stderrTail.count - Self.stderrLimit) }
        lock.unlock()
    }

    /// Blocking reads of `handle` until end of file, in chunks.
    private static func readChunks(_ handle: FileHandle, _ body: ([UInt8]) -> Void) {
        let fd = handle.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            body(Array(buffer[0..<n]))
        }
        try? handle.close()
    }

    /// Blocking reads of `handle`, split into lines (at most 1 MiB each;
    /// longer lines are dropped).
    private static func readLines(_ handle: FileHandle, _ body: (String) -> Void) {
        var pending: [UInt8] = []
        var overlong = false
        readChunks(handle) { chunk in
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: 0x0A) {
                if !overlong { pending.append(contentsOf: chunk[start..<newline]); body(String(decoding: pending, as: UTF8.self)) }
                pending.removeAll(keepingCapacity: true)
                overlong = false
                start = newline + 1
            }
            pending.append(contentsOf: chunk[start...])
            if pending.count > 1 << 20 { pending.removeAll(); overlong = true }
        }
        if !pending.isEmpty, !overlong { body(String(decoding: pending, as: UTF8.self)) }
    }
}
