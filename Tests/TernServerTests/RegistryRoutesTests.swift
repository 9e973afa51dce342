import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TernRegistry
@testable import TernServer

/// Models, authentication, scopes and name validation of the registry API.
@Suite struct RegistryRoutesTests {
    @Test func createListGetUpdateDeleteModel() async throws {
        try await RegistryHarness.run { client, h async throws in
            let created = try await call(client, .post, "/api/v1/models", key: h.deploy,
                                         json: #"{"name": "mnist", "description": "digits", "tags": {"team": "vision"}}"#)
            #expect(created.status == .created)
            #expect(created.headers[.contentType] == "application/json")
            #expect(created.headers[.location] == "/api/v1/models/mnist")
            #expect(created.json["name"] as? String == "mnist")
            #expect(created.json["description"] as? String == "digits")
            #expect(created.json["tags"] as? [String: String] == ["team": "vision"])
            #expect(created.json["latest_version"] is NSNull)
            #expect((created.json["aliases"] as? [String: Any])?.isEmpty == true)
            let createdAt = try #require(created.json["created_at"] as? String)
            #expect(try Date(createdAt, strategy: .iso8601) <= Date())
            #expect(created.json["updated_at"] is String)

            let list = try await call(client, .get, "/api/v1/models", key: h.read)
            #expect(list.status == .ok)
            let models = try #require(list.json["models"] as? [[String: Any]])
            #expect(models.map { $0["name"] as? String } == ["mnist"])

            let detail = try await call(client, .get, "/api/v1/models/mnist", key: h.read)
            #expect(detail.status == .ok)
            #expect((detail.json["versions"] as? [Any])?.isEmpty == true)

            let patched = try await call(client, .patch, "/api/v1/models/mnist", key: h.deploy, json: #"{"description": "handwritten digits"}"#)
            #expect(patched.status == .ok)
            #expect(patched.json["description"] as? String == "handwritten digits")
            #expect(patched.json["tags"] as? [String: String] == ["team": "vision"], "tags untouched when absent")
            let retagged = try await call(client, .patch, "/api/v1/models/mnist", key: h.deploy, json: #"{"tags": {}}"#)
            #expect(retagged.json["tags"] as? [String: String] == [:])

            let deleted = try await call(client, .delete, "/api/v1/models/mnist", key: h.deploy)
            #expect(deleted.status == .noContent)
            #expect(try await call(client, .get, "/api/v1/models/mnist", key: h.read).status == .notFound)
            #expect(try await h.store.models().isEmpty)
        }
    }

    @Test func duplicateModelIs409() async throws {
        try await RegistryHarness.run { client, h async throws in
            #expect(try await call(client, .post, "/api/v1/models", key: h.deploy, json: #"{"name": "m"}"#).status == .created)
            let before = try await h.snapshot()
            let again = try await call(client, .post, "/api/v1/models", key: h.deploy, json: #"{"name": "m", "description": "x"}"#)
            #expect(again.status == .conflict)
            #expect(again.error.contains("already exists"))
            #expect(try await h.snapshot() == before)
        }
    }

    /// Every malformed body is a 400 naming the problem, and changes nothing.
    @Test(arguments: [
        (#"{"name": "m""#, "not valid JSON"),
        ("not json", "not valid JSON"),
        (#"["m"]"#, "must be a JSON object"),
        ("42", "must be a JSON object"),
        (#"{"name": 5}"#, "'name' should be a string"),
        (#"{"description": "no name"}"#, "missing 'name'"),
        (#"{"name": null}"#, "'name'"),
        (#"{"name": "m", "tags": ["a"]}"#, "'tags' should be an object"),
        (#"{"name": "m", "tags": {"a": 1}}"#, "'tags.a' should be a string"),
        (#"{"name": "m", "owner": "me"}"#, "unknown field 'owner'"),
        (#"{"name": "../etc"}"#, "invalid name"),
        (#"{"name": ""}"#, "invalid name"),
        ("", "must be a JSON object"),
    ])
    func badCreateBodiesAre400(body: String, message: String) async throws {
        try await RegistryHarness.run { client, h async throws in
            let before = try await h.snapshot()
            let response = try await call(client, .post, "/api/v1/models", key: h.deploy, json: body)
            #expect(response.status == .badRequest)
            #expect(response.error.contains(message), "\(response.error)")
            #expect(try await h.snapshot() == before)
            #expect(try await call(client, .get, "/api/v1/models", key: h.read).status == .ok)
        }
    }

    @Test func badPatchBodiesAre400() async throws {
        try await RegistryHarness.run { client, h async throws in
            _ = try await call(client, .post, "/api/v1/models", key: h.deploy, json: #"{"name": "m", "description": "d"}"#)
            let before = try await h.snapshot()
            for (body, message) in [(#"{"description": 3}"#, "'description' should be a string"),
                                    (#"{"name": "other"}"#, "unknown field 'name'"),
                                    ("[]", "must be a JSON object")] {
                let response = try await call(client, .patch, "/api/v1/models/m", key: h.deploy, json: body)
                #expect(response.status == .badRequest)
                #expect(response.error.contains(message), "\(response.error)")
            }
            let wrongType = try await call(client, .post, "/api/v1/models", key: h.deploy, body: Array(#"{"name":"x"}"#.utf8), contentType: "text/plain")
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(try await h.snapshot() == before)
        }
    }

    @Test func unknownModelIs404() async throws {
        try await RegistryHarness.run { client, h async throws in
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/models/nope"), (.delete, "/api/v1/models/nope"),
                                  (.get, "/api/v1/models/nope/versions"), (.get, "/api/v1/models/nope/aliases"),
                                  (.get, "/api/v1/models/nope/versions/1"), (.get, "/api/v1/models/nope/versions/1/artifact")] {
                let response = try await call(client, method, uri, key: h.deploy)
                #expect(response.status == .notFound, "\(method) \(uri)")
                #expect(response.error.contains("not found"))
            }
            let patch = try await call(client, .patch, "/api/v1/models/nope", key: h.deploy, json: #"{"description": "x"}"#)
            #expect(patch.status == .notFound)
        }
    }

    /// Path-like names are refused before reaching the store, raw or percent-encoded.
    @Test(arguments: ["..", "%2e%2e", "..%2fetc", "%2E%2E%2Fx", ".hidden", "a%20b", "a%00", "-x",
                      String(repeating: "a", count: 65)])
    func pathLikeNamesAre400(name: String) async throws {
        try await RegistryHarness.run { client, h async throws in
            let before = try await h.snapshot()
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/models/\(name)"), (.delete, "/api/v1/models/\(name)"),
                                  (.get, "/api/v1/models/\(name)/versions"), (.get, "/api/v1/datasets/\(name)"),
                                  (.delete, "/api/v1/datasets/\(name)/versions/1")] {
                let response = try await call(client, method, uri, key: h.deploy)
                #expect(response.status == .badRequest, "\(method) \(uri)")
                #expect(response.error.contains("invalid name"))
            }
            #expect(try await h.snapshot() == before)
        }
    }

    @Test func missingOrInvalidKeyIs401() async throws {
        try await RegistryHarness.run { client, h async throws in
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/models"), (.post, "/api/v1/models"), (.get, "/api/v1/keys"),
                                  (.get, "/api/v1/datasets"), (.delete, "/api/v1/models/m")] {
                #expect(try await call(client, method, uri, key: nil).status == .unauthorized, "\(method) \(uri)")
            }
            let forged = "tern_000000000000_" + String(repeating: "0", count: 48)
            #expect(try await call(client, .get, "/api/v1/models", key: forged).status == .unauthorized)
            #expect(try await call(client, .get, "/api/v1/models", key: "garbage").status == .unauthorized)
        }
    }

    @Test func narrowScopeIs403() async throws {
        try await RegistryHarness.run { client, h async throws in
            let before = try await h.snapshot()
            for key in [h.read, h.predict] {
                let response = try await call(client, .post, "/api/v1/models", key: key, json: #"{"name": "m"}"#)
                #expect(response.status == .forbidden)
                #expect(response.error.contains("deploy"))
            }
            #expect(try await call(client, .get, "/api/v1/models", key: h.predict).status == .ok, "predict includes read")
            #expect(try await call(client, .get, "/api/v1/keys", key: h.deploy).status == .forbidden)
            #expect(try await call(client, .delete, "/api/v1/models/m", key: h.read).status == .forbidden)
            #expect(try await h.snapshot() == before)
        }
    }

    @Test func deletingAModelWithALoadedVersionNeedsForce() async throws {
        try await RegistryHarness.run(loaded: [LoadedVersion(model: "m", version: 1)]) { client, h async throws in
            _ = try await call(client, .post, "/api/v1/models", key: h.deploy, json: #"{"name": "m"}"#)
            let upload = try await call(client, .post, "/api/v1/models/m/versions", key: h.deploy,
                                        body: try Fixtures.artifact(), contentType: "application/octet-stream")
            #expect(upload.status == .created)
            let before = try await h.snapshot()
            let refused = try await call(client, .delete, "/api/v1/models/m", key: h.deploy)
            #expect(refused.status == .conflict)
            #expect(refused.error.contains("force"))
            #expect(try await call(client, .delete, "/api/v1/models/m?force=maybe", key: h.deploy).status == .badRequest)
            #expect(try await call(client, .delete, "/api/v1/models/m?forced=true", key: h.deploy).status == .badRequest)
            #expect(try await h.snapshot() == before)
            #expect(try await call(client, .delete, "/api/v1/models/m/versions/1", key: h.deploy).status == .conflict)

            #expect(try await call(client, .delete, "/api/v1/models/m?force=true", key: h.deploy).status == .noContent)
            #expect(try await h.store.models().isEmpty)
            #expect(h.blobs().isEmpty, "the artifact went with its last version")
        }
    }
}
