import Foundation
import Testing
import TernFormats
import TernServer
import TernServing
import TernTensor

/// A V2 inference body with one input tensor.
func v2Body(shape: [Int], datatype: String = "UINT8", data: String, name: String = "input", extra: String = "") -> String {
    "{\"inputs\":[{\"name\":\"\(name)\",\"shape\":\(list(shape)),\"datatype\":\"\(datatype)\",\"data\":\(data)}]\(extra)}"
}

@Suite struct V2InferenceTests {
    @Test func healthNeedsNoKey() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let live = try await client.get("/v2/health/live", key: "")
            #expect(live.status == .ok)
            #expect(live.object["live"] as? Bool == true)
            let ready = try await client.get("/v2/health/ready", key: "")
            #expect(ready.status == .ok)
            #expect(ready.object["ready"] as? Bool == true)
        }
    }

    @Test func serverAndModelMetadata() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let server = try await client.get("/v2")
            #expect(server.status == .ok)
            #expect(server.object["name"] as? String == "tern")
            #expect(server.object["version"] as? String == "0.1.0")
            #expect(server.object["extensions"] as? [String] == ["binary_tensor_data"])

            for uri in ["/v2/models/mnist", "/v2/models/mnist/versions/2", "/v2/models/mnist/versions/staging"] {
                let meta = try await client.get(uri)
                #expect(meta.status == .ok, "\(meta.text)")
                #expect(meta.object["name"] as? String == "mnist")
                #expect(meta.object["versions"] as? [String] == ["1", "2"])
                #expect(meta.object["platform"] as? String == "tern")
                let inputs = meta.object["inputs"] as? [[String: Any]] ?? []
                #expect(inputs.count == 1)
                #expect(inputs.first?["name"] as? String == "input")
                #expect(inputs.first?["datatype"] as? String == "UINT8")
                #expect(inputs.first?["shape"] as? [Int] == [-1, 28, 28])
                let outputs = meta.object["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.first?["name"] as? String == "output")
                #expect(outputs.first?["datatype"] as? String == "FP32")
                #expect(outputs.first?["shape"] as? [Int] == [-1, 10])
            }
        }
    }

    @Test func modelReadiness() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            for uri in ["/v2/models/mnist/ready", "/v2/models/mnist/versions/1/ready", "/v2/models/mnist/versions/staging/ready"] {
                let reply = try await client.get(uri)
                #expect(reply.status == .ok)
                #expect(reply.object["name"] as? String == "mnist")
                #expect(reply.object["ready"] as? Bool == true)
            }
            try await client.expectError(.get, "/v2/models/mnist/versions/3/ready", .notFound, "model 'mnist' version 3 is not loaded")
            try await client.expectError(.get, "/v2/models/nope/ready", .notFound, "model 'nope'")
        }
    }

    @Test func uint8FlatAndNestedGiveTheModelsOutputs() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(3)
        let expected = try #require(fixture.models[1]).predict(batch)
        try await fixture.test { client in
            // Flat, nested as the shape, and nested otherwise ([3][784] for
            // [3, 28, 28], [1][3][784] for [3, 784]): any nesting with the
            // shape's element count is read row-major, as Triton and KServe do.
            let rows = "[" + (0..<3).map { i in list(batch.scalars[(i * 784)..<((i + 1) * 784)]) }.joined(separator: ",") + "]"
            let cases: [(String, [Int])] = [(list(batch.scalars), [3, 784]), (nested(batch), [3, 28, 28]), (rows, [3, 28, 28]),
                                            ("[\(rows)]", [3, 784]), (nested(batch), [3, 784]), (list(batch.scalars), [3, 28, 28])]
            for (data, shape) in cases {
                let reply = try await client.post("/v2/models/mnist/infer", v2Body(shape: shape, data: data, extra: ",\"id\":\"req-42\""))
                #expect(reply.status == .ok, "\(reply.text.prefix(300))")
                #expect(reply.object["model_name"] as? String == "mnist")
                #expect(reply.object["model_version"] as? String == "1")
                #expect(reply.object["id"] as? String == "req-42")
                let outputs = reply.object["outputs"] as? [[String: Any]] ?? []
                #expect(outputs.count == 1)
                #expect(outputs.first?["name"] as? String == "output")
                #expect(outputs.first?["datatype"] as? String == "FP32")
                #expect(outputs.first?["shape"] as? [Int] == [3, 10])
                #expect(floats(outputs.first?["data"]) == expected.scalars)
            }
        }
    }

    @Test func fp32AndOtherNumericTypes() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(2, offset: 3)
        let model = try #require(fixture.models[1])
        let scaled = batch.scalars.map { Float($0) / 3 }
        let expectedFloat = try model.predict(Tensor(shape: [2, 28, 28], scalars: scaled))
        let expectedBytes = try model.predict(batch)
        try await fixture.test { client in
            for type in ["FP32", "FP64"] {
                let reply = try await client.post("/v2/models/mnist/infer", v2Body(shape: [2, 784], datatype: type, data: list(scaled)))
                #expect(reply.status == .ok, "\(reply.text.prefix(300))")
                let outputs = reply.object["outputs"] as? [[String: Any]] ?? []
                #expect(floats(outputs.first?["data"]) == expectedFloat.scalars)
                #expect(reply.object["id"] == nil)
            }
            for type in ["UINT16", "UINT32", "UINT64", "INT16", "INT32", "INT64"] {
                let reply = try await client.post("/v2/models/mnist/infer", v2Body(shape: [2, 28, 28], datatype: type, data: list(batch.scalars)))
                #expect(reply.status == .ok, "\(type): \(reply.text.prefix(300))")
                let outputs = reply.object["outputs"] as? [[String: Any]] ?? []
                #expect(floats(outputs.first?["data"]) == expectedBytes.scalars)
            }
            // BOOL: JSON booleans read as 0 and 1.
            let bools = (0..<784).map { $0 % 3 == 0 }
            let expectedBools = try model.predict(Tensor<UInt8>(shape: [1, 28, 28], scalars: bools.map { $0 ? 1 : 0 }))
            let reply = try await client.post("/v2/models/mnist/infer", v2Body(shape: [1, 784], datatype: "BOOL", data: list(bools)))
            #expect(reply.status == .ok, "\(reply.text.prefix(300))")
            #expect(floats((reply.object["outputs"] as? [[String: Any]])?.first?["data"]) == expectedBools.scalars)
            // FP16: converted to float32 (pixel values are exact in half precision).
            let half = try await client.post("/v2/models/mnist/infer", v2Body(shape: [2, 784], datatype: "FP16", data: list(batch.scalars)))
            #expect(half.status == .ok, "\(half.text.prefix(300))")
            let expectedHalf = try model.predict(Tensor<Float>(shape: [2, 28, 28], scalars: batch.scalars.map { Float($0) }))
            #expect(floats((half.object["outputs"] as? [[String: Any]])?.first?["data"]) == expectedHalf.scalars)
        }
    }

    @Test func versionsAliasesAndDefaults() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(1)
        let body = v2Body(shape: [1, 784], data: list(batch.scalars))
        let cases: [(String, Int)] = [
            ("/v2/models/mnist/infer", 1), // production alias
            ("/v2/models/mnist/versions/1/infer", 1),
            ("/v2/models/mnist/versions/2/infer", 2),
            ("/v2/models/mnist/versions/staging/infer", 2),
            ("/v2/models/mnist/versions/production/infer", 1),
        ]
        try await fixture.test { client in
            for (uri, version) in cases {
                let reply = try await client.post(uri, body)
                #expect(reply.status == .ok, "\(uri): \(reply.text.prefix(200))")
                #expect(reply.object["model_version"] as? String == String(version), "\(uri)")
                let expected = try #require(fixture.models[version]).predict(batch)
                #expect(floats((reply.object["outputs"] as? [[String: Any]])?.first?["data"]) == expected.scalars, "\(uri)")
            }
        }
    }

    @Test func withoutAProductionAliasTheHighestLoadedVersionAnswers() async throws {
        let fixture = try await Fixture.make()
        let artifact = try #require(fixture.models[3]).artifactBytes()
        try await fixture.services.runtime.load(model: "digits", version: 4, artifact: artifact)
        try await fixture.services.runtime.load(model: "digits", version: 7, artifact: artifact)
        try await fixture.test { client in
            let reply = try await client.post("/v2/models/digits/infer", v2Body(shape: [1, 784], data: list(try pixels(1).scalars)))
            #expect(reply.status == .ok)
            #expect(reply.object["model_version"] as? String == "7")
            let meta = try await client.get("/v2/models/digits")
            #expect(meta.object["versions"] as? [String] == ["4", "7"])
        }
    }

    @Test func productionAliasOnAnUnloadedVersionIsNotFound() async throws {
        let fixture = try await Fixture.make(loaded: [2])
        try await fixture.test { client in
            try await client.expectError(.post, "/v2/models/mnist/infer", body: v2Body(shape: [1, 784], data: list(try pixels(1).scalars)),
                                         .notFound, "model 'mnist' version 1 is not loaded")
        }
    }

    @Test func outputSelectionAndParameters() async throws {
        let fixture = try await Fixture.make()
        let data = list(try pixels(1).scalars)
        try await fixture.test { client in
            let selected = try await client.post("/v2/models/mnist/infer", v2Body(
                shape: [1, 784], data: data, name: "input_1",
                extra: ",\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":false}}],\"parameters\":{\"x\":1}"))
            #expect(selected.status == .ok, "\(selected.text.prefix(200))")
            #expect((selected.object["outputs"] as? [Any])?.count == 1)
            let empty = try await client.post("/v2/models/mnist/infer", v2Body(shape: [1, 784], data: data, extra: ",\"outputs\":[]"))
            #expect(empty.status == .ok)
            try await client.expectError(.post, "/v2/models/mnist/infer",
                                         body: v2Body(shape: [1, 784], data: data, extra: ",\"outputs\":[{\"name\":\"probabilities\"}]"),
                                         .badRequest, "unknown output 'probabilities'")
        }
    }

    @Test func emptyBatchAnswersAnEmptyOutput() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let reply = try await client.post("/v2/models/mnist/infer", v2Body(shape: [0, 784], data: "[]"))
            #expect(reply.status == .ok)
            let output = (reply.object["outputs"] as? [[String: Any]])?.first
            #expect(output?["shape"] as? [Int] == [0, 10])
            #expect((output?["data"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func anonymousPredictWhenAllowed() async throws {
        let fixture = try await Fixture.make { $0.allowAnonymousPredict = true }
        try await fixture.test { client in
            let reply = try await client.post("/v2/models/mnist/infer", v2Body(shape: [1, 784], data: list(try pixels(1).scalars)), key: "")
            #expect(reply.status == .ok)
            #expect(try await client.get("/v2/models/mnist", key: "").status == .ok)
        }
    }

    @Test func overloadedServerAnswers503WithRetryAfter() async throws {
        let fixture = try await Fixture.make {
            $0.maxConcurrentPredictions = 1
            $0.maxQueuedPredictions = 0
        }
        let limiter = fixture.services.runtime.limiter
        let gate = DispatchSemaphore(value: 0)
        let blocker = Task { try await limiter.run { gate.wait() } }
        var polls = 0
        while await limiter.load.running == 0, polls < 400 {
            try await Task.sleep(for: .milliseconds(5))
            polls += 1
        }
        try await fixture.test { client in
            let body = v2Body(shape: [1, 784], data: list(try pixels(1).scalars))
            let reply = try await client.expectError(.post, "/v2/models/mnist/infer", body: body, .serviceUnavailable, "busy")
            #expect(reply.headers[.retryAfter] == "1")
            gate.signal()
            try await blocker.value
            #expect(try await client.post("/v2/models/mnist/infer", body).status == .ok)
        }
    }
}
