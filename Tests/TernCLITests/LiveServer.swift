import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A `tern serve` process on a free loopback port with its own data
/// directory, driven through real sockets.
final class LiveServer: @unchecked Sendable {
    // @unchecked Sendable: `process` is only touched by the test that owns the server.
    let dataDirectory: URL
    let adminKey: String
    private(set) var port = 0
    private(set) var process: Process?
    let log: URL

    var base: String { "http://127.0.0.1:\(port)" }

    init(dataDirectory: URL, adminKey: String) {
        self.dataDirectory = dataDirectory
        self.adminKey = adminKey
        log = dataDirectory.deletingLastPathComponent().appendingPathComponent("\(dataDirectory.lastPathComponent).log")
    }

    /// The server's process id while it runs.
    var processIdentifier: Int32? { process?.processIdentifier }

    /// Starts the server and waits until it answers.
    /// - Parameters:
    ///   - extra: more `tern serve` arguments.
    ///   - environment: variables to set, or to remove (nil), on top of the
    ///     test's environment and the admin key.
    func start(extra: [String] = [], environment: [String: String?] = [:]) async throws {
        let binary = try #require(CLI.binary)
        for attempt in 0..<5 {
            port = Int.random(in: 20_000...40_000)
            let p = Process()
            p.executableURL = binary
            p.arguments = ["serve", "--port", String(port), "--data-dir", dataDirectory.path] + extra
            var env = ProcessInfo.processInfo.environment
            env["TERN_ADMIN_KEY"] = adminKey
            env["TERN_LOG_LEVEL"] = "warning"
            for (name, value) in environment { env[name] = value }
            p.environment = env
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            p.standardOutput = handle
            p.standardError = handle
            try p.run()
            process = p
            for _ in 0..<200 {
                if !p.isRunning { break }
                if let (status, _) = try? await get("/v2/health/live"), status == 200 { return }
                try await Task.sleep(for: .milliseconds(50))
            }
            stop(signal: SIGKILL)
            if attempt == 4 { Issue.record("server did not start: \(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))") }
        }
        throw CLIError("server did not start")
    }

    func stop(signal: Int32 = SIGTERM) {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        process = nil
    }

    /// Sends `signal` without waiting for the server to end.
    func send(_ signal: Int32) {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, signal)
    }

    /// Waits up to `limit` for the server to end: how it ended, or nil if
    /// it still runs.
    func waitForExit(within limit: Duration) async -> (reason: Process.TerminationReason, status: Int32)? {
        guard let p = process else { return nil }
        let deadline = ContinuousClock.now + limit
        while p.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        guard !p.isRunning else { return nil }
        process = nil
        return (p.terminationReason, p.terminationStatus)
    }

    func request(_ method: String, _ path: String, json: Any? = nil, body: Data? = nil, key: String? = nil,
                 contentType: String? = nil) async throws -> (Int, Data) {
        var r = URLRequest(url: URL(string: base + path)!)
        r.httpMethod = method
        r.timeoutInterval = 120
        if let key = key ?? Optional(adminKey), !key.isEmpty { r.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let json {
            r.httpBody = try JSONSerialization.data(withJSONObject: json)
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        } else if let body {
            r.httpBody = body
            r.setValue(contentType ?? "application/octet-stream", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    func get(_ path: String, key: String? = nil) async throws -> (Int, Data) {
        try await request("GET", path, key: key)
    }

    func json(_ method: String, _ path: String, _ body: Any? = nil, key: String? = nil) async throws -> [String: Any] {
        let (status, data) = try await request(method, path, json: body, key: key)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        #expect((200..<300).contains(status), "\(method) \(path) → \(status) \(String(decoding: data, as: UTF8.self))")
        return object
    }

    /// Runs the CLI against this server.
    func cli(_ arguments: [String], key: String? = nil) throws -> CLI.Result {
        try CLI.run(arguments + ["--server", base, "--api-key", key ?? adminKey])
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A fresh admin key in Tern's format (tern_<12 hex>_<48 hex>).
func makeKeyText() -> String {
    func hex(_ n: Int) -> String { (0..<n).map { _ in String(format: "%x", Int.random(in: 0..<16)) }.joined() }
    return "tern_\(hex(12))_\(hex(48))"
}
