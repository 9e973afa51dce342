import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TernRegistry
@testable import TernServer

/// API key management of the registry API.
@Suite struct RegistryKeysTests {
    @Test func createListUseAndRevokeAKey() async throws {
        try await RegistryHarness.run { client, h async throws in
            let created = try await call(client, .post, "/api/v1/keys", key: h.admin, json: #"{"name": "ci deploy", "scope": "deploy"}"#)
            #expect(created.status == .created)
            let text = try #require(created.json["key"] as? String)
            let id = try #require(created.json["id"] as? String)
            #expect(APIKeys.id(of: text) == id)
            #expect(created.json["scope"] as? String == "deploy" && created.json["name"] as? String == "ci deploy")
            #expect(created.json["created_at"] is String)

            #expect(try await call(client, .post, "/api/v1/models", key: text, json: #"{"name": "m"}"#).status == .created)

            let list = try await call(client, .get, "/api/v1/keys", key: h.admin)
            let keys = try #require(list.json["keys"] as? [[String: Any]])
            #expect(keys.count == 5)
            #expect(keys.allSatisfy { $0["key"] == nil && $0["hash"] == nil })
            let body = String(buffer: list.body)
            #expect(!body.contains(text) && !body.contains(APIKeys.hash(text)), "no secrets or hashes")

            #expect(try await call(client, .delete, "/api/v1/keys/\(id)", key: h.admin).status == .noContent)
            #expect(try await call(client, .get, "/api/v1/models", key: text).status == .unauthorized)
            let after = try await call(client, .get, "/api/v1/keys", key: h.admin)
            let revoked = (after.json["keys"] as? [[String: Any]])?.first { $0["id"] as? String == id }
            #expect(revoked?["revoked_at"] is String)
        }
    }

    @Test func badKeyRequests() async throws {
        try await RegistryHarness.run { client, h async throws in
            let before = try await h.snapshot()
            for (body, message) in [(#"{"name": "x", "scope": "root"}"#, "'scope' must be one of admin, deploy, predict, read"),
                                    (#"{"name": "x"}"#, "missing 'scope'"),
                                    (#"{"scope": "read"}"#, "missing 'name'"),
                                    (#"{"name": 1, "scope": "read"}"#, "'name' should be a string"),
                                    (#"{"name": "", "scope": "read"}"#, "'name' must be 1-128"),
                                    (#"{"name": "x", "scope": "read", "expires": 3}"#, "unknown field 'expires'"),
                                    ("{", "not valid JSON")] {
                let response = try await call(client, .post, "/api/v1/keys", key: h.admin, json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.error.contains(message), "\(response.error)")
            }
            #expect(try await call(client, .post, "/api/v1/keys", key: h.deploy, json: #"{"name": "x", "scope": "admin"}"#).status == .forbidden)
            #expect(try await call(client, .get, "/api/v1/keys", key: h.read).status == .forbidden)
            #expect(try await call(client, .post, "/api/v1/keys", key: nil, json: #"{"name": "x", "scope": "read"}"#).status == .unauthorized)
            #expect(try await call(client, .delete, "/api/v1/keys/0123456789ab", key: h.admin).status == .notFound)
            #expect(try await call(client, .delete, "/api/v1/keys/..", key: h.admin).status == .badRequest)
            #expect(try await call(client, .delete, "/api/v1/keys/%2e%2e", key: h.admin).status == .badRequest)
            #expect(try await call(client, .delete, "/api/v1/keys/\(APIKeys.id(of: h.read) ?? "")", key: h.deploy).status == .forbidden)
            #expect(try await h.snapshot() == before)
        }
    }
}
