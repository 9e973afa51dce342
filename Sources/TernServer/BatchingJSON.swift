import TernServing
import TernSupport

/// The `batching` object of a deployment (request and response):
/// `{"max_batch_size": 32, "max_queue_delay_microseconds": 500,
/// "preferred_batch_sizes": [8, 16, 32], "max_queue_size": 1024}`.
/// Omitted fields take the defaults of ``BatchingConfiguration``; a queue
/// delay of 0 (the default) means batching is off.
enum BatchingJSON {
    private typealias Field = BatchingConfiguration.CodingKeys

    /// Reads a request's `batching` object strictly: unknown fields, wrong
    /// types and out-of-range values are 400s naming the field.
    static func decode(_ value: JSONValue) throws -> BatchingConfiguration {
        guard case let .object(object) = value else {
            throw APIError(.badRequest, "'batching' must be an object, got \(value.kind)")
        }
        try V2Codec.allowOnly(Set(Field.allCases.map(\.rawValue)), in: object, what: "'batching' object")
        var configuration = BatchingConfiguration()
        if let v = object[Field.maxBatchSize.rawValue] { configuration.maxBatchSize = try integer(v, .maxBatchSize) }
        if let v = object[Field.maxQueueDelayMicroseconds.rawValue] {
            configuration.maxQueueDelayMicroseconds = try integer(v, .maxQueueDelayMicroseconds)
        }
        if let v = object[Field.maxQueueSize.rawValue] { configuration.maxQueueSize = try integer(v, .maxQueueSize) }
        if let v = object[Field.preferredBatchSizes.rawValue] {
            configuration.preferredBatchSizes = try integers(v, .preferredBatchSizes)
        }
        return try configuration.validated()
    }

    /// The configuration as it appears in a deployment.
    static func encode(_ configuration: BatchingConfiguration) -> JSONValue {
        .object([
            Field.maxBatchSize.rawValue: .int(Int64(configuration.maxBatchSize)),
            Field.maxQueueDelayMicroseconds.rawValue: .int(Int64(configuration.maxQueueDelayMicroseconds)),
            Field.preferredBatchSizes.rawValue: .array(configuration.preferredBatchSizes.map { .int(Int64($0)) }),
            Field.maxQueueSize.rawValue: .int(Int64(configuration.maxQueueSize)),
        ])
    }

    private static func integer(_ value: JSONValue, _ field: Field) throws -> Int {
        guard case let .int(i) = value, let n = Int(exactly: i), abs(n) <= Int(Int32.max) else {
            throw APIError(.badRequest, "'batching.\(field.rawValue)' must be an integer, got \(value.kind)")
        }
        return n
    }

    private static func integers(_ value: JSONValue, _ field: Field) throws -> [Int] {
        let numbers: [Double]
        switch value {
        case let .numbers(list): numbers = list.doubles()
        case let .array(list) where list.isEmpty: numbers = []
        default: throw APIError(.badRequest, "'batching.\(field.rawValue)' must be a list of integers, got \(value.kind)")
        }
        return try numbers.map { d in
            guard d.rounded() == d, abs(d) <= Double(Int32.max) else {
                throw APIError(.badRequest, "'batching.\(field.rawValue)' must be a list of integers")
            }
            return Int(d)
        }
    }
}
