/// The queue of a ``Batcher`` as a pure state machine: which queued
/// requests leave together, and when. It holds request ids and sample
/// counts only; the batcher keeps the inputs and continuations.
///
/// Requests leave in arrival order, in batches of whole requests that share
/// a ``Key`` (element type and sample shape) and hold at most
/// ``BatchingConfiguration/maxBatchSize`` samples (a single larger request
/// leaves alone). ``next(now:)`` dispatches a batch when
/// - it is full, or the next queued request cannot join it;
/// - the oldest request has waited ``BatchingConfiguration/maxQueueDelay``;
/// - otherwise, the longest prefix whose sample count is a preferred batch
///   size leaves at once.
///
/// At most `maxInFlight` batches run at a time; while they all run, requests
/// keep queuing (and form bigger batches), up to
/// ``BatchingConfiguration/maxQueueSize`` requests.
struct BatchScheduler: Sendable {
    /// What requests must share to be concatenated.
    struct Key: Hashable, Sendable {
        var elementType: String
        var sampleShape: [Int]
    }

    struct Entry: Sendable {
        var id: UInt64
        var key: Key
        var samples: Int
        var enqueued: ContinuousClock.Instant
    }

    enum Decision: Equatable, Sendable {
        /// Run these requests (in order) as one batch of `samples` samples.
        case dispatch(ids: [UInt64], samples: Int)
        /// Nothing to run before `until`; ask again then.
        case wait(until: ContinuousClock.Instant)
        /// Nothing to run until a request arrives or a batch finishes.
        case idle
    }

    let configuration: BatchingConfiguration
    let maxInFlight: Int
    private(set) var pending: [Entry] = []
    private(set) var inFlight = 0

    init(configuration: BatchingConfiguration, maxInFlight: Int) {
        self.configuration = configuration
        self.maxInFlight = max(1, maxInFlight)
    }

    /// Requests waiting.
    var queued: Int { pending.count }

    /// Queues a request.
    /// - Returns: false (and queues nothing) when the queue is full.
    mutating func enqueue(_ entry: Entry) -> Bool {
        guard pending.count < configuration.maxQueueSize else { return false }
        pending.append(entry)
        return true
    }

    /// Drops a waiting request (its caller gave up).
    /// - Returns: false if it is not waiting (already dispatched).
    mutating func remove(id: UInt64) -> Bool {
        guard let index = pending.firstIndex(where: { $0.id == id }) else { return false }
        pending.remove(at: index)
        return true
    }

    /// A dispatched batch finished.
    mutating func finished() {
        inFlight = max(0, inFlight - 1)
    }

    /// The next batch to run, if one should leave now (it then counts as
    /// in flight until ``finished()``).
    mutating func next(now: ContinuousClock.Instant) -> Decision {
        guard let first = pending.first, inFlight < maxInFlight else { return .idle }
        let limit = configuration.maxBatchSize
        let preferred = configuration.preferredBatchSizes
        var count = 0
        var samples = 0
        var preferredPrefix: (count: Int, samples: Int)?
        for entry in pending {
            guard entry.key == first.key, count == 0 || samples + entry.samples <= limit else { break }
            count += 1
            samples += entry.samples
            if preferred.contains(samples) { preferredPrefix = (count, samples) }
        }
        let cannotGrow = samples >= limit || count < pending.count
        let deadline = first.enqueued.advanced(by: configuration.maxQueueDelay)
        if cannotGrow || now >= deadline {
            return take(count, samples)
        }
        if let preferredPrefix {
            return take(preferredPrefix.count, preferredPrefix.samples)
        }
        return .wait(until: deadline)
    }

    private mutating func take(_ count: Int, _ samples: Int) -> Decision {
        let ids = pending.prefix(count).map(\.id)
        pending.removeFirst(count)
        inFlight += 1
        return .dispatch(ids: ids, samples: samples)
    }
}
