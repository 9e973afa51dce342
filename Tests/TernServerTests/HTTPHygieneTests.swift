import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TernRegistry
@testable import TernServer

/// HTTP details a client relies on: 405 with `Allow` for a wrong method,
/// the `Bearer` scheme in any case, and headers that stop sniffing and caching.
@Suite struct HTTPHygieneTests {
    @Test func aWrongMethodIs405WithAllow() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let deleted = try await client.send(.delete, "/api/v1/deployments", key: fixture.adminKey)
            #expect(deleted.status == .methodNotAllowed, "\(deleted.text)")
            #expect(deleted.headers[.allow] == "GET, POST")
            #expect(deleted.error.contains("allowed: GET, POST"), "\(deleted.text)")
            let infer = try await client.send(.get, "/v2/models/mnist/versions/1/infer", key: fixture.adminKey)
            #expect(infer.status == .methodNotAllowed)
            #expect(infer.headers[.allow] == "POST")
            let put = try await client.send(.put, "/v2/health/ready", key: "")
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "GET")
            // An unknown path is still a 404.
            let unknown = try await client.send(.get, "/api/v1/nothing/here", key: fixture.adminKey)
            #expect(unknown.status == .notFound && unknown.headers[.allow] == nil)
        }
    }

    /// Inference reads JSON sent as JSON, with no type or with curl's
    /// default form type; a declared other type is a 415.
    @Test func inferenceBodiesMustBeJSON() async throws {
        let fixture = try await Fixture.make()
        let body = v2Body(shape: [1, 784], data: list(try pixels(1).scalars))
        try await fixture.test { client in
            for (type, expected) in [("application/json", HTTPResponse.Status.ok), ("application/json; charset=utf-8", .ok),
                                     ("application/x-www-form-urlencoded", .ok), ("text/plain", .unsupportedMediaType),
                                     ("application/xml", .unsupportedMediaType)] {
                let reply = try await client.raw.executeRequest(uri: "/v2/models/mnist/infer", method: .post,
                                                                headers: [.authorization: "Bearer \(fixture.predictKey)", .contentType: type],
                                                                body: ByteBuffer(string: body))
                #expect(reply.status == expected, "\(type)")
            }
        }
    }

    @Test func aFullDiskIs507() {
        let error = APIError.from(RegistryError.insufficientStorage("the artifact"))
        #expect(error.status.code == 507)
        #expect(error.message == "no space left to store the artifact")
    }

    @Test func theBearerSchemeIsCaseInsensitive() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
                let reply = try await client.raw.executeRequest(uri: "/api/v1/models", method: .get,
                                                                headers: [.authorization: "\(scheme) \(fixture.readKey)"], body: nil)
                #expect(reply.status == .ok, "\(scheme)")
            }
            let wrong = try await client.raw.executeRequest(uri: "/api/v1/models", method: .get,
                                                            headers: [.authorization: "Basic \(fixture.readKey)"], body: nil)
            #expect(wrong.status == .unauthorized)
            #expect(AuthMiddleware.credentials("bearer  key-1 ").trimmingCharacters(in: .whitespaces) == "key-1")
            #expect(AuthMiddleware.credentials("key-2") == "key-2")
        }
    }

    @Test func answersAreNeitherSniffedNorCached() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let created = try await client.post("/api/v1/keys", #"{"name": "ci", "scope": "read"}"#, key: fixture.adminKey)
            #expect(created.status == .created, "\(created.text)")
            let refused = try await client.send(.get, "/api/v1/models", key: "")
            let health = try await client.send(.get, "/v2/health/live", key: "")
            for reply in [created, refused, health] {
                #expect(reply.headers[.xContentTypeOptions] == "nosniff")
                #expect(reply.headers[.cacheControl] == "no-store")
            }
        }
    }
}
