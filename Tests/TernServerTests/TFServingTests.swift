import Foundation
import Testing
import TernServer
import TernTensor

/// Per-sample rows of an `(n, units)` reply.
func rows(_ value: Any?) -> [[Float]] {
    (value as? [Any] ?? []).map(floats)
}

func expectedRows(_ t: Tensor<Float>) -> [[Float]] {
    let units = t.shape[1]
    return (0..<t.shape[0]).map { Array(t.scalars[($0 * units)..<($0 * units + units)]) }
}

@Suite struct TFServingTests {
    @Test func predictRowFormat() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(2)
        let expected = expectedRows(try #require(fixture.models[1]).predict(batch))
        let flat = (0..<2).map { list(batch.scalars[($0 * 784)..<($0 * 784 + 784)]) }
        let nestedRows = nested(batch).dropFirst().dropLast()
        try await fixture.test { client in
            let bodies = [
                "{\"instances\": [\(flat.joined(separator: ","))]}",
                "{\"instances\": [\(nestedRows)]}",
                "{\"signature_name\": \"serving_default\", \"instances\": [\(flat.map { "{\"input\": \($0)}" }.joined(separator: ","))]}",
            ]
            for body in bodies {
                let reply = try await client.post("/v1/models/mnist:predict", body)
                #expect(reply.status == .ok, "\(reply.text.prefix(200))")
                #expect(rows(reply.object["predictions"]) == expected)
                #expect(reply.object["outputs"] == nil)
            }
        }
    }

    @Test func predictColumnarFormat() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(3, offset: 11)
        let expected = expectedRows(try #require(fixture.models[1]).predict(batch))
        let flat = "[" + (0..<3).map { list(batch.scalars[($0 * 784)..<($0 * 784 + 784)]) }.joined(separator: ",") + "]"
        try await fixture.test { client in
            for body in ["{\"inputs\": \(flat)}", "{\"inputs\": \(nested(batch))}", "{\"inputs\": {\"input\": \(nested(batch))}}"] {
                let reply = try await client.post("/v1/models/mnist:predict", body)
                #expect(reply.status == .ok, "\(reply.text.prefix(200))")
                #expect(rows(reply.object["outputs"]) == expected)
            }
            // Floats go through the model's float path.
            let values = batch.scalars.map { Float($0) / 2 }
            let floatExpected = expectedRows(try #require(fixture.models[1]).predict(Tensor(shape: [3, 28, 28], scalars: values)))
            let floatBody = "{\"inputs\": [" + (0..<3).map { list(values[($0 * 784)..<($0 * 784 + 784)]) }.joined(separator: ",") + "]}"
            let floatReply = try await client.post("/v1/models/mnist:predict", floatBody)
            #expect(floatReply.status == .ok)
            #expect(rows(floatReply.object["outputs"]) == floatExpected)
        }
    }

    @Test func versionsAndLabels() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(1)
        let body = "{\"instances\": [\(list(batch.scalars))]}"
        try await fixture.test { client in
            for (uri, version) in [("/v1/models/mnist/versions/2:predict", 2), ("/v1/models/mnist/labels/staging:predict", 2),
                                   ("/v1/models/mnist/labels/production:predict", 1), ("/v1/models/mnist/versions/1:predict", 1)] {
                let reply = try await client.post(uri, body)
                #expect(reply.status == .ok, "\(uri): \(reply.text.prefix(200))")
                #expect(rows(reply.object["predictions"]) == expectedRows(try #require(fixture.models[version]).predict(batch)), "\(uri)")
            }
            try await client.expectError(.post, "/v1/models/mnist/versions/3:predict", body: body, .notFound, "version 3 is not loaded")
            try await client.expectError(.post, "/v1/models/mnist/labels/canary:predict", body: body, .notFound, "no alias 'canary'")
            try await client.expectError(.post, "/v1/models/nope:predict", body: body, .notFound, "model 'nope'")
            try await client.expectError(.post, "/v1/models/mnist/versions/two:predict", body: body, .badRequest, "must be a number")
            try await client.expectError(.post, "/v1/models/mnist/labels/2:predict", body: body, .badRequest, "must not be a number")
        }
    }

    @Test func badPredictRequests() async throws {
        let fixture = try await Fixture.make()
        let row = list(Array(repeating: 1, count: 784))
        let predict = "/v1/models/mnist:predict"
        try await fixture.test { client in
            try await client.expectError(.post, predict, body: "{\"instances\": [\(row)], \"inputs\": [\(row)]}", .badRequest, "both")
            try await client.expectError(.post, predict, body: "{}", .badRequest, "'instances'")
            try await client.expectError(.post, predict, body: "{\"instances\": [\(row)], \"extra\": 1}", .badRequest, "unknown field 'extra'")
            try await client.expectError(.post, predict, body: "{\"instances\": 5}", .badRequest, "one element per sample")
            try await client.expectError(.post, predict, body: "{\"instances\": [[1, 2, 3]]}", .badRequest, "got [1, 3]")
            try await client.expectError(.post, predict, body: "{\"instances\": [\(row), [1]]}", .badRequest, "not rectangular")
            try await client.expectError(.post, predict, body: "{\"instances\": [[\"NaN\"]]}", .badRequest, "must hold numbers")
            try await client.expectError(.post, predict, body: "{\"instances\": [{\"pixels\": \(row)}]}", .badRequest, "'pixels'")
            try await client.expectError(.post, predict, body: "{\"inputs\": 3}", .badRequest, "batch dimension first")
            try await client.expectError(.post, predict, body: "{\"inputs\": [[1, 2]]}", .badRequest, "got [1, 2]")
            try await client.expectError(.post, predict, body: "{\"signature_name\": \"classify\", \"instances\": [\(row)]}", .badRequest, "unknown signature")
            try await client.expectError(.post, predict, body: "{\"instances\": [", .badRequest, "malformed JSON")
            try await client.expectError(.post, predict, body: "{\"instances\": [\(list(["1e39"] + Array(repeating: "1", count: 783)))]}", .badRequest, "finite 32-bit")
            try await client.expectError(.post, "/v1/models/mnist:classify", body: "{\"examples\": []}", .badRequest, "not supported")
            try await client.expectError(.post, "/v1/models/mnist:explode", body: "{}", .badRequest, "unknown method")
            try await client.expectError(.post, "/v1/models/mnist", body: "{}", .badRequest, ":predict")
            try await client.expectError(.post, "/v1/models/%2e%2e:predict", body: "{\"instances\": [\(row)]}", .badRequest, "names are")
            try await client.expectError(.post, predict, body: "{\"instances\": [\(row)]}", key: fixture.readKey, .forbidden)
            try await client.expectError(.post, predict, body: "{\"instances\": [\(row)]}", key: "", .unauthorized)
            let empty = try await client.post(predict, "{\"instances\": []}")
            #expect(empty.status == .ok)
            #expect((empty.object["predictions"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func modelStatus() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let all = try await client.get("/v1/models/mnist")
            #expect(all.status == .ok)
            let statuses = all.object["model_version_status"] as? [[String: Any]] ?? []
            #expect(statuses.map { $0["version"] as? String } == ["1", "2"])
            #expect(statuses.allSatisfy { $0["state"] as? String == "AVAILABLE" })
            let status = statuses.first?["status"] as? [String: Any]
            #expect(status?["error_code"] as? String == "OK")
            #expect(status?["error_message"] as? String == "")
            for (uri, version) in [("/v1/models/mnist/versions/2", "2"), ("/v1/models/mnist/labels/production", "1")] {
                let one = try await client.get(uri)
                #expect(one.status == .ok)
                #expect((one.object["model_version_status"] as? [[String: Any]])?.map { $0["version"] as? String } == [version])
            }
            try await client.expectError(.get, "/v1/models/mnist/versions/3", .notFound, "version 3 is not loaded")
            try await client.expectError(.get, "/v1/models/nope", .notFound, "model 'nope' is not loaded")
            try await client.expectError(.get, "/v1/models/mnist/labels/canary", .notFound)
            try await client.expectError(.get, "/v1/models/mnist", key: "", .unauthorized)
        }
    }

    @Test func modelMetadata() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            for (uri, version) in [("/v1/models/mnist/metadata", "1"), ("/v1/models/mnist/versions/2/metadata", "2"),
                                   ("/v1/models/mnist/labels/staging/metadata", "2")] {
                let reply = try await client.get(uri)
                #expect(reply.status == .ok, "\(reply.text)")
                let spec = reply.object["model_spec"] as? [String: Any]
                #expect(spec?["name"] as? String == "mnist")
                #expect(spec?["signature_name"] as? String == "")
                #expect(spec?["version"] as? String == version)
                let defs = ((reply.object["metadata"] as? [String: Any])?["signature_def"] as? [String: Any])?["signature_def"] as? [String: Any]
                let serving = defs?["serving_default"] as? [String: Any]
                #expect(serving?["method_name"] as? String == "tensorflow/serving/predict")
                let input = (serving?["inputs"] as? [String: Any])?["input"] as? [String: Any]
                #expect(input?["dtype"] as? String == "DT_UINT8")
                #expect(input?["name"] as? String == "input")
                let dims = ((input?["tensor_shape"] as? [String: Any])?["dim"] as? [[String: Any]])?.map { $0["size"] as? String }
                #expect(dims == ["-1", "28", "28"])
                let output = (serving?["outputs"] as? [String: Any])?["output"] as? [String: Any]
                #expect(output?["dtype"] as? String == "DT_FLOAT")
                let outDims = ((output?["tensor_shape"] as? [String: Any])?["dim"] as? [[String: Any]])?.map { $0["size"] as? String }
                #expect(outDims == ["-1", "10"])
            }
            try await client.expectError(.get, "/v1/models/mnist/versions/3/metadata", .notFound)
            try await client.expectError(.get, "/v1/models/..%2f/metadata", .badRequest)
        }
    }
}
