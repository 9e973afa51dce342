import Foundation
import Testing
@testable import TernServing

/// The alias cache behind request resolution: entries expire, and a value
/// read before an invalidation is never cached after it.
@Suite struct AliasCacheTests {
    @Test func entriesExpire() async throws {
        let cache = AliasCache(lifetime: .milliseconds(20))
        cache.store(model: "m", alias: "a", version: 3, readAt: cache.currentGeneration)
        #expect(cache.lookup(model: "m", alias: "a") == .some(3))
        try await Task.sleep(for: .milliseconds(40))
        #expect(cache.lookup(model: "m", alias: "a") == nil)
        cache.store(model: "m", alias: "b", version: nil, readAt: cache.currentGeneration)
        #expect(cache.lookup(model: "m", alias: "b") == .some(nil))
        cache.invalidate(model: "m")
        #expect(cache.lookup(model: "m", alias: "b") == nil)
        // A value read before an invalidation is not cached after it.
        let before = cache.currentGeneration
        cache.invalidate(model: "m")
        cache.store(model: "m", alias: "b", version: 1, readAt: before)
        #expect(cache.lookup(model: "m", alias: "b") == nil)
    }
}
