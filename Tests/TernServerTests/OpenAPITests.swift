import Foundation
import HTTPTypes
import Hummingbird
import Testing
@testable import TernServer

/// `/openapi.json` describes the `/api/v1` routes as `buildRouter`
/// registers them and as they answer.
@Suite struct OpenAPITests {
    /// The document as served, parsed.
    static func document(_ fixture: Fixture, _ client: Client) async throws -> [String: Any] {
        let response = try await call(client.raw, .get, "/openapi.json", key: nil)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    static func operation(_ document: [String: Any], _ route: AuditRoute) -> [String: Any]? {
        ((document["paths"] as? [String: Any])?[route.pattern] as? [String: Any])?[route.method.rawValue.lowercased()] as? [String: Any]
    }

    /// The success status each `/api/v1` route answers with (the route tests
    /// check the routes themselves): creations 201, registry deletions 204.
    static func success(_ route: AuditRoute) -> String {
        switch (route.method, route.pattern) {
        case (.post, "/api/v1/jobs/{id}/cancel"): return "200"
        case (.post, _): return "201"
        case (.delete, "/api/v1/deployments/{model}/{version}"): return "200"
        case (.delete, _): return "204"
        default: return "200"
        }
    }

    @Test func theDocumentIsServedAsOpenAPI3ListingEveryManagementRoute() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.test { client in
            let document = try await Self.document(fixture, client)
            #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
            #expect((document["info"] as? [String: Any])?["title"] is String)
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let registered = Set(buildRouter(fixture.services).routes.filter { $0.path.description.hasPrefix("/api/v1/") }
                .map { "\($0.method) \($0.path)" })
            #expect(Set(AuditRoutes.management.map(\.description)) == registered)
            for route in AuditRoutes.management {
                let operation = try #require(Self.operation(document, route), "\(route) is missing from the document")
                let responses = operation["responses"] as? [String: Any] ?? [:]
                let documented = responses.keys.filter { $0.hasPrefix("2") }
                #expect(documented == [Self.success(route)], "\(route): documents \(documented.sorted())")
                #expect(responses["401"] != nil && responses["403"] != nil, "\(route)")
                #expect(operation["x-tern-scope"] as? String == route.scope?.rawValue, "\(route)")
                // Every {placeholder} is a required path parameter, and there are no others.
                let placeholders = Set(route.pattern.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) })
                let parameters = (operation["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "path" }
                #expect(Set(parameters.compactMap { $0["name"] as? String }) == placeholders, "\(route)")
                #expect(parameters.allSatisfy { $0["required"] as? Bool == true }, "\(route)")
            }
            let operations = paths.flatMap { path, item in item.keys.map { "\($0.uppercased()) \(path)" } }
            #expect(Set(operations) == Set(AuditRoutes.management.map(\.description)), "operations without a route")
        }
    }

    /// The JSON request bodies document exactly the fields the routes accept:
    /// each documented field is known to the route (sent with a wrong-typed
    /// value, so nothing is created), and the route names the same list.
    @Test func requestBodiesListTheFieldsTheRoutesAccept() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.test { client in
            let document = try await Self.document(fixture, client)
            let before = try await fixture.snapshot()
            var checked = 0
            for route in AuditRoutes.management {
                let operation = try #require(Self.operation(document, route))
                guard let body = operation["requestBody"] as? [String: Any],
                      let schema = ((body["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                else { continue }
                checked += 1
                #expect(schema["additionalProperties"] as? Bool == false, "\(route)")
                let properties = Set((schema["properties"] as? [String: Any] ?? [:]).keys)
                for field in properties.sorted() {
                    let reply = try await call(client.raw, route.method, route.example, key: fixture.adminKey, json: "{\"\(field)\": []}")
                    #expect(reply.status == .badRequest, "\(route) \(field): \(reply.error)")
                    #expect(!reply.error.contains("unknown field"), "\(route) documents '\(field)' but refuses it: \(reply.error)")
                }
                let unknown = try await call(client.raw, route.method, route.example, key: fixture.adminKey, json: #"{"zz_unknown": []}"#)
                #expect(unknown.error.contains("unknown field") || unknown.error.contains("zz_unknown"), "\(route): \(unknown.error)")
                if let allowed = unknown.error.split(separator: "(allowed: ").last.map({ $0.dropLast() }), unknown.error.contains("(allowed: ") {
                    #expect(Set(allowed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) == properties, "\(route)")
                }
            }
            #expect(checked == 6)
            #expect(try await fixture.snapshot() == before)
        }
    }

    @Test func requiredFieldsMatchTheRoutes() async throws {
        let fixture = try await Fixture.audit()
        try await fixture.test { client in
            let document = try await Self.document(fixture, client)
            func required(_ method: HTTPRequest.Method, _ pattern: String) -> Set<String> {
                let route = AuditRoute(method: method, pattern: pattern, example: "", scope: nil)
                let body = Self.operation(document, route)?["requestBody"] as? [String: Any]
                let schema = ((body?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                return Set(schema?["required"] as? [String] ?? [])
            }
            #expect(required(.post, "/api/v1/models") == ["name"])
            #expect(required(.patch, "/api/v1/models/{name}") == [])
            #expect(required(.put, "/api/v1/models/{name}/aliases/{alias}") == ["version"])
            #expect(required(.post, "/api/v1/keys") == ["name", "scope"])
            #expect(required(.post, "/api/v1/deployments") == ["model"])
            // `train` is required for IDX datasets only (CSV datasets use test_fraction / split_seed).
            #expect(required(.post, "/api/v1/jobs") == ["model", "spec", "dataset"])
            let datasets = Self.operation(document, AuditRoute(method: .post, pattern: "/api/v1/datasets", example: "", scope: nil))
            let query = (datasets?["parameters"] as? [[String: Any]] ?? []).filter { $0["in"] as? String == "query" }
            #expect(Set(query.compactMap { $0["name"] as? String }) == ["name", "kind"])
            #expect(query.allSatisfy { $0["required"] as? Bool == true }, "name and kind are required")
        }
    }
}
