import TernTensor

extension ModelInput {
    /// What a request must share with others to join their batch.
    var batchKey: BatchScheduler.Key {
        switch self {
        case let .uint8(t): return .init(elementType: "uint8", sampleShape: t.shape.dimensions.dropFirst().map { $0 })
        case let .float32(t): return .init(elementType: "float32", sampleShape: t.shape.dimensions.dropFirst().map { $0 })
        }
    }

    /// The inputs concatenated along the batch axis. Every input must have
    /// the same ``batchKey`` (the scheduler only batches such requests), so
    /// uint8 requests stay uint8 and each model's preprocessing of the
    /// batch equals its preprocessing of each request.
    static func joined(_ inputs: [ModelInput]) throws -> ModelInput {
        guard let first = inputs.first, inputs.count > 1 else {
            guard let only = inputs.first else { throw BatchingFailure.emptyBatch }
            return only
        }
        switch first {
        case .uint8:
            return .uint8(try Tensor<UInt8>.concatenatingRows(inputs.map { input -> Tensor<UInt8> in
                guard case let .uint8(t) = input else { preconditionFailure("mixed element types in one batch") }
                return t
            }))
        case .float32:
            return .float32(try Tensor<Float>.concatenatingRows(inputs.map { input -> Tensor<Float> in
                guard case let .float32(t) = input else { preconditionFailure("mixed element types in one batch") }
                return t
            }))
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

extension Tensor {
    /// The tensors stacked along the first axis (all must share the other
    /// dimensions).
    static func concatenatingRows(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first else { throw BatchingFailure.emptyBatch }
        let rest = Array(first.shape.dimensions.dropFirst())
        guard parts.allSatisfy({ $0.rank == first.rank && Array($0.shape.dimensions.dropFirst()) == rest }) else {
            throw BatchingFailure.shapeMismatch
        }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        var out = Tensor(uninitialized: Shape([rows] + rest))
        out.withUnsafeMutableBufferPointer { dst in
            var offset = 0
            for part in parts {
                part.withUnsafeBufferPointer { src in
                    if let base = src.baseAddress, src.count > 0 {
                        (dst.baseAddress! + offset).update(from: base, count: src.count)
                    }
                    offset += src.count
                }
            }
        }
        return out
    }

    /// The rows of a batch output split back into consecutive parts of
    /// `counts` rows.
    func splittingRows(_ counts: [Int]) throws -> [Tensor] {
        let total = counts.reduce(0, +)
        guard rank >= 1, shape[0] == total else {
            throw BatchingFailure.outputRows(expected: total, got: rank >= 1 ? shape[0] : 0)
        }
        if counts.count == 1 { return [self] }
        var start = 0
        return counts.map { count in
            defer { start += count }
            return slice(rows: start..<(start + count))
        }
    }
}
