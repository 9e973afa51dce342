import Foundation
import Testing
import TernTesting

/// Connection limits on a real server: a body declared larger than
/// `--max-body-mb` is refused from its head, before any of it is sent; a
/// connection that stays silent is closed after `--idle-timeout`.
@Suite struct ConnectionLimitsLiveTests {
    /// A head trickled a byte at a time (so the connection is never idle)
    /// and a body that stops half-way are cut off by their deadlines; a
    /// whole request on the same kind of connection is answered.
    @Test func slowHeadsAndBodiesAreCutOff() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-slow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = LiveServer(dataDirectory: work, adminKey: makeKeyText())
        try await server.start(extra: ["--request-head-timeout", "1", "--request-body-timeout", "1"])
        defer { server.stop() }

        let slowHead = try RawConnection(port: server.port)
        let trickle = Task.detached {
            for byte in Array("GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
                guard (try? slowHead.write([byte])) != nil else { return }
                try? await Task.sleep(for: .milliseconds(150))
            }
        }
        var start = ContinuousClock.now
        let head = slowHead.readResponse(timeout: .seconds(10))
        var waited = ContinuousClock.now - start
        trickle.cancel()
        #expect(head.status == nil)
        #expect(waited >= .milliseconds(800) && waited < .seconds(4), "slow head closed after \(waited)")

        let slowBody = try RawConnection(port: server.port)
        try slowBody.write(RawConnection.head("POST", "/api/v1/models", key: server.adminKey, contentType: "application/json", length: 100))
        try slowBody.write(Array("{\"name\":".utf8))
        start = ContinuousClock.now
        let body = slowBody.readResponse(timeout: .seconds(10))
        waited = ContinuousClock.now - start
        #expect(body.status == nil || body.status == 408 || body.status == 400, "\(String(describing: body.status))")
        #expect(waited < .seconds(4), "slow body closed after \(waited)")

        let whole = try RawConnection(port: server.port)
        try whole.write(Array("GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(whole.readResponse(timeout: .seconds(5)).status == 200)
    }

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
