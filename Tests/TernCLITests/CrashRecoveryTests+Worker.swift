import Foundation
import Testing

/// A worker whose parent is killed must not live on, even when nothing
/// reads its output (so no SIGPIPE would end it).
extension CrashRecoveryTests {
    /// `tern worker` arguments for a long MNIST job writing into `work`.
    func longWorkerArguments(parentPID: String) throws -> [String] {
        var spec = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: mlp)) as? [String: Any])
        var fit = spec["fit"] as? [String: Any] ?? [:]
        fit["epochs"] = 200
        spec["fit"] = fit
        let specFile = work.appendingPathComponent("long.json")
        try JSONSerialization.data(withJSONObject: spec).write(to: specFile)
        return ["worker", "--spec", specFile.path,
                "--images", mnist.appendingPathComponent("t10k-images-idx3-ubyte.gz").path,
                "--labels", mnist.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path,
                "--train", "0:8000", "--output", work.appendingPathComponent("long.tern").path, "--parent-pid", parentPID]
    }

    @Test func workerDiesWhenItsParentIsKilled() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let binary = try #require(CLI.binary)
        let progress = work.appendingPathComponent("progress.jsonl")
        let worker = ([binary.path] + (try longWorkerArguments(parentPID: "$$"))).map { "'\($0)'" }.joined(separator: " ")
            .replacingOccurrences(of: "'$$'", with: "$$")
        // The shell starts the worker with its output in a file, then idles
        // (as `sleep`, so the worker is its only child).
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "\(worker) > '\(progress.path)' 2>&1 & exec sleep 60"]
        try shell.run()
        var killed = false
        defer { if !killed { kill(shell.processIdentifier, SIGKILL) } }

        var workers: [Int32] = []
        for _ in 0..<200 {
            workers = ProcessTable.workers(of: shell.processIdentifier)
            if !workers.isEmpty, (try? String(contentsOf: progress, encoding: .utf8))?.contains("\n") == true { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        try #require(workers.count == 1, "\((try? String(contentsOf: progress, encoding: .utf8)) ?? "")")

        // Not waitUntilExit: Foundation would wait for the worker too.
        kill(shell.processIdentifier, SIGKILL)
        killed = true
        let deadline = ContinuousClock.now + .seconds(2)
        while workers.contains(where: ProcessTable.isAlive), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!workers.contains(where: ProcessTable.isAlive), "the worker outlived its parent")
        for pid in workers where ProcessTable.isAlive(pid) { kill(pid, SIGKILL) }
    }

    @Test func workerWhoseParentIsAlreadyGoneExitsAtOnce() async throws {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let started = ContinuousClock.now
        // The test process is the worker's parent; name another pid.
        let result = try CLI.run(try longWorkerArguments(parentPID: String(getpid() == 1 ? 2 : 1)))
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty, "it trained: \(result.stdout.prefix(200))")
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
