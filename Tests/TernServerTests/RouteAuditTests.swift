import Foundation
import HTTPTypes
import Hummingbird
import Testing
import TernRegistry
@testable import TernServer

/// The route audit: every route refuses bad keys, and unknown routes and
/// methods, with the right 4xx and a JSON error, leaving the store as it
/// was and the server serving. (Per-route bad bodies and names are in
/// ``RouteAuditInputTests``.)
@Suite struct RouteAuditTests {
    @Test func everyRouteIsAudited() async throws {
        let fixture = try await Fixture.audit()
        defer { try? FileManager.default.removeItem(at: fixture.directory) }
        let registered = Set(buildRouter(fixture.services).routes.map { "\($0.method) \($0.path)" })
        let audited = AuditRoutes.all.map(\.description)
        #expect(Set(audited).count == audited.count, "a route is listed twice")
        #expect(Set(audited) == registered, "not audited: \(registered.subtracting(audited).sorted()); gone: \(Set(audited).subtracting(registered).sorted())")
    }

    @Test(arguments: [AuditKey.garbage, .forged])
    func anInvalidKeyIs401OnEveryRoute(key: AuditKey) async throws {
        let fixture = try await Fixture.audit()
        try await fixture.expectAllRefused(AuditRoutes.all.map { route in
            RefusedRequest(route.method, route.example, body: route.body, contentType: route.contentType, key: key,
                           .unauthorized, "invalid or revoked API key")
        })
    }

    @Test func noKeyIs401OnEveryRouteThatNeedsOne() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.expectAllRefused(AuditRoutes.all.filter { $0.scope != nil }.map { route in
            RefusedRequest(route.method, route.example, body: route.body, contentType: route.contentType, key: .none,
                           .unauthorized, "needs an API key")
        })
    }

    @Test func aTooNarrowKeyIs403OnEveryRoute() async throws {
        let fixture = try await Fixture.audit()
        let requests = AuditRoutes.all.compactMap { route -> RefusedRequest? in
            guard let scope = route.scope, let key = AuditRoutes.tooNarrow(for: scope) else { return nil }
            return RefusedRequest(route.method, route.example, body: route.body, contentType: route.contentType, key: key,
                                  .forbidden, "this route needs '\(scope.rawValue)'")
        }
        #expect(requests.count > 30)
        try await fixture.expectAllRefused(requests)
    }

    /// Unknown paths are a JSON 404; known paths with another method a JSON
    /// 405 with `Allow` (RFC 9110).
    @Test(arguments: [
        RefusedRequest(.get, "/nope", key: .none, .notFound, "no route for GET /nope"),
        RefusedRequest(.get, "/", key: .none, .notFound, "no route"),
        RefusedRequest(.get, "/api/v1/nope", key: .read, .notFound, "no route"),
        RefusedRequest(.get, "/api/v2/models", key: .read, .notFound, "no route"),
        RefusedRequest(.get, "/api/v1/models/mnist/versions/1/artifact/extra", key: .read, .notFound, "no route"),
        RefusedRequest(.get, "/api/v1/jobs/a/b/c", key: .read, .notFound, "no route"),
        RefusedRequest(.post, "/v2/models/mnist/predict", body: "{}", key: .predict, .notFound, "no route"),
        RefusedRequest(.put, "/api/v1/models", body: #"{"name": "x"}"#, key: .deploy, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.delete, "/api/v1/models", key: .admin, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.patch, "/api/v1/deployments", body: "{}", key: .deploy, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.delete, "/api/v1/jobs/job-0000000000000000", key: .deploy, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.put, "/api/v1/keys/0123456789ab", body: "{}", key: .admin, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.post, "/metrics", body: "{}", key: .none, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.delete, "/openapi.json", key: .none, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.get, "/v2/models/mnist/infer", key: .predict, .methodNotAllowed, "is not allowed"),
        RefusedRequest(.options, "/api/v1/models", key: .read, .methodNotAllowed, "is not allowed"),
    ])
    func unknownRoutesAre404AndWrongMethods405(request: RefusedRequest) async throws {
        let fixture = try await Fixture.audit()
        try await fixture.expectAllRefused([request])
    }

    /// An invalid key is refused even where the route does not exist.
    @Test func anInvalidKeyOnAnUnknownRouteIs401() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.expectAllRefused([
            RefusedRequest(.get, "/nope", key: .garbage, .unauthorized, "invalid or revoked"),
            RefusedRequest(.delete, "/api/v1/models", key: .forged, .unauthorized, "invalid or revoked"),
        ])
    }

    /// A stored artifact that fails its checksum is never served nor loaded:
    /// 409 with a message naming no path, and the store is left as it was.
    @Test func aCorruptStoredArtifactIsRefusedWithoutPaths() async throws {
        let fixture = try await Fixture.audit()
        let record = try await fixture.store.version(model: "mnist", version: 3)
        let file = try fixture.services.artifacts.path(for: record.artifactSHA256)
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: file)
        try await fixture.expectAllRefused([
            RefusedRequest(.get, "/api/v1/models/mnist/versions/3/artifact", key: .read, .conflict, "corrupt (checksum mismatch)"),
            RefusedRequest(.post, "/api/v1/deployments", body: #"{"model": "mnist", "version": 3}"#, key: .deploy, .conflict, "corrupt"),
        ])
    }
}
