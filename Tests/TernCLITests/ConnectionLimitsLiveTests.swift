import Foundation
import Testing
import TernTesting

/// Connection limits on a real server: a body declared larger than
/// `--max-body-mb` is refused from its head, before any of it is sent; a
/// connection that stays silent is closed after `--idle-timeout`.
@Suite struct ConnectionLimitsLiveTests {
    @Test func silentConnectionsAreClosed() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-idle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = LiveServer(dataDirectory: work, adminKey: makeKeyText())
        try await server.start(extra: ["--idle-timeout", "1"])
        defer { server.stop() }
        let silent = try RawConnection(port: server.port)
        let start = ContinuousClock.now
        let reply = silent.readResponse(timeout: .seconds(10))
        let waited = ContinuousClock.now - start
        #expect(reply.status == nil)
        #expect(waited >= .milliseconds(800) && waited < .seconds(5), "closed after \(waited)")
        let (status, _) = try await server.get("/v2/health/live")
        #expect(status == 200)
    }

    @Test func aHugeDeclaredBodyIsRefusedAtOnce() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-length-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = LiveServer(dataDirectory: work, adminKey: makeKeyText())
        try await server.start()
        defer { server.stop() }
        let connection = try RawConnection(port: server.port)
        try connection.write(RawConnection.head("POST", "/api/v1/models/m/versions", key: server.adminKey,
                                                contentType: "application/octet-stream", length: 10 << 30))
        let start = ContinuousClock.now
        let reply = connection.readResponse(timeout: .seconds(5))
        #expect(reply.status == 413, "\(String(decoding: reply.body, as: UTF8.self))")
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(String(decoding: reply.body, as: UTF8.self).contains("larger than"))
        let (status, _) = try await server.get("/v2/health/live")
        #expect(status == 200)
    }
}
