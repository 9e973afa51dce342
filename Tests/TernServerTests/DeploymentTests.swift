import Foundation
import HTTPTypes
import NIOCore
import Testing
import TernRegistry
import TernServer

@Suite struct DeploymentTests {
    let deployments = "/api/v1/deployments"

    @Test func deployListServeUndeploy() async throws {
        let fixture = try await Fixture.make(loaded: [])
        let batch = try pixels(1)
        let body = v2Body(shape: [1, 784], data: list(batch.scalars))
        try await fixture.test { client in
            try await client.expectError(.post, "/v2/models/mnist/versions/3/infer", body: body, .notFound, "version 3 is not loaded")
            let created = try await client.post(deployments, "{\"model\": \"mnist\", \"version\": 3}", key: fixture.deployKey)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.object["model"] as? String == "mnist")
            #expect(created.object["version"] as? Int == 3)
            #expect(created.object["state"] as? String == "ready")
            #expect(created.object["memory_bytes"] as? Int == (784 * 128 + 128 + 128 * 10 + 10) * 4)
            let loadedAt = try #require(created.object["loaded_at"] as? String)
            #expect((try? Date(loadedAt, strategy: .iso8601)) != nil)

            let served = try await client.post("/v2/models/mnist/versions/3/infer", body)
            #expect(served.status == .ok)
            #expect(floats((served.object["outputs"] as? [[String: Any]])?.first?["data"]) == (try #require(fixture.models[3]).predict(batch)).scalars)

            let byAlias = try await client.post(deployments, "{\"model\": \"mnist\", \"alias\": \"staging\"}", key: fixture.adminKey)
            #expect(byAlias.status == .created)
            #expect(byAlias.object["version"] as? Int == 2)

            let listed = try await client.get(deployments, key: fixture.readKey)
            #expect(listed.status == .ok)
            let items = listed.object["deployments"] as? [[String: Any]] ?? []
            #expect(items.map { $0["version"] as? Int } == [2, 3])
            #expect(items.allSatisfy { $0["model"] as? String == "mnist" && $0["state"] as? String == "ready" })

            let removed = try await client.send(.delete, "\(deployments)/mnist/3", key: fixture.deployKey)
            #expect(removed.status == .ok)
            #expect(removed.object["state"] as? String == "unloaded")
            try await client.expectError(.delete, "\(deployments)/mnist/3", key: fixture.deployKey, .notFound, "not loaded")
            try await client.expectError(.post, "/v2/models/mnist/versions/3/infer", body: body, .notFound, "version 3 is not loaded")
            #expect(((try await client.get(deployments, key: fixture.readKey)).object["deployments"] as? [Any])?.count == 1)
        }
    }

    @Test func scopes() async throws {
        let fixture = try await Fixture.make(loaded: [1])
        try await fixture.test { client in
            let body = "{\"model\": \"mnist\", \"version\": 2}"
            try await client.expectError(.post, deployments, body: body, key: "", .unauthorized)
            try await client.expectError(.post, deployments, body: body, key: fixture.predictKey, .forbidden, "needs 'deploy'")
            try await client.expectError(.post, deployments, body: body, key: fixture.readKey, .forbidden)
            try await client.expectError(.get, deployments, key: "", .unauthorized)
            try await client.expectError(.delete, "\(deployments)/mnist/1", key: fixture.predictKey, .forbidden)
            #expect(try await client.get(deployments, key: fixture.predictKey).status == .ok)
            #expect(await fixture.services.runtime.loaded().count == 1)
        }
    }

    @Test func badDeploymentRequests() async throws {
        let fixture = try await Fixture.make(loaded: [])
        try await fixture.test { client in
            let key = fixture.deployKey
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 9}", key: key, .notFound, "version 9")
            try await client.expectError(.post, deployments, body: "{\"model\": \"nope\", \"version\": 1}", key: key, .notFound)
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"alias\": \"canary\"}", key: key, .notFound, "no alias 'canary'")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 1, \"alias\": \"staging\"}", key: key, .badRequest, "not both")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": true}", key: key, .badRequest, "positive integer")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": \"../x\"}", key: key, .badRequest, "names are")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": \"0\"}", key: key, .badRequest, "positive integer")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": \"canary\"}", key: key, .notFound, "no alias 'canary'")
            try await client.expectError(.post, deployments, body: "{\"model\": \"nope\"}", key: key, .notFound, "'nope'")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 0}", key: key, .badRequest, "positive integer")
            try await client.expectError(.post, deployments, body: "{\"model\": \"../etc\", \"version\": 1}", key: key, .badRequest, "names are")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 1", key: key, .badRequest, "malformed JSON")
            try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 1, \"x\": 1}", key: key, .badRequest, "unknown field")
            try await client.expectError(.post, deployments, body: String(repeating: " ", count: 70_000), key: key, .contentTooLarge)
            try await client.expectError(.delete, "\(deployments)/mnist/latest", key: key, .badRequest, "must be a number")
            try await client.expectError(.delete, "\(deployments)/%2e%2e/1", key: key, .badRequest, "names are")
            #expect(await fixture.services.runtime.loaded().isEmpty)
        }
    }

    /// With neither version nor alias: the production alias when the model
    /// has one, else the newest version; `version` takes a number or an
    /// alias as a string, as V2 URLs do.
    @Test func defaultsAUserExpects() async throws {
        let fixture = try await Fixture.make(loaded: [])
        try await fixture.test { client in
            let key = fixture.deployKey
            let production = try await client.post(deployments, "{\"model\": \"mnist\"}", key: key)
            #expect(production.status == .created, "\(production.text)")
            #expect(production.object["version"] as? Int == 1)
            #expect(production.object["selected_by"] as? String == "alias production")
            try await fixture.store.deleteAlias(model: "mnist", alias: "production", by: nil)
            let newest = try await client.post(deployments, "{\"model\": \"mnist\"}", key: key)
            #expect(newest.object["version"] as? Int == 3)
            #expect(newest.object["selected_by"] as? String == "newest version")
            let aliasAsVersion = try await client.post(deployments, "{\"model\": \"mnist\", \"version\": \"staging\"}", key: key)
            #expect(aliasAsVersion.object["version"] as? Int == 2)
            #expect(aliasAsVersion.object["selected_by"] as? String == "alias staging")
            let numberAsString = try await client.post(deployments, "{\"model\": \"mnist\", \"version\": \"1\"}", key: key)
            #expect(numberAsString.object["version"] as? Int == 1)
            #expect(numberAsString.object["selected_by"] as? String == "version")
            #expect(await fixture.services.runtime.loaded().map(\.version).sorted() == [1, 2, 3])
        }
    }

    /// JSON is the only body the management routes take: `curl -d` (form
    /// type) and no type at all are read as JSON; other types are a 415.
    @Test func jsonRoutesAcceptCurlsDefaultType() async throws {
        let fixture = try await Fixture.make(loaded: [])
        try await fixture.test { client in
            func post(_ uri: String, _ body: String, type: String?, method: HTTPRequest.Method = .post) async throws -> HTTPResponse.Status {
                var headers: HTTPFields = [.authorization: "Bearer \(fixture.deployKey)"]
                if let type { headers[.contentType] = type }
                return try await client.raw.executeRequest(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body)).status
            }
            let status1 = try await post(deployments, "{\"model\": \"mnist\", \"version\": 2}", type: "application/x-www-form-urlencoded")
            #expect(status1 == .created)
            let status2 = try await post(deployments, "{\"model\": \"mnist\", \"version\": 3}", type: nil)
            #expect(status2 == .created)
            let status3 = try await post(deployments, "{\"model\": \"mnist\", \"version\": 1}", type: "text/plain")
            #expect(status3 == .unsupportedMediaType)
            let status4 = try await post("/api/v1/models/mnist/aliases/production", "{\"version\": 2}", type: "application/x-www-form-urlencoded", method: .put)
            #expect(status4 == .ok)
            #expect(try await fixture.store.alias(model: "mnist", alias: "production").version == 2)
        }
    }

    @Test func corruptArtifactIsAConflictWithoutPaths() async throws {
        let fixture = try await Fixture.make(loaded: [])
        let file = try await fixture.corruptArtifact(version: 2)
        try await fixture.test { client in
            let reply = try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 2}", key: fixture.deployKey,
                                                     .conflict, "corrupt")
            #expect(!reply.error.contains(fixture.directory.path))
            #expect(!reply.error.contains("/"))
            try FileManager.default.removeItem(at: file)
            let missing = try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 2}", key: fixture.deployKey,
                                                       .conflict, "missing")
            #expect(!missing.error.contains("/"))
            #expect(await fixture.services.runtime.loaded().isEmpty)
        }
    }
}
