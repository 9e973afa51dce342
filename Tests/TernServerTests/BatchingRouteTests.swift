import Foundation
import Testing
import TernServer
import TernServing
import TernTensor

/// Dynamic batching configured through `POST /api/v1/deployments`.
@Suite struct BatchingRouteTests {
    let deployments = "/api/v1/deployments"

    /// The value of the first sample of `metric` whose labels include `labels`.
    func sample(_ text: String, _ metric: String, _ labels: [String: String]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(metric + "{") {
            guard let close = line.lastIndex(of: "}") else { continue }
            let found = ObservabilityTests.samples(String(line), metric).first ?? [:]
            if labels.allSatisfy({ found[$0.key] == $0.value }) {
                return Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }

    @Test func deployWithBatchingAndServeConcurrentRequests() async throws {
        let metrics = ServerMetrics()
        let fixture = try await Fixture.make(loaded: [], metrics: metrics)
        let model = try #require(fixture.models[3])
        try await fixture.test { client in
            let body = """
            {"model": "mnist", "version": 3, "batching": {"max_batch_size": 16, "max_queue_delay_microseconds": 50000,
             "preferred_batch_sizes": [16, 8], "max_queue_size": 64}}
            """
            let created = try await client.post(deployments, body, key: fixture.deployKey)
            #expect(created.status == .created, "\(created.text)")
            let batching = try #require(created.object["batching"] as? [String: Any])
            #expect(batching["max_batch_size"] as? Int == 16)
            #expect(batching["max_queue_delay_microseconds"] as? Int == 50000)
            #expect(batching["preferred_batch_sizes"] as? [Int] == [8, 16])
            #expect(batching["max_queue_size"] as? Int == 64)
            let listed = try await client.get(deployments, key: fixture.readKey)
            let item = (listed.object["deployments"] as? [[String: Any]])?.first
            #expect((item?["batching"] as? [String: Any])?["max_queue_delay_microseconds"] as? Int == 50000)
            let saved = try await fixture.store.deployments().first?.settings ?? ""
            #expect(saved.contains("max_queue_delay_microseconds"), "\(saved)")

            let replies = try await withThrowingTaskGroup(of: (Int, Reply).self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let image = try pixels(1, offset: i)
                        return (i, try await client.post("/v2/models/mnist/versions/3/infer", v2Body(shape: [1, 28, 28], data: list(image.scalars))))
                    }
                }
                return try await group.reduce(into: [Int: Reply]()) { $0[$1.0] = $1.1 }
            }
            for i in 0..<16 {
                let reply = try #require(replies[i])
                #expect(reply.status == .ok, "\(reply.text)")
                let data = floats((reply.object["outputs"] as? [[String: Any]])?.first?["data"])
                #expect(data == (try model.predict(try pixels(1, offset: i))).scalars, "request \(i)")
            }
            let stats = try #require(await fixture.services.runtime.batchingStats(model: "mnist", version: 3))
            #expect(stats.requests == 16 && stats.predictCalls < 16, "\(stats)")

            let scrape = try await client.get("/metrics", key: "").text
            let labels = ["model": "mnist", "version": "3"]
            #expect(sample(scrape, "tern_inference_batch_size_count", labels) == Double(stats.predictCalls), "\(scrape)")
            #expect(sample(scrape, "tern_inference_batch_size_sum", labels) == 16)
            #expect(sample(scrape, "tern_inference_queue_depth", labels) == 0)
        }
    }

    @Test func deploymentsWithoutBatchingShowItOff() async throws {
        let fixture = try await Fixture.make(loaded: [])
        try await fixture.test { client in
            let created = try await client.post(deployments, "{\"model\": \"mnist\", \"version\": 1}", key: fixture.deployKey)
            #expect(created.status == .created)
            let batching = try #require(created.object["batching"] as? [String: Any])
            #expect(batching["max_queue_delay_microseconds"] as? Int == 0)
            #expect(batching["max_batch_size"] as? Int == 32 && batching["max_queue_size"] as? Int == 1024)
            #expect(await fixture.services.runtime.batchingStats(model: "mnist", version: 1) == nil)
        }
    }

    @Test func badBatchingIsRefusedNamingTheField() async throws {
        let fixture = try await Fixture.make(loaded: [])
        try await fixture.test { client in
            let cases: [(String, String)] = [
                ("5", "'batching' must be an object"),
                ("{\"max_batch\": 3}", "unknown field 'max_batch'"),
                ("{\"max_batch_size\": \"8\"}", "'batching.max_batch_size' must be an integer"),
                ("{\"max_batch_size\": 1.5}", "'batching.max_batch_size' must be an integer"),
                ("{\"max_batch_size\": 0}", "'batching.max_batch_size' must be between"),
                ("{\"max_queue_delay_microseconds\": -5}", "'batching.max_queue_delay_microseconds'"),
                ("{\"max_queue_size\": 0}", "'batching.max_queue_size'"),
                ("{\"preferred_batch_sizes\": [64]}", "'batching.preferred_batch_sizes'"),
                ("{\"preferred_batch_sizes\": [2.5]}", "'batching.preferred_batch_sizes'"),
                ("{\"preferred_batch_sizes\": \"8\"}", "'batching.preferred_batch_sizes'"),
                ("{\"preferred_batch_sizes\": [2, 2]}", "'batching.preferred_batch_sizes'"),
            ]
            for (batching, fragment) in cases {
                try await client.expectError(.post, deployments, body: "{\"model\": \"mnist\", \"version\": 1, \"batching\": \(batching)}",
                                             key: fixture.deployKey, .badRequest, fragment)
            }
            #expect(await fixture.services.runtime.loaded().isEmpty)
        }
    }
}
