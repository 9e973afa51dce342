import Foundation
import Testing
import TernServer

/// Every malformed or hostile V2 request is refused with the right 4xx and
/// a JSON error, and the server keeps answering after each.
@Suite struct V2BadInputTests {
    let infer = "/v2/models/mnist/infer"

    @Test func malformedBodies() async throws {
        let fixture = try await Fixture.make()
        let good = list(Array(repeating: 1, count: 784))
        try await fixture.test { client in
            let malformed = [
                "", "{", "{\"inputs\": [", "not json", "{\"inputs\": []}}", "{'inputs': []}", "{\"inputs\": [1,]}",
                "{\"a\": 1, \"a\": 2}", "{\"inputs\": [NaN]}", "\"\\ud800\"",
            ]
            for body in malformed {
                try await client.expectError(.post, infer, body: body, .badRequest)
            }
            let refused: [(String, String)] = [
                ("[]", "must be a JSON object"),
                ("{}", "missing 'inputs'"),
                ("{\"inputs\": []}", "must list the model's inputs"),
                ("{\"inputs\": {}}", "list of tensors"),
                ("{\"inputs\": [1]}", "list of tensors"),
                (v2Body(shape: [1, 784], data: good, extra: ",\"model\":1"), "unknown field 'model'"),
                (v2Body(shape: [1, 784], data: good, extra: ",\"id\":42"), "'id' must be a string"),
                (v2Body(shape: [1, 784], data: good, extra: ",\"parameters\":[]"), "'parameters' must be an object"),
                (v2Body(shape: [1, 784], data: good, extra: ",\"outputs\":{}"), "'outputs' must be a list"),
                ("{\"inputs\":[{\"name\":\"input\",\"shape\":[1,784],\"datatype\":\"UINT8\"}]}", "missing 'inputs[0].data'"),
                ("{\"inputs\":[{\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":\(good)}]}", "'inputs[0].name'"),
                ("{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"data\":\(good)}]}", "'inputs[0].shape'"),
            ]
            for (body, fragment) in refused {
                try await client.expectError(.post, infer, body: body, .badRequest, fragment)
            }
            let two = "{\"inputs\":[" + Array(repeating: "{\"name\":\"input\",\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":\(good)}", count: 2).joined(separator: ",") + "]}"
            try await client.expectError(.post, infer, body: two, .badRequest, "given twice")
        }
    }

    @Test func datatypes() async throws {
        let fixture = try await Fixture.make()
        let good = list(Array(repeating: 1, count: 784))
        try await fixture.test { client in
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "FLOAT32", data: good), .badRequest, "unknown datatype 'FLOAT32'")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "fp32", data: good), .badRequest, "unknown datatype")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "BYTES", data: good), .badRequest,
                                         "datatype BYTES is not supported by this model")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "BOOL", data: good), .badRequest, "true or false")
            let bools = list(Array(repeating: true, count: 784))
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "FP32", data: bools), .badRequest, "must hold numbers, got a boolean")
        }
    }

    @Test func shapesAndLengths() async throws {
        let fixture = try await Fixture.make()
        let good = list(Array(repeating: 1, count: 784))
        try await fixture.test { client in
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], data: list(Array(repeating: 1, count: 783))), .badRequest, "has 784 elements but")
            try await client.expectError(.post, infer, body: v2Body(shape: [2, 784], data: good), .badRequest, "has 1568 elements but")
            try await client.expectError(.post, infer, body: v2Body(shape: [-1, 784], data: good), .badRequest, "negative dimension")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, -784], data: good), .badRequest, "negative dimension")
            try await client.expectError(.post, infer, body: v2Body(shape: [4294967296, 4294967296], data: good), .badRequest, "overflows")
            try await client.expectError(.post, infer, body: v2Body(shape: [4294967296, 4294967296, 4294967296], data: good), .badRequest, "overflows")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 100], data: list(Array(repeating: 1, count: 100))), .badRequest, "784 values per sample")
            try await client.expectError(.post, infer, body: v2Body(shape: [], data: good), .badRequest, "batch dimension")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], data: "1"), .badRequest, "has 784 elements but")
            // Too many elements for the configured limit (shape checked before data).
            try await client.expectError(.post, infer, body: v2Body(shape: [100_000_000, 784], data: good), .contentTooLarge, "elements")
            let fractional = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1.5,784],\"datatype\":\"UINT8\",\"data\":\(good)}]}"
            try await client.expectError(.post, infer, body: fractional, .badRequest, "integers")
            let stringShape = "{\"inputs\":[{\"name\":\"input\",\"shape\":[\"1\",784],\"datatype\":\"UINT8\",\"data\":\(good)}]}"
            try await client.expectError(.post, infer, body: stringShape, .badRequest, "list of integers")
            // Nested data must be rectangular and hold the shape's element count.
            let row = list(Array(repeating: 1, count: 784))
            let short = list(Array(repeating: 1, count: 783))
            try await client.expectError(.post, infer, body: v2Body(shape: [2, 784], data: "[\(row),\(short)]"), .badRequest, "not rectangular")
            try await client.expectError(.post, infer, body: v2Body(shape: [2, 784], data: "[\(row),5]"), .badRequest, "not rectangular")
            try await client.expectError(.post, infer, body: v2Body(shape: [3, 28, 28], data: "[\(row),\(row)]"), .badRequest, "has 2352 elements but")
        }
    }

    @Test func values() async throws {
        let fixture = try await Fixture.make()
        @Sendable func with(_ value: String, count: Int = 784) -> String {
            list([value] + Array(repeating: "1", count: count - 1))
        }
        try await fixture.test { client in
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], data: with("300")), .badRequest, "not a valid UINT8 value")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], data: with("-1")), .badRequest, "not a valid UINT8 value")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], data: with("1.5")), .badRequest, "not a valid UINT8 value")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "INT8", data: with("200")), .badRequest, "not a valid INT8 value")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "UINT16", data: with("70000")), .badRequest, "UINT16")
            for nanish in ["\"NaN\"", "\"Infinity\"", "\"-inf\"", "\"1\"", "null", "{}"] {
                try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "FP32", data: with(nanish)), .badRequest, "must hold numbers")
            }
            for literal in ["NaN", "Infinity", "-Infinity", "nan", "1e", "01", "+1", ".5"] {
                try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "FP32", data: with(literal)), .badRequest, "malformed JSON")
            }
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "FP32", data: with("1e39")), .badRequest, "finite 32-bit")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], datatype: "FP64", data: with("1e400")), .badRequest, "not a finite number")
        }
    }

    @Test func unknownModelsVersionsAndAliases() async throws {
        let fixture = try await Fixture.make()
        let body = v2Body(shape: [1, 784], data: list(Array(repeating: 1, count: 784)))
        try await fixture.test { client in
            try await client.expectError(.post, "/v2/models/nope/infer", body: body, .notFound, "model 'nope' is not loaded")
            try await client.expectError(.post, "/v2/models/mnist/versions/3/infer", body: body, .notFound, "model 'mnist' version 3 is not loaded")
            try await client.expectError(.post, "/v2/models/mnist/versions/99/infer", body: body, .notFound, "model 'mnist' version 99 is not loaded")
            try await client.expectError(.post, "/v2/models/mnist/versions/canary/infer", body: body, .notFound, "model 'mnist' has no alias 'canary'")
            try await client.expectError(.post, "/v2/models/mnist/versions/99999999999999999999/infer", body: body, .badRequest, "out of range")
            try await client.expectError(.get, "/v2/models/nope", .notFound, "model 'nope'")
            try await client.expectError(.get, "/v2/models/mnist/versions/3", .notFound, "version 3 is not loaded")
        }
    }

    @Test func pathLikeNames() async throws {
        let fixture = try await Fixture.make()
        let body = v2Body(shape: [1, 784], data: list(Array(repeating: 1, count: 784)))
        try await fixture.test { client in
            for uri in ["/v2/models/%2e%2e/infer", "/v2/models/..%2fx/infer", "/v2/models/.hidden/infer", "/v2/models/a%00b/infer",
                        "/v2/models/mnist/versions/%2e%2e/infer", "/v2/models/mnist/versions/..%2F..%2Fetc/infer"] {
                let reply = try await client.expectError(.post, uri, body: body, .badRequest, "names are")
                #expect(!reply.error.contains(fixture.directory.path))
            }
            for uri in ["/v2/models/../x/infer", "/v2/models/mnist/../../x/infer"] {
                let reply = try await client.send(.post, uri, body: body)
                #expect((400..<500).contains(reply.status.code), "\(uri) → \(reply.status)")
                #expect(!reply.error.isEmpty)
                try await client.expectAlive()
            }
        }
    }

    @Test func keysAndScopes() async throws {
        let fixture = try await Fixture.make()
        let body = v2Body(shape: [1, 784], data: list(Array(repeating: 1, count: 784)))
        try await fixture.test { client in
            try await client.expectError(.post, infer, body: body, key: "", .unauthorized, "needs an API key")
            try await client.expectError(.get, "/v2/models/mnist", key: "", .unauthorized)
            try await client.expectError(.post, infer, body: body, key: fixture.readKey, .forbidden, "needs 'predict'")
            try await client.expectError(.get, "/v2/models/mnist/ready", key: fixture.readKey, .forbidden)
            try await client.expectError(.post, infer, body: body, key: "tern_000000000000_" + String(repeating: "0", count: 48), .unauthorized, "invalid or revoked")
            try await client.expectError(.post, infer, body: body, key: "garbage", .unauthorized)
            for key in [fixture.deployKey, fixture.adminKey] {
                #expect(try await client.post(infer, body, key: key).status == .ok)
            }
        }
    }

    @Test func bodyLimitsAndNesting() async throws {
        let fixture = try await Fixture.make { $0.maxJSONBodyBytes = 4000; $0.maxJSONDepth = 16 }
        try await fixture.test { client in
            let big = v2Body(shape: [4, 784], data: list(Array(repeating: 100, count: 4 * 784)))
            try await client.expectError(.post, infer, body: big, .contentTooLarge, "larger than 4000 bytes")
            let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], data: deep), .badRequest, "deeper than 16")
            let deepObject = String(repeating: "{\"a\":", count: 20) + "1" + String(repeating: "}", count: 20)
            try await client.expectError(.post, infer, body: deepObject, .badRequest, "deeper than 16")
            #expect(try await client.post(infer, v2Body(shape: [1, 784], data: list(Array(repeating: 1, count: 784)))).status == .ok)
        }
    }

    @Test func hostileNestingWithDefaultLimits() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
            try await client.expectError(.post, infer, body: deep, .badRequest, "deeper than 64")
            try await client.expectError(.post, infer, body: v2Body(shape: [1, 784], data: deep), .badRequest, "deeper than 64")
        }
    }
}
