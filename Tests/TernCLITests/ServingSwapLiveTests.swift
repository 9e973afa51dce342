import Foundation
import TernTesting
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TernFormats

/// Model swaps and the memory budget on a real `tern serve` process: real
/// sockets, concurrent clients, the CLI for management.
@Suite(.serialized) struct ServingSwapLiveTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("tern-swap-\(UUID().uuidString)")
    nonisolated(unsafe) static let body: [String: Any] = ["inputs": [["name": "input", "shape": [1, 28, 28], "datatype": "UINT8",
                                                  "data": (0..<784).map { $0 % 251 }]]]

    /// Writes the example MLP with weights from `seed` as an artifact file.
    func artifact(seed: UInt64) throws -> String {
        let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(contentsOf: CLI.root.appendingPathComponent("Examples/mnist-mlp.json")))
        let file = work.appendingPathComponent("v\(seed).tern")
        try Data(try TernModel(spec: spec, seed: seed).artifactBytes()).write(to: file)
        return file.path
    }

    func start(_ extra: [String] = []) async throws -> LiveServer {
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let server = LiveServer(dataDirectory: work.appendingPathComponent("data"), adminKey: makeKeyText())
        try await server.start(extra: extra + ["--allow-anonymous-predict"])
        return server
    }

    func expectCLI(_ server: LiveServer, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try server.cli(arguments)
        #expect(result.status == 0, "tern \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
    }

    /// Clients post without pause while the alias moves between versions 1
    /// and 2 every half second: every answer is a 200, and both versions answer.
    @Test func aliasSwapsUnderLoadDropNothing() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try await start()
        defer { server.stop() }
        for seed in [1, 2] as [UInt64] { try expectCLI(server, ["models", "upload", "mnist", try artifact(seed: seed)]) }
        try expectCLI(server, ["models", "alias", "mnist", "production", "1"])
        try expectCLI(server, ["deploy", "mnist", "--alias", "production"])

        // The clients post until the swapper has moved the alias four times
        // (at least 4 s; longer when other suites load the cores and a swap
        // takes longer), so each version has had a turn.
        let swapping = SwapProgress()
        let tally = try await withThrowingTaskGroup(of: [String: Int].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var seen: [String: Int] = [:]
                    while !swapping.finished {
                        let (status, data) = try await server.request("POST", "/v2/models/mnist/infer", json: Self.body, key: "")
                        let version = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["model_version"] as? String
                        seen[status == 200 ? "v\(version ?? "?")" : "HTTP \(status)", default: 0] += 1
                    }
                    return seen
                }
            }
            group.addTask {
                defer { swapping.finish() }
                var target = 2
                let start = ContinuousClock.now, limit = start + .seconds(60)
                var swaps = 0
                while (swaps < 4 || ContinuousClock.now - start < .seconds(4)) && ContinuousClock.now < limit {
                    try await Task.sleep(for: .milliseconds(500))
                    let (status, data) = try await server.request("PUT", "/api/v1/models/mnist/aliases/production", json: ["version": target])
                    #expect(status == 200, "swap to \(target): \(String(decoding: data, as: UTF8.self))")
                    target = 3 - target
                    swaps += 1
                }
                try await Task.sleep(for: .milliseconds(500))  // answers from the last version the alias moved to
                return [:]
            }
            return try await group.reduce(into: [String: Int]()) { total, part in total.merge(part) { $0 + $1 } }
        }
        #expect(Set(tally.keys) == ["v1", "v2"], "\(tally)")
        // Load did happen: at least a few requests per client. (Here 100-1,000
        // answers; far fewer when the other suites train on the same 2 cores.)
        #expect(tally.values.reduce(0, +) >= 16, "\(tally)")
        // The version the alias left is unloaded once its requests are done.
        try await Task.sleep(for: .seconds(3))
        let deployments = try await server.json("GET", "/api/v1/deployments")["deployments"] as? [[String: Any]] ?? []
        let production = try await server.json("GET", "/api/v1/models/mnist/aliases")["aliases"] as? [[String: Any]] ?? []
        #expect(deployments.map { $0["version"] as? Int } == production.map { $0["version"] as? Int }, "\(deployments) \(production)")
    }

    /// With room for one model, deploying a second unloads the first; a
    /// request for it waits while it loads again.
    @Test func theMemoryBudgetEvictsAndReloads() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        // One MLP holds 407,080 bytes of parameters: 0.5 MiB fits one, not two.
        let server = try await start(["--memory-budget-mb", "0.5"])
        defer { server.stop() }
        for seed in [1, 2] as [UInt64] { try expectCLI(server, ["models", "upload", "mnist", try artifact(seed: seed)]) }
        try expectCLI(server, ["deploy", "mnist", "--version", "1"])
        try expectCLI(server, ["deploy", "mnist", "--version", "2"])
        func states() async throws -> [String] {
            let list = try await server.json("GET", "/api/v1/deployments")["deployments"] as? [[String: Any]] ?? []
            return list.map { "\($0["version"] ?? "?"):\($0["state"] ?? "?")" }
        }
        #expect(try await states() == ["1:evicted", "2:ready"])
        let (status, data) = try await server.request("POST", "/v2/models/mnist/versions/1/infer", json: Self.body, key: "")
        #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
        #expect(try await states() == ["1:ready", "2:evicted"])
        let (_, metrics) = try await server.get("/metrics", key: "")
        #expect(String(decoding: metrics, as: UTF8.self).contains("tern_model_evictions_total 2"))
        // Evicted deployments survive a restart as evicted-or-loaded, never forgotten.
        server.stop()
        try await server.start(extra: ["--memory-budget-mb", "0.5", "--allow-anonymous-predict"])
        #expect(try await states().count == 2)
        let (again, _) = try await server.request("POST", "/v2/models/mnist/versions/2/infer", json: Self.body, key: "")
        #expect(again == 200)
    }

    /// An ONNX file through the CLI: `tern models upload`, `tern deploy`, and
    /// `tern infer` over both protocols give ONNX Runtime's classes.
    @Test func anONNXModelThroughTheCLI() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try await start()
        defer { server.stop() }
        let fixtures = CLI.root.appendingPathComponent("Tests/TernONNXTests/Fixtures/onnx")
        try expectCLI(server, ["models", "upload", "torchmlp", fixtures.appendingPathComponent("mnist_mlp_gemm.onnx").path])
        try expectCLI(server, ["deploy", "torchmlp", "--version", "1"])
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("mnist_mlp_gemm_classes.json"))) as? [String: Any]
        let expected = Array((recorded?["classes"] as? [Int] ?? []).prefix(100))
        let mnist = TestPaths.mnistDirectory.path
        for wire in ["v2", "tfserving"] {
            let reply = try server.cli(["infer", "torchmlp", "--version", "1", "--range", "0:100", "--data", mnist, "--protocol", wire])
            #expect(reply.status == 0, "\(reply.stderr)")
            let classes = reply.stdout.split(separator: "\n").compactMap { line -> Int? in
                guard let r = line.range(of: "class ") else { return nil }
                return Int(line[r.upperBound...].prefix { $0.isNumber })
            }
            #expect(classes == expected, "\(wire)")
        }
    }
}

/// Set once the swapper is done; read by the clients.
final class SwapProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    var finished: Bool { lock.withLock { done } }
    func finish() { lock.withLock { done = true } }
}
