import Foundation
import TernFormats
import TernTesting
import Testing

extension CrashRecoveryTests {
    /// kill -9 at random points of alias swaps, over and over: after every
    /// restart only versions an alias points at are loaded (before, each
    /// cycle could leave the swap's other version loaded for good).
    @Test func killDuringAliasSwapsLeavesOnlyAliasedVersionsLoaded() async throws {
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try makeServer()
        try await server.start()
        defer { server.stop() }
        for seed in [1, 2, 3] as [UInt64] {
            let file = work.appendingPathComponent("v\(seed).tern")
            try Data(try artifact(seed: seed)).write(to: file)
            #expect(try server.cli(["models", "upload", "m", file.path]).status == 0)
        }
        _ = try await server.json("PUT", "/api/v1/models/m/aliases/production", ["version": 1])
        _ = try await server.json("POST", "/api/v1/deployments", ["model": "m"])
        var generator = SystemRandomNumberGenerator()
        for cycle in 0..<8 {
            let target = [2, 3, 1][cycle % 3]
            let swap = Task { try? await server.request("PUT", "/api/v1/models/m/aliases/production", json: ["version": target]) }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...120, using: &generator)))
            server.stop(signal: SIGKILL)
            _ = await swap.value
            try await server.start()
            let aliases = try await server.json("GET", "/api/v1/models/m/aliases")["aliases"] as? [[String: Any]] ?? []
            let aliased = Set(aliases.compactMap { $0["version"] as? Int })
            let loaded = (try await server.json("GET", "/api/v1/deployments")["deployments"] as? [[String: Any]] ?? [])
                .compactMap { $0["version"] as? Int }
            #expect(Set(loaded).isSubset(of: aliased), "cycle \(cycle): loaded \(loaded), aliased \(aliased)")
            #expect(!loaded.isEmpty, "cycle \(cycle): the aliased version is served")
            let (ready, _) = try await server.get("/v2/health/ready")
            #expect(ready == 200)
        }
        try await RecoveryChecks.expectConsistent(server)
    }
}
