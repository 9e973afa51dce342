import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import TernServer

/// `/metrics` in the Prometheus text format, and request ids in responses
/// and log lines.
@Suite struct ObservabilityTests {
    /// The samples of `metric` in a Prometheus text exposition, as label maps.
    static func samples(_ text: String, _ metric: String) -> [[String: String]] {
        text.split(separator: "\n").compactMap { line -> [String: String]? in
            guard line.hasPrefix(metric + "{"), let close = line.lastIndex(of: "}") else { return nil }
            let inner = line[line.index(line.startIndex, offsetBy: metric.count + 1)..<close]
            var labels: [String: String] = [:]
            for pair in inner.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return labels
        }
    }

    /// The value of the sample written exactly as `series` (name and labels).
    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    @Test func metricsCountRequestsByRouteStatusAndModel() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.test { client in
            #expect(try await call(client.raw, .post, "/v2/models/mnist/infer", key: fixture.predictKey, json: AuditRoutes.infer).status == .ok)
            #expect(try await call(client.raw, .get, "/nope", key: nil).status == .notFound)
            #expect(try await call(client.raw, .get, "/api/v1/models/mnist", key: fixture.readKey).status == .ok)
            #expect(try await call(client.raw, .post, "/v2/models/made-up-name/infer", key: fixture.predictKey, json: AuditRoutes.infer).status == .notFound)

            let scrape = try await call(client.raw, .get, "/metrics", key: nil)
            #expect(scrape.status == .ok)
            #expect(scrape.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(buffer: scrape.body)
            let requests = Self.samples(text, "tern_http_requests_total")
            #expect(requests.allSatisfy { $0["route"] != nil && $0["status"] != nil && $0["model"] != nil && $0["method"] != nil })
            #expect(requests.contains { $0["route"] == "/v2/models/{model}/infer" && $0["status"] == "200" && $0["model"] == "mnist" },
                    "\(requests)")
            #expect(requests.contains { $0["route"] == "NotFound" && $0["status"] == "404" && $0["model"] == "" }, "\(requests)")
            #expect(requests.contains { $0["route"] == "/api/v1/models/{name}" && $0["status"] == "200" && $0["model"] == "mnist" })
            // Refused requests do not turn caller-chosen names into label values.
            #expect(!text.contains("made-up-name"))
            #expect(requests.contains { $0["route"] == "/v2/models/{model}/infer" && $0["status"] == "404" && $0["model"] == "" })

            #expect(!Self.samples(text, "tern_http_request_duration_seconds_bucket").filter { $0["le"] != nil }.isEmpty)
            #expect(Self.value(text, "tern_loaded_models") == 2, "\(text.prefix(3000))")
            #expect(Self.samples(text, "tern_jobs").contains { $0["state"] == "queued" })
            #expect(Self.value(text, "tern_jobs{state=\"queued\"}") == 0)
            #expect((Self.value(text, "tern_artifact_store_bytes") ?? 0) > 0)
        }
    }

    /// `/metrics` is open (Prometheus scrapers send no key), but like every
    /// route it refuses a key that does not verify.
    @Test func metricsAreOpenToScrapers() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.test { client async throws in
            #expect(try await call(client.raw, .get, "/metrics", key: nil).status == .ok)
            #expect(try await call(client.raw, .get, "/metrics", key: fixture.readKey).status == .ok)
            #expect(try await call(client.raw, .get, "/metrics", key: "garbage").status == .unauthorized)
        }
    }

    @Test func everyResponseCarriesARequestID() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.test { client in
            var ids: Set<String> = []
            for (uri, key, status) in [("/v2/health/live", nil, HTTPResponse.Status.ok), ("/nope", nil, .notFound),
                                       ("/api/v1/models", "garbage", .unauthorized), ("/api/v1/keys", fixture.readKey, .forbidden),
                                       ("/api/v1/models", fixture.readKey, .ok), ("/metrics", nil, .ok)] {
                let response = try await call(client.raw, .get, uri, key: key)
                #expect(response.status == status)
                let id = try #require(response.headers[RequestIDMiddleware.header], "\(uri)")
                #expect(RequestIDMiddleware.isValid(id))
                ids.insert(id)
            }
            #expect(ids.count == 6, "request ids are unique")
        }
    }

    @Test func aSaneIncomingRequestIDIsKeptAndOthersReplaced() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.test { client in
            func send(_ id: String) async throws -> String? {
                let response = try await client.raw.executeRequest(uri: "/v2/health/live", method: .get,
                                                                   headers: [RequestIDMiddleware.header: id], body: nil)
                return response.headers[RequestIDMiddleware.header]
            }
            #expect(try await send("trace-42.a_B") == "trace-42.a_B")
            for hostile in ["a b", "x\"y", String(repeating: "a", count: 129), "é"] {
                let answered = try #require(try await send(hostile))
                #expect(answered != hostile)
                #expect(RequestIDMiddleware.isValid(answered))
            }
        }
    }

    /// Log lines written while serving a request carry its `request_id`,
    /// the same id as the response's `X-Request-ID`.
    @Test func logLinesCarryTheRequestID() async throws {
        let fixture = try await Fixture.audit()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let lines = CapturedLogs()
        let logger = Logger(label: "tern.tests.capture") { _ in CapturingLogHandler(logs: lines) }
        let app = Application(router: buildRouter(fixture.services), logger: logger)
        try await app.test(.router) { client in
            let response = try await call(client, .post, "/api/v1/deployments", key: fixture.deployKey, json: AuditRoutes.deployment)
            #expect(response.status == .created)
            let id = try #require(response.headers[RequestIDMiddleware.header])
            let loaded = try #require(lines.all.first { $0.message == "model loaded" })
            #expect(loaded.metadata["request_id"] == id)
        }
    }
}

/// Log lines kept in memory.
final class CapturedLogs: @unchecked Sendable {
    struct Line: Sendable {
        let message: String
        let metadata: [String: String]
    }
    private let lock = NSLock()
    private var lines: [Line] = []
    var all: [Line] { lock.withLock { lines } }
    func append(_ line: Line) { lock.withLock { lines.append(line) } }
}

/// A log handler writing into ``CapturedLogs``.
struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        logs.append(.init(message: event.message.description, metadata: merged.mapValues(\.description)))
    }
}
