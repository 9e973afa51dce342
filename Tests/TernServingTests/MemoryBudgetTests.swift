import Foundation
import Testing
import TernFormats
import TernServing
import TernTensor

/// ``ModelRuntime/memoryBudget``: least recently used, unpinned, idle
/// versions are unloaded first; evicted versions stay deployed.
@Suite struct MemoryBudgetTests {
    /// Bytes of one example MLP: 101,770 parameters of 4 bytes.
    static let modelBytes = (784 * 128 + 128 + 128 * 10 + 10) * 4

    @Test func leastRecentlyUsedUnpinnedVersionLeavesFirst() async throws {
        let (_, artifact) = try exampleModel()
        // Room for two models, not three.
        let runtime = ModelRuntime(memoryBudget: 2 * Self.modelBytes + 100)
        let v1 = try await runtime.load(model: "m", version: 1, artifact: artifact)
        let v2 = try await runtime.load(model: "m", version: 2, artifact: artifact)
        // Version 1 is used after version 2: version 2 is now the least recent.
        _ = try await runtime.predict(v2, .uint8(Tensor(zeros: [1, 28, 28])))
        _ = try await runtime.predict(v1, .uint8(Tensor(zeros: [1, 28, 28])))
        try await runtime.load(model: "m", version: 3, artifact: artifact)
        #expect(await runtime.loaded().map(\.version) == [1, 3])
        #expect(await runtime.evictedDeployment(model: "m", version: 2) == .disabled)
        #expect(await runtime.deployments().map { "\($0.version):\($0.loaded == nil ? "evicted" : "loaded")" }
            == ["1:loaded", "2:evicted", "3:loaded"])
        #expect(await runtime.loadedBytes <= 2 * Self.modelBytes + 100)
        // Reloading version 2 evicts the least recent of 1 and 3 (1 was used, 3 was loaded after).
        try await runtime.load(model: "m", version: 2, artifact: artifact)
        #expect(await runtime.loaded().map(\.version) == [2, 3])
        #expect(await runtime.evictedDeployment(model: "m", version: 2) == nil)
        #expect(await runtime.evictedDeployment(model: "m", version: 1) != nil)
        // Unloading an evicted version undeploys it.
        #expect(await runtime.unload(model: "m", version: 1))
        #expect(await runtime.deployments().count == 2)
    }

    @Test func pinnedVersionsAreNeverEvicted() async throws {
        let (_, artifact) = try exampleModel()
        let runtime = ModelRuntime(memoryBudget: Self.modelBytes + 100)
        try await runtime.load(model: "m", version: 1, artifact: artifact)
        await runtime.setPinned(model: "m", versions: [1])
        try await runtime.load(model: "m", version: 2, artifact: artifact)
        // Over budget, but version 1 is pinned and version 2 was just loaded.
        #expect(await runtime.loaded().map(\.version) == [1, 2])
        try await runtime.load(model: "m", version: 3, artifact: artifact)
        #expect(await runtime.loaded().map(\.version) == [1, 3])
        // Unpinning makes version 1 a candidate again.
        await runtime.setPinned(model: "m", versions: [3])
        try await runtime.load(model: "other", version: 1, artifact: artifact)
        #expect(await runtime.loaded().map { "\($0.model)/\($0.version)" } == ["m/3", "other/1"])
    }

    @Test func aVersionWithRunningPredictionsIsKept() async throws {
        let (_, artifact) = try exampleModel()
        let runtime = ModelRuntime(memoryBudget: Self.modelBytes + 100)
        let v1 = try await runtime.load(model: "m", version: 1, artifact: artifact)
        v1.usage.begin()
        try await runtime.load(model: "m", version: 2, artifact: artifact)
        #expect(await runtime.loaded().map(\.version) == [1, 2])
        v1.usage.end()
        #expect(await v1.usage.waitUntilIdle(timeout: .milliseconds(10)))
        try await runtime.load(model: "m", version: 3, artifact: artifact)
        #expect(await runtime.loaded().map(\.version) == [3])
    }

    @Test func noBudgetKeepsEverything() async throws {
        let (_, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        for version in 1...4 { try await runtime.load(model: "m", version: version, artifact: artifact) }
        #expect(await runtime.loaded().count == 4)
    }
}
