/// How a deployed model version batches concurrent requests (dynamic
/// batching, as in Triton's dynamic batcher).
///
/// Batching is off unless ``maxQueueDelayMicroseconds`` is above zero (the
/// default is 0, like Triton's): each request then runs on its own, exactly
/// as without a batcher. When it is on, requests for the same version wait
/// in a queue of at most ``maxQueueSize`` requests; a batch of whole
/// requests (never split) holding at most ``maxBatchSize`` samples leaves as
/// soon as it is full, reaches one of the ``preferredBatchSizes``, or its
/// oldest request has waited the queue delay.
///
/// The coding keys are the JSON field names of a deployment's `batching`
/// object (`max_batch_size`, `max_queue_delay_microseconds`,
/// `preferred_batch_sizes`, `max_queue_size`).
public struct BatchingConfiguration: Sendable, Hashable, Codable {
    /// Samples in one batch at most (a single larger request runs alone).
    public var maxBatchSize: Int
    /// How long the oldest queued request may wait for others; 0 turns batching off.
    public var maxQueueDelayMicroseconds: Int
    /// Batch sizes (in samples) worth leaving for at once, ascending.
    public var preferredBatchSizes: [Int]
    /// Requests allowed to wait; past it a request is refused with
    /// ``InferenceLimiterError/overloaded(running:queued:)``.
    public var maxQueueSize: Int

    /// Batching off, with the defaults for the other fields.
    public static let disabled = BatchingConfiguration()

    /// Largest accepted ``maxBatchSize``.
    public static let batchSizeLimit = 1024
    /// Largest accepted ``maxQueueDelayMicroseconds`` (one second).
    public static let queueDelayLimit = 1_000_000
    /// Largest accepted ``maxQueueSize``.
    public static let queueSizeLimit = 65_536
    /// Most entries in ``preferredBatchSizes``.
    public static let preferredSizesLimit = 64

    public init(maxBatchSize: Int = 32, maxQueueDelayMicroseconds: Int = 0,
                preferredBatchSizes: [Int] = [], maxQueueSize: Int = 1024) {
        self.maxBatchSize = maxBatchSize
        self.maxQueueDelayMicroseconds = maxQueueDelayMicroseconds
        self.preferredBatchSizes = preferredBatchSizes
        self.maxQueueSize = maxQueueSize
    }

    /// Whether requests are batched (a queue delay above zero).
    public var isEnabled: Bool { maxQueueDelayMicroseconds > 0 }

    /// The queue delay as a duration.
    public var maxQueueDelay: Duration { .microseconds(maxQueueDelayMicroseconds) }

    /// This configuration with ``preferredBatchSizes`` sorted, once every
    /// field is checked.
    /// - Throws: ``BatchingConfigurationError`` naming the first bad field.
    public func validated() throws -> BatchingConfiguration {
        func bad(_ field: CodingKeys, _ message: String) -> BatchingConfigurationError {
            BatchingConfigurationError(field: field.rawValue, message: message)
        }
        guard (1...Self.batchSizeLimit).contains(maxBatchSize) else {
            throw bad(.maxBatchSize, "must be between 1 and \(Self.batchSizeLimit)")
        }
        guard (0...Self.queueDelayLimit).contains(maxQueueDelayMicroseconds) else {
            throw bad(.maxQueueDelayMicroseconds, "must be between 0 and \(Self.queueDelayLimit)")
        }
        guard (1...Self.queueSizeLimit).contains(maxQueueSize) else {
            throw bad(.maxQueueSize, "must be between 1 and \(Self.queueSizeLimit)")
        }
        guard preferredBatchSizes.count <= Self.preferredSizesLimit else {
            throw bad(.preferredBatchSizes, "may list at most \(Self.preferredSizesLimit) sizes")
        }
        if let size = preferredBatchSizes.first(where: { !(1...maxBatchSize).contains($0) }) {
            throw bad(.preferredBatchSizes, "size \(size) must be between 1 and max_batch_size (\(maxBatchSize))")
        }
        guard Set(preferredBatchSizes).count == preferredBatchSizes.count else {
            throw bad(.preferredBatchSizes, "must not repeat a size")
        }
        var copy = self
        copy.preferredBatchSizes.sort()
        return copy
    }

    public enum CodingKeys: String, CodingKey, CaseIterable, Sendable {
        case maxBatchSize = "max_batch_size"
        case maxQueueDelayMicroseconds = "max_queue_delay_microseconds"
        case preferredBatchSizes = "preferred_batch_sizes"
        case maxQueueSize = "max_queue_size"
    }
}

/// A batching configuration field out of range.
public struct BatchingConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The field's JSON name, e.g. `max_batch_size`.
    public let field: String
    /// What is wrong, without the field name.
    public let message: String

    public var description: String { "'\(field)' \(message)" }
}
