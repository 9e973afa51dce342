import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import TernServer

/// Inference resolves aliases through a cache; moving or deleting an alias
/// through the API takes effect on the very next request.
@Suite struct AliasResolutionTests {
    @Test func movingAnAliasRedirectsTheNextRequest() async throws {
        let fixture = try await Fixture.make(loaded: [1, 2])
        let app = Application(router: buildRouter(fixture.services))
        let body = v2Body(shape: [1, 28, 28], data: list(try pixels(1).scalars))
        try await app.test(.router) { client in
            func servedVersion(_ path: String) async throws -> String? {
                let r = try await call(client, .post, path, key: fixture.predictKey, json: body)
                return r.json["model_version"] as? String
            }
            // production → 1 (fixture), cached by the first request.
            #expect(try await servedVersion("/v2/models/mnist/infer") == "1")
            #expect(try await servedVersion("/v2/models/mnist/versions/production/infer") == "1")
            let moved = try await call(client, .put, "/api/v1/models/mnist/aliases/production", key: fixture.deployKey, json: #"{"version": 2}"#)
            #expect(moved.status == .ok, "\(moved.error)")
            #expect(try await servedVersion("/v2/models/mnist/infer") == "2")
            #expect(try await servedVersion("/v2/models/mnist/versions/production/infer") == "2")
            // Without the alias, an unversioned request gets the highest loaded version; the alias route 404s.
            let deleted = try await call(client, .delete, "/api/v1/models/mnist/aliases/production", key: fixture.deployKey)
            #expect(deleted.status.code < 300, "\(deleted.error)")
            #expect(try await servedVersion("/v2/models/mnist/infer") == "2")
            let gone = try await call(client, .post, "/v2/models/mnist/versions/production/infer", key: fixture.predictKey, json: body)
            #expect(gone.status == .notFound)
        }
    }
}
