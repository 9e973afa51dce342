import Foundation
import TernRegistry

/// Recently resolved aliases, so inference requests that name an alias (or
/// none, meaning `production`) do not read the database every time.
///
/// This server drops a model's entries whenever it moves or deletes one of
/// its aliases, so its own changes take effect at once; an entry also
/// expires after ``lifetime``, which bounds how long a change made by
/// another process sharing the store can go unseen.
///
/// `@unchecked Sendable`: `entries` is only touched while holding `lock`.
final class AliasCache: @unchecked Sendable {
    struct Key: Hashable { var model: String; var alias: String }
    private struct Entry { var version: Int?; var fetched: ContinuousClock.Instant }

    let lifetime: Duration
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    /// Bumped by every ``invalidate(model:)``: a value read from the store
    /// before an invalidation is not cached after it (it may be stale).
    private var generation: UInt64 = 0

    init(lifetime: Duration = .seconds(1)) { self.lifetime = lifetime }

    /// The cached version of `alias` (nil inside: the alias does not exist),
    /// or nil when there is no fresh entry.
    func lookup(model: String, alias: String) -> Int?? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[Key(model: model, alias: alias)], ContinuousClock.now - entry.fetched < lifetime else { return nil }
        return .some(entry.version)
    }

    /// The current generation; pass it to ``store(model:alias:version:readAt:)``
    /// for a value read from the store after this call.
    var currentGeneration: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return generation
    }

    /// Caches a value read from the store, unless an invalidation happened
    /// since `readAt` (then the value may already be stale).
    func store(model: String, alias: String, version: Int?, readAt: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        guard readAt == generation else { return }
        if entries.count > 10_000 { entries.removeAll() }
        entries[Key(model: model, alias: alias)] = Entry(version: version, fetched: .now)
    }

    /// Forgets every alias of `model`.
    func invalidate(model: String) {
        lock.lock()
        defer { lock.unlock() }
        generation &+= 1
        entries = entries.filter { $0.key.model != model }
    }
}
