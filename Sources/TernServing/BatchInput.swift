import TernTensor

/// The named tensors of one request or one batch: what a ``ServableModel``
/// takes and answers.
public typealias NamedTensors = [String: AnyTensor]

extension Dictionary where Key == String, Value == AnyTensor {
    /// The batch size: the first dimension the tensors share (0 for none).
    var batchSize: Int { values.first?.rows ?? 0 }

    /// Whether every tensor has rank ≥ 1 and the same first dimension.
    var hasOneBatchSize: Bool {
        let n = batchSize
        return values.allSatisfy { $0.shape.rank >= 1 && $0.shape[0] == n }
    }

    /// What a request must share with others to join their batch: the
    /// names, element types and sample shapes of its tensors (so uint8
    /// requests stay uint8, and each model's preprocessing of the batch
    /// equals its preprocessing of each request).
    var batchKey: BatchScheduler.Key {
        let tensors = sorted { $0.key < $1.key }
        return .init(elementType: tensors.map { "\($0.key):\($0.value.dtype.rawValue)" }.joined(separator: ","),
                     sampleShape: tensors.flatMap { $0.value.shape.dimensions.dropFirst() + [-1] })
    }

    /// The requests' tensors concatenated along the batch axis, name by
    /// name. Every request must have the same ``batchKey`` (the scheduler
    /// only batches such requests).
    static func joined(_ requests: [NamedTensors]) throws -> NamedTensors {
        guard let first = requests.first else { throw BatchingFailure.emptyBatch }
        guard requests.count > 1 else { return first }
        var joined: NamedTensors = [:]
        for name in first.keys {
            do {
                joined[name] = try AnyTensor.concatenatingRows(requests.map { request in
                    guard let tensor = request[name] else { throw BatchingFailure.shapeMismatch }
                    return tensor
                })
            } catch is TensorError {
                throw BatchingFailure.shapeMismatch
            }
        }
        return joined
    }

    /// A batch's outputs split back into consecutive parts of `counts` rows.
    func splittingRows(_ counts: [Int]) throws -> [NamedTensors] {
        let total = counts.reduce(0, +)
        for tensor in values where tensor.shape.rank < 1 || tensor.shape[0] != total {
            throw BatchingFailure.outputRows(expected: total, got: tensor.shape.rank >= 1 ? tensor.shape[0] : 0)
        }
        if counts.count == 1 { return [self] }
        var start = 0
        return counts.map { count in
            defer { start += count }
            return mapValues { $0.slice(rows: start..<(start + count)) }
        }
    }
}

/// Why a batch could not be formed or split (never a request's own fault,
/// so its requests are retried one by one).
enum BatchingFailure: Error, CustomStringConvertible {
    case emptyBatch
    case shapeMismatch
    case outputRows(expected: Int, got: Int)

    var description: String {
        switch self {
        case .emptyBatch: return "empty batch"
        case .shapeMismatch: return "batched inputs differ in sample shape"
        case let .outputRows(expected, got): return "the model answered \(got) rows for a batch of \(expected)"
        }
    }
}
