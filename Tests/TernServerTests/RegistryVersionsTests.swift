import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TernFormats
import TernRegistry
@testable import TernServer

/// Versions and aliases of the registry API.
@Suite struct RegistryVersionsTests {
    func createModel(_ client: any TestClientProtocol, _ h: RegistryHarness, _ name: String = "mnist") async throws {
        #expect(try await call(client, .post, "/api/v1/models", key: h.deploy, json: #"{"name": "\#(name)"}"#).status == .created)
    }

    @Test func uploadRawArtifactThenReadItBack() async throws {
        try await RegistryHarness.run { client, h async throws in
            try await createModel(client, h)
            let bytes = try Fixtures.artifact(trained: true)
            let model = try TernModel(artifact: bytes)
            let created = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy, body: bytes,
                                         contentType: "application/octet-stream")
            #expect(created.status == .created, "\(created.error)")
            let json = created.json
            #expect(json["model"] as? String == "mnist")
            #expect(json["version"] as? Int == 1)
            #expect(json["size_bytes"] as? Int == bytes.count)
            #expect(json["weights_sha256"] as? String == model.weightsChecksum)
            let sha = try #require(json["artifact_sha256"] as? String)
            #expect(h.blobs() == [sha])
            let spec = try #require(json["spec"] as? [String: Any], "spec is an object, not a string")
            #expect(spec["name"] as? String == "mnist-mlp")
            #expect(json["metrics"] as? [String: Double] == ["accuracy": 0.97, "loss": 0.1])
            let lineage = try #require(json["lineage"] as? [String: Any])
            #expect(lineage["dataset_name"] as? String == "mnist")
            #expect(lineage["dataset_sha256"] as? String == String(repeating: "ab", count: 32))
            let parameters = try #require(lineage["parameters"] as? [String: String])
            #expect(parameters["epochs"] == "5" && parameters["batch_size"] == "32" && parameters["seed"] == "42")
            #expect(json["created_by"] as? String == APIKeys.id(of: h.deploy))
            #expect(json["aliases"] as? [String] == [])

            let fetched = try await call(client, .get, "/api/v1/models/mnist/versions/1", key: h.read)
            #expect(fetched.status == .ok)
            #expect(fetched.json["weights_sha256"] as? String == model.weightsChecksum)
            #expect(fetched.json["artifact_sha256"] as? String == sha)

            let artifact = try await call(client, .get, "/api/v1/models/mnist/versions/1/artifact", key: h.read)
            #expect(artifact.status == .ok)
            #expect(artifact.headers[.contentType] == "application/octet-stream")
            #expect(artifact.bytes == bytes)

            let list = try await call(client, .get, "/api/v1/models/mnist/versions", key: h.read)
            #expect((list.json["versions"] as? [[String: Any]])?.map { $0["version"] as? Int } == [1])
            let detail = try await call(client, .get, "/api/v1/models/mnist", key: h.read)
            #expect(detail.json["latest_version"] as? Int == 1)
            #expect((detail.json["versions"] as? [[String: Any]])?.first?["artifact_sha256"] as? String == sha)
        }
    }

    @Test func uploadMultipartArtifact() async throws {
        try await RegistryHarness.run { client, h async throws in
            try await createModel(client, h)
            let bytes = try Fixtures.artifact(seed: 2)
            let form = multipart([("artifact", bytes)])
            let created = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy, body: form.body,
                                         contentType: form.contentType)
            #expect(created.status == .created, "\(created.error)")
            #expect(created.json["size_bytes"] as? Int == bytes.count)
            let again = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy, body: bytes,
                                       contentType: "application/octet-stream")
            #expect(again.json["version"] as? Int == 2)
            #expect(h.blobs().count == 1, "identical bytes share one blob")
            let artifact = try await call(client, .get, "/api/v1/models/mnist/versions/2/artifact", key: h.read)
            #expect(artifact.bytes == bytes)
        }
    }

    /// As MLflow's log_model with a registered name: the first upload of a
    /// valid artifact creates the model.
    @Test func firstUploadCreatesTheModel() async throws {
        try await RegistryHarness.run { client, h async throws in
            let bytes = try Fixtures.artifact()
            let created = try await call(client, .post, "/api/v1/models/fresh/versions", key: h.deploy, body: bytes,
                                         contentType: "application/octet-stream")
            #expect(created.status == .created, "\(created.error)")
            #expect(created.json["version"] as? Int == 1)
            #expect(try await call(client, .get, "/api/v1/models/fresh", key: h.read).status == .ok)
            let second = try await call(client, .post, "/api/v1/models/fresh/versions", key: h.deploy, body: bytes,
                                        contentType: "application/octet-stream")
            #expect(second.json["version"] as? Int == 2)
            #expect(try await call(client, .post, "/api/v1/models/..%2Fx/versions", key: h.deploy, body: bytes,
                                   contentType: "application/octet-stream").status == .badRequest)
        }
    }

    @Test func flippedByteIs400AndNothingIsStored() async throws {
        try await RegistryHarness.run { client, h async throws in
            try await createModel(client, h)
            var bytes = try Fixtures.artifact()
            bytes[bytes.count - 100] ^= 0x01
            let before = try await h.snapshot()
            let response = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy, body: bytes,
                                          contentType: "application/octet-stream")
            #expect(response.status == .badRequest)
            #expect(response.error.contains("weights checksum"), "\(response.error)")
            #expect(try await h.snapshot() == before)
            #expect(h.blobs().isEmpty)
            #expect(try await call(client, .get, "/api/v1/models/mnist/versions", key: h.read).status == .ok)
        }
    }

    @Test func badUploadsAre400() async throws {
        try await RegistryHarness.run { client, h async throws in
            try await createModel(client, h)
            let good = try Fixtures.artifact()
            let before = try await h.snapshot()
            let cases: [(body: [UInt8], type: String, status: HTTPResponse.Status, message: String)] = [
                (Array(good.prefix(500)), "application/octet-stream", .badRequest, "invalid model artifact"),
                (Array("hello".utf8), "application/octet-stream", .badRequest, "invalid model artifact"),
                ([], "application/octet-stream", .badRequest, "empty"),
                (good, "application/json", .unsupportedMediaType, "application/octet-stream"),
                (multipart([("model", good)]).body, multipart([]).contentType, .badRequest, "unexpected multipart part 'model'"),
                (multipart([("artifact", good), ("artifact", good)]).body, multipart([]).contentType, .badRequest, "appears twice"),
                (Array(multipart([("artifact", good)]).body.dropLast(30)), multipart([]).contentType, .badRequest, "malformed multipart"),
                (good, multipart([]).contentType, .badRequest, "malformed multipart"),
                (multipart([("artifact", good)]).body, "multipart/form-data", .badRequest, "boundary"),
                (multipart([("artifact", good)]).body, "multipart/form-data; boundary=other", .badRequest, "malformed multipart"),
            ]
            for c in cases {
                let response = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy, body: c.body, contentType: c.type)
                #expect(response.status == c.status, "\(c.type) \(response.error)")
                #expect(response.error.contains(c.message), "\(response.error)")
            }
            #expect(try await h.snapshot() == before)
            // A bad first upload creates no model.
            let unknown = try await call(client, .post, "/api/v1/models/nope/versions", key: h.deploy, body: Array(good.prefix(500)),
                                         contentType: "application/octet-stream")
            #expect(unknown.status == .badRequest)
            #expect(try await call(client, .get, "/api/v1/models/nope", key: h.read).status == .notFound)
            #expect(try await call(client, .post, "/api/v1/models/mnist/versions", key: h.read, body: good,
                                   contentType: "application/octet-stream").status == .forbidden)
            #expect(try await h.snapshot() == before)
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await RegistryHarness.run(maxBodyBytes: 64 * 1024) { client, h async throws in
            try await createModel(client, h)
            let before = try await h.snapshot()
            let response = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy,
                                          body: try Fixtures.artifact(), contentType: "application/octet-stream")
            #expect(response.status == .contentTooLarge)
            #expect(response.error.contains("larger than"))
            let json = try await call(client, .post, "/api/v1/models", key: h.deploy,
                                      json: #"{"name": "x", "description": "\#(String(repeating: "d", count: 70_000))"}"#)
            #expect(json.status == .contentTooLarge)
            #expect(try await h.snapshot() == before)
            #expect(try await call(client, .get, "/api/v1/models", key: h.read).status == .ok)
        }
    }

    @Test func unknownAndBadVersionsAre404Or400() async throws {
        try await RegistryHarness.run { client, h async throws in
            try await createModel(client, h)
            #expect(try await call(client, .get, "/api/v1/models/mnist/versions/7", key: h.read).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/models/mnist/versions/staging", key: h.read).status == .notFound)
            #expect(try await call(client, .get, "/api/v1/models/mnist/versions/7/artifact", key: h.read).status == .notFound)
            #expect(try await call(client, .delete, "/api/v1/models/mnist/versions/7", key: h.deploy).status == .notFound)
            for bad in ["0", "-1", "1.5", "99999999999", "%2e%2e", ".."] {
                let response = try await call(client, .get, "/api/v1/models/mnist/versions/\(bad)", key: h.read)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func aliasesMoveResolveAndBlockDeletion() async throws {
        try await RegistryHarness.run { client, h async throws in
            try await createModel(client, h)
            for seed in [1, 2] as [UInt64] {
                let r = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy,
                                       body: try Fixtures.artifact(seed: seed), contentType: "application/octet-stream")
                #expect(r.status == .created)
            }
            let set = try await call(client, .put, "/api/v1/models/mnist/aliases/production", key: h.deploy, json: #"{"version": 1}"#)
            #expect(set.status == .ok)
            #expect(set.json["alias"] as? String == "production" && set.json["version"] as? Int == 1)
            #expect(set.json["updated_by"] as? String == APIKeys.id(of: h.deploy))
            let moved = try await call(client, .put, "/api/v1/models/mnist/aliases/production", key: h.admin, json: #"{"version": 2}"#)
            #expect(moved.json["version"] as? Int == 2)

            let resolved = try await call(client, .get, "/api/v1/models/mnist/versions/production", key: h.read)
            #expect(resolved.json["version"] as? Int == 2)
            #expect(resolved.json["aliases"] as? [String] == ["production"])
            let artifact = try await call(client, .get, "/api/v1/models/mnist/versions/production/artifact", key: h.read)
            #expect(artifact.bytes == (try Fixtures.artifact(seed: 2)))

            let listed = try await call(client, .get, "/api/v1/models/mnist/aliases", key: h.read)
            #expect((listed.json["aliases"] as? [[String: Any]])?.count == 1)
            let history = try #require(listed.json["history"] as? [[String: Any]])
            #expect(history.map { $0["version"] as? Int } == [1, 2])
            #expect(history.last?["by"] as? String == APIKeys.id(of: h.admin))
            #expect(history.allSatisfy { $0["at"] is String })
            let models = try await call(client, .get, "/api/v1/models", key: h.read)
            #expect((models.json["models"] as? [[String: Any]])?.first?["aliases"] as? [String: Int] == ["production": 2])

            let blocked = try await call(client, .delete, "/api/v1/models/mnist/versions/2", key: h.deploy)
            #expect(blocked.status == .conflict)
            #expect(blocked.error.contains("production"))

            let blobsBefore = h.blobs()
            #expect(try await call(client, .delete, "/api/v1/models/mnist/versions/1", key: h.deploy).status == .noContent)
            #expect(h.blobs().count == blobsBefore.count - 1, "the unreferenced artifact is removed")
            #expect(try await call(client, .delete, "/api/v1/models/mnist/aliases/production", key: h.deploy).status == .noContent)
            #expect(try await call(client, .delete, "/api/v1/models/mnist/aliases/production", key: h.deploy).status == .notFound)
            #expect(try await call(client, .delete, "/api/v1/models/mnist/versions/2", key: h.deploy).status == .noContent)
            #expect(h.blobs().isEmpty)
            let after = try await call(client, .get, "/api/v1/models/mnist/aliases", key: h.read)
            #expect((after.json["history"] as? [[String: Any]])?.last?["version"] is NSNull)
        }
    }

    @Test func badAliasRequests() async throws {
        try await RegistryHarness.run { client, h async throws in
            try await createModel(client, h)
            _ = try await call(client, .post, "/api/v1/models/mnist/versions", key: h.deploy, body: try Fixtures.artifact(),
                               contentType: "application/octet-stream")
            let before = try await h.snapshot()
            let cases: [(String, String, HTTPResponse.Status, String)] = [
                ("production", #"{"version": "1"}"#, .badRequest, "'version' should be an integer"),
                ("production", #"{"version": 1.5}"#, .badRequest, "'version' should be an integer"),
                ("production", #"{"version": 1e40}"#, .badRequest, "'version' should be an integer"),
                ("production", #"{"version": null}"#, .badRequest, "'version' should be an integer, not null"),
                ("production", #"[1]"#, .badRequest, "must be a JSON object"),
                ("production", #"{}"#, .badRequest, "missing 'version'"),
                ("production", #"{"version": 1, "note": "x"}"#, .badRequest, "unknown field 'note'"),
                ("production", #"{"version": 0}"#, .badRequest, "positive"),
                ("production", #"{"version": 9}"#, .notFound, "not found"),
                ("42", #"{"version": 1}"#, .badRequest, "cannot be a number"),
                ("%2e%2e", #"{"version": 1}"#, .badRequest, "invalid name"),
                ("..", #"{"version": 1}"#, .badRequest, "invalid name"),
            ]
            for (alias, body, status, message) in cases {
                let response = try await call(client, .put, "/api/v1/models/mnist/aliases/\(alias)", key: h.deploy, json: body)
                #expect(response.status == status, "\(alias) \(body): \(response.error)")
                #expect(response.error.contains(message), "\(response.error)")
            }
            #expect(try await call(client, .put, "/api/v1/models/nope/aliases/production", key: h.deploy, json: #"{"version": 1}"#).status == .notFound)
            #expect(try await call(client, .put, "/api/v1/models/mnist/aliases/production", key: h.read, json: #"{"version": 1}"#).status == .forbidden)
            #expect(try await call(client, .delete, "/api/v1/models/mnist/aliases/staging", key: h.deploy).status == .notFound)
            #expect(try await h.snapshot() == before)
        }
    }
}
