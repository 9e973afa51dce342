import TernTensor

/// The values an ``ONNXExecutor`` computes on are Tern's ``AnyTensor``s:
/// FLOAT is a `Tensor<Float>` that Tern's kernels run on, the other element
/// types are `Tensor`s of their own scalars. These helpers are what the
/// operators share: shapes as `[Int]`, constants from the file, and the
/// layout operations written once for every element type.
extension AnyTensor {
    /// The dimensions (empty for a scalar).
    var dims: [Int] { shape.dimensions }
    var rank: Int { shape.rank }

    /// Converts a constant tensor from the file (raw little-endian bytes).
    /// - Throws: ``ONNXKernelError`` for a byte count that disagrees with the shape.
    init(_ data: ONNXTensorData) throws {
        let count = try ONNXLimits.elementCount(data.shape)
        guard data.dtype != .string, data.bytes.count == count * data.dtype.byteSize else {
            throw ONNXKernelError(
                "tensor '\(data.name)' of type \(data.dtype.onnxName) has \(data.bytes.count) bytes for shape \(data.shape)")
        }
        self = data.bytes.withUnsafeBytes { AnyTensor.fromLittleEndian($0, dtype: data.dtype, shape: Shape(data.shape)) }
    }

    /// The FLOAT tensor, or an error naming `what`.
    func requireFloat(_ what: String) throws -> Tensor<Float> {
        guard case let .float32(t) = self else { throw ONNXKernelError("\(what) must be FLOAT, got \(dtype.onnxName)") }
        return t
    }

    /// The FLOAT tensor, or nil for another element type.
    var floatTensor: Tensor<Float>? {
        if case let .float32(t) = self { return t }
        return nil
    }

    /// The elements as Int, for shape-like operands (INT64 or INT32).
    func indexScalars(_ what: String) throws -> [Int] {
        switch self {
        case let .int64(t): return t.withUnsafeBufferPointer { $0.map { Int(truncatingIfNeeded: $0) } }
        case let .int32(t): return t.withUnsafeBufferPointer { $0.map(Int.init) }
        default: throw ONNXKernelError("\(what) must be INT64 or INT32, got \(dtype.onnxName)")
        }
    }

    /// A tensor of `shape` from the elements (the counts agree by construction).
    static func make<T: TensorScalar>(_ shape: [Int], _ scalars: [T]) throws -> AnyTensor {
        AnyTensor(try Tensor(shape: Shape(shape), scalars: scalars))
    }

    /// The same elements under a new shape with the same count (no copy).
    func reshaped(_ newShape: [Int]) throws -> AnyTensor { try typed.reshapedAny(Shape(newShape)) }

    /// Applies `f` to the typed tensor held; STRING values are refused.
    func mapTyped(_ f: some ONNXTensorMap) throws -> AnyTensor {
        switch self {
        case let .bool(t): return try f(t)
        case let .uint8(t): return try f(t)
        case let .uint16(t): return try f(t)
        case let .uint32(t): return try f(t)
        case let .uint64(t): return try f(t)
        case let .int8(t): return try f(t)
        case let .int16(t): return try f(t)
        case let .int32(t): return try f(t)
        case let .int64(t): return try f(t)
        case let .float16(t): return try f(t)
        case let .float32(t): return try f(t)
        case let .float64(t): return try f(t)
        case .string: throw ONNXKernelError("STRING values are not supported")
        }
    }

    /// A new value of `shape` whose element i is this value's element
    /// `sources[i]` (flat indices, already checked to be in range).
    func gathering(_ sources: [Int], shape: [Int]) throws -> AnyTensor {
        struct Gather: ONNXTensorMap {
            let sources: [Int], shape: [Int]
            func callAsFunction<T: TensorScalar>(_ t: Tensor<T>) -> AnyTensor { AnyTensor(t.gathered(sources, shape: shape)) }
        }
        return try mapTyped(Gather(sources: sources, shape: shape))
    }

    /// Values of one element type joined along `axis` (shapes already checked).
    static func concatenating(_ parts: [AnyTensor], axis: Int, shape: [Int]) throws -> AnyTensor {
        struct Join: ONNXTensorMap {
            let parts: [AnyTensor], axis: Int, shape: [Int]
            func callAsFunction<T: TensorScalar>(_ first: Tensor<T>) throws -> AnyTensor {
                let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
                let typed = try parts.map { part in
                    guard let t = part.tensor(of: T.self) else {
                        throw ONNXKernelError("inputs have different element types (\(parts.map(\.dtype.onnxName).joined(separator: ", ")))")
                    }
                    return t
                }
                var out = Tensor<T>(uninitialized: Shape(shape))
                out.withUnsafeMutableBufferPointer { dst in
                    guard var d = dst.baseAddress else { return }
                    for o in 0..<outer {
                        for t in typed {
                            let chunk = t.shape[axis] * inner
                            t.withUnsafeBufferPointer { src in
                                guard let s = src.baseAddress, chunk > 0 else { return }
                                d.update(from: s + o * chunk, count: chunk)
                            }
                            d += chunk
                        }
                    }
                }
                return AnyTensor(out)
            }
        }
        guard let first = parts.first else { throw ONNXKernelError("nothing to concatenate") }
        _ = try ONNXLimits.elementCount(shape)
        return try first.mapTyped(Join(parts: parts, axis: axis, shape: shape))
    }
}

/// An operation written once for every element type (`AnyTensor.mapTyped`).
protocol ONNXTensorMap {
    func callAsFunction<T: TensorScalar>(_ t: Tensor<T>) throws -> AnyTensor
}

extension Tensor {
    /// A tensor of `shape` whose element i is this tensor's `sources[i]`.
    func gathered(_ sources: [Int], shape: [Int]) -> Tensor {
        var out = Tensor(uninitialized: Shape(shape))
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<Swift.min(sources.count, dst.count) { dst[i] = src[sources[i]] }
            }
        }
        return out
    }
}
