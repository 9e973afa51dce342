import Foundation
import Testing

/// Stopping and starting on purpose: SIGTERM finishes what is in flight,
/// and an open address needs an admin key.
extension CrashRecoveryTests {
    @Test func sigtermLetsAnInFlightUploadFinishThenExitsZero() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try makeServer()
        try await server.start()
        defer { server.stop() }
        _ = try await server.json("POST", "/api/v1/models", ["name": "g"])
        let bytes = try artifact()
        let half = bytes.count / 2
        let connection = try beginUpload(server, model: "g", bytes, sending: half)
        try await Task.sleep(for: .milliseconds(100))
        server.send(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        try connection.write(bytes[half...])
        let response = connection.readResponse(timeout: .seconds(5))
        #expect(response.status == 201, "\(String(decoding: response.body, as: UTF8.self))")
        let exit = await server.waitForExit(within: .seconds(5))
        #expect(exit?.reason == .exit && exit?.status == 0, "ended: \(String(describing: exit))")

        try await server.start()
        let (status, downloaded) = try await server.get("/api/v1/models/g/versions/1/artifact")
        #expect(status == 200 && [UInt8](downloaded) == bytes)
        try await RecoveryChecks.expectConsistent(server)
    }

    @Test func refusesAnOpenAddressWithoutAnAdminKey() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try makeServer("open")
        let binary = try #require(CLI.binary)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "0.0.0.0", "--port", String(Int.random(in: 20_000...40_000)),
                             "--data-dir", server.dataDirectory.path]
        var environment = ProcessInfo.processInfo.environment
        for name in ["TERN_ADMIN_KEY", "TERN_HOST", "TERN_PORT", "TERN_HOME"] { environment[name] = nil }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("the server started on 0.0.0.0 without an admin key")
            return
        }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(process.terminationStatus != 0)
        #expect(lines.count == 1 && stderr.contains("admin key"), "stderr: \(stderr)")

        try await server.start(extra: ["--host", "0.0.0.0"])
        defer { server.stop() }
        let (status, _) = try await server.get("/v2/health/live")
        #expect(status == 200)
    }
}
