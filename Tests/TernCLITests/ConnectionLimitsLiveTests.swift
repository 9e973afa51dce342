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

        // A client that sends the body anyway is cut off once the 413 is out,
        // instead of the server reading (and dropping) all 10 GB of it.
        let pushy = try RawConnection(port: server.port)
        try pushy.write(RawConnection.head("POST", "/api/v1/models/m/versions", key: server.adminKey,
                                           contentType: "application/octet-stream", length: 10 << 30))
        let chunk = [UInt8](repeating: 0x41, count: 1 << 16)
        let sending = ContinuousClock.now
        var sent = 0
        while ContinuousClock.now - sending < .seconds(10), (try? pushy.write(chunk)) != nil { sent += chunk.count }
        #expect(ContinuousClock.now - sending < .seconds(3), "still accepting the body after \(sent) bytes")
        #expect(sent < 1 << 30, "\(sent) bytes of a refused body were read")
    }

    /// One address holding its connection quota gets 429 on a further one;
    /// another address (a load balancer's probe) is still answered, and the
    /// first gets its quota back when it closes a connection.
    @Test func connectionsPerAddressAreCapped() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-conns-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = LiveServer(dataDirectory: work, adminKey: makeKeyText())
        try await server.start(extra: ["--max-connections-per-ip", "4"])
        defer { server.stop() }
        var held = try (0..<4).map { _ in try RawConnection(port: server.port, source: 2) }
        try await Task.sleep(for: .milliseconds(200))
        let extra = try RawConnection(port: server.port, source: 2)
        try extra.write(Array("GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let refused = extra.readResponse(timeout: .seconds(5))
        #expect(refused.status == 429)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("too many connections"))
        let (status, _) = try await server.get("/v2/health/ready")
        #expect(status == 200)
        held.removeLast()
        try await Task.sleep(for: .milliseconds(200))
        let again = try RawConnection(port: server.port, source: 2)
        try again.write(Array("GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        #expect(again.readResponse(timeout: .seconds(5)).status == 200)
        _ = held
    }

    /// `Expect: 100-continue` gets its interim answer before the body is
    /// sent; a body declared too large gets the final 413 instead.
    @Test func expectContinueIsHonoured() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-expect-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = LiveServer(dataDirectory: work, adminKey: makeKeyText())
        try await server.start(extra: ["--max-body-mb", "1"])
        defer { server.stop() }
        let body = Array(#"{"name":"expected","description":"sent after 100"}"#.utf8)
        var head = RawConnection.head("POST", "/api/v1/models", key: server.adminKey, contentType: "application/json", length: body.count)
        head.insert(contentsOf: Array("Expect: 100-continue\r\n".utf8), at: head.count - 2)
        let connection = try RawConnection(port: server.port)
        try connection.write(head)
        let interim = connection.readAvailable(timeout: .seconds(3))
        #expect(interim.hasPrefix("HTTP/1.1 100"), "\(interim)")
        try connection.write(body)
        #expect(connection.readResponse(timeout: .seconds(5)).status == 201)

        var large = RawConnection.head("POST", "/api/v1/models", key: server.adminKey, contentType: "application/json", length: 2 << 20)
        large.insert(contentsOf: Array("Expect: 100-continue\r\n".utf8), at: large.count - 2)
        let refused = try RawConnection(port: server.port)
        try refused.write(large)
        let reply = refused.readResponse(timeout: .seconds(5))
        #expect(reply.status == 413)
    }

    /// A key with its quota of requests in flight gets 429 with
    /// `Retry-After` on the next; health probes are never counted.
    @Test func requestsInFlightPerKeyAreCapped() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-inflight-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = LiveServer(dataDirectory: work, adminKey: makeKeyText())
        try await server.start(extra: ["--max-in-flight-per-client", "1"])
        defer { server.stop() }
        // A request whose body never finishes stays in flight.
        let slow = try RawConnection(port: server.port)
        try slow.write(RawConnection.head("POST", "/api/v1/models", key: server.adminKey, contentType: "application/json", length: 100))
        try slow.write(Array("{\"name\":".utf8))
        try await Task.sleep(for: .milliseconds(300))
        let (status, data) = try await server.get("/api/v1/models", key: server.adminKey)
        #expect(status == 429, "\(String(decoding: data, as: UTF8.self))")
        #expect(String(decoding: data, as: UTF8.self).contains("in flight"))
        #expect(try await server.get("/v2/health/ready").0 == 200)
        #expect(try await server.get("/v2/health/live").0 == 200)
        _ = slow
    }
}
