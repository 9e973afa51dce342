import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TernRegistry
import TernServing
@testable import TernServer

/// Which key a request of the audit presents.
enum AuditKey: String, Sendable {
    case none, garbage, forged, read, predict, deploy, admin

    /// The text sent as `Authorization: Bearer <text>` (nil: no header).
    func text(_ fixture: Fixture) -> String? {
        switch self {
        case .none: return nil
        case .garbage: return "garbage"
        case .forged: return "tern_000000000000_" + String(repeating: "0", count: 48)
        case .read: return fixture.readKey
        case .predict: return fixture.predictKey
        case .deploy: return fixture.deployKey
        case .admin: return fixture.adminKey
        }
    }
}

/// One request the server must refuse: what is sent, and the status and
/// error fragment expected back.
struct RefusedRequest: Sendable, CustomTestStringConvertible {
    let method: HTTPRequest.Method
    let path: String
    var body: String?
    var contentType: String?
    var key: AuditKey
    let status: HTTPResponse.Status
    var fragment: String

    init(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, contentType: String? = nil, key: AuditKey,
         _ status: HTTPResponse.Status, _ fragment: String = "") {
        self.method = method
        self.path = path
        self.body = body
        self.contentType = contentType
        self.key = key
        self.status = status
        self.fragment = fragment
    }

    var testDescription: String { "\(method) \(path.prefix(80)) [\(key.rawValue)] → \(status.code)" }
}

/// Everything a refused request must leave alone: registry rows, jobs,
/// blobs on disk and the loaded deployments.
struct ServerSnapshot: Equatable {
    var registry: RegistrySnapshot
    var jobs: [JobRecord]
    var deployments: [String]
}

extension Fixture {
    /// The audit's fixture: ``Fixture/make(loaded:runtime:configure:)`` with
    /// a 16 KiB JSON limit (so oversized bodies are cheap to send) and an IDX
    /// dataset `digits` for the job routes.
    static func audit() async throws -> Fixture {
        let fixture = try await Fixture.make(loaded: [1, 2]) { $0.maxJSONBodyBytes = 16 << 10 }
        let sha = try fixture.services.artifacts.put(Array("not really idx".utf8))
        _ = try await fixture.store.createDataset(name: "digits", kind: .idx, rows: 100, schema: "{}",
                                                  files: ["images": sha, "labels": sha], sha256: sha, createdBy: nil)
        return fixture
    }

    /// The whole observable state of the server.
    func snapshot() async throws -> ServerSnapshot {
        let store = services.store
        var versions: [VersionRecord] = [], aliases: [AliasRecord] = [], history: [AliasEvent] = []
        let models = try await store.models()
        for m in models {
            versions += try await store.versions(model: m.name)
            aliases += try await store.aliases(model: m.name)
            history += try await store.aliasHistory(model: m.name)
        }
        var blobs = Set<String>()
        let root = services.artifacts.root
        for dir in (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [] where dir.count == 2 {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path)) ?? [] {
                blobs.insert(name)
            }
        }
        let registry = RegistrySnapshot(models: models, versions: versions, aliases: aliases, history: history,
                                        datasets: try await store.datasets(), keys: try await store.keys(), blobs: blobs)
        let loaded = await services.runtime.loaded().map { "\($0.model)@\($0.version)" }.sorted()
        return ServerSnapshot(registry: registry, jobs: try await store.jobs(), deployments: loaded)
    }

    /// Sends `request` and checks the acceptance rules for a refusal: the
    /// expected status, a JSON `{"error": ...}` body naming no server path,
    /// an `X-Request-ID` header, nothing changed, and the server still
    /// answering health and registry requests.
    func expectRefused(_ request: RefusedRequest, _ client: Client, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await snapshot()
        let response = try await call(client.raw, request.method, request.path, key: request.key.text(self),
                                      body: request.body.map { Array($0.utf8) },
                                      contentType: request.contentType ?? (request.body == nil ? nil : "application/json"))
        let what = request.testDescription
        #expect(response.status == request.status, "\(what): \(String(buffer: response.body).prefix(300))", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", "\(what)", sourceLocation: sourceLocation)
        #expect(!response.error.isEmpty, "\(what): no JSON error in \(String(buffer: response.body).prefix(300))", sourceLocation: sourceLocation)
        #expect(response.json.count == 1, "\(what): the error body holds only 'error'", sourceLocation: sourceLocation)
        if !request.fragment.isEmpty {
            #expect(response.error.contains(request.fragment), "\(what): \(response.error)", sourceLocation: sourceLocation)
        }
        #expect(!response.error.contains(directory.path), "\(what) leaks a path: \(response.error)", sourceLocation: sourceLocation)
        #expect(response.headers[RequestIDMiddleware.header]?.isEmpty == false, "\(what): no X-Request-ID", sourceLocation: sourceLocation)
        #expect(try await snapshot() == before, "\(what) changed the store", sourceLocation: sourceLocation)
        #expect(try await call(client.raw, .get, "/v2/health/live", key: nil).status == .ok, "\(what)", sourceLocation: sourceLocation)
        #expect(try await call(client.raw, .get, "/api/v1/models", key: readKey).status == .ok, "\(what)", sourceLocation: sourceLocation)
    }

    /// Runs every request of `requests` through ``expectRefused(_:_:sourceLocation:)`` on one server.
    func expectAllRefused(_ requests: [RefusedRequest], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await test { client in
            for request in requests {
                try await self.expectRefused(request, client, sourceLocation: sourceLocation)
            }
        }
    }
}

/// A JSON text of `count` bytes or more: an object with one long string.
func oversizedJSON(_ count: Int) -> String {
    "{\"description\": \"" + String(repeating: "x", count: count) + "\"}"
}
