import TernTensor

/// A tensor of any supported element type, as stored in a file.
public enum AnyTensor: Sendable, Equatable {
    case float32(Tensor<Float>)
    case int32(Tensor<Int32>)
    case uint8(Tensor<UInt8>)

    /// Wraps a typed tensor.
    public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>) {
        if let t = tensor as? Tensor<Float> {
            self = .float32(t)
        } else if let t = tensor as? Tensor<Int32> {
            self = .int32(t)
        } else if let t = tensor as? Tensor<UInt8> {
            self = .uint8(t)
        } else {
            // TensorScalar is implemented only by Float, Int32 and UInt8 (see DType).
            preconditionFailure("unsupported tensor scalar type \(Scalar.self)")
        }
    }

    /// The element type.
    public var dtype: DType {
        switch self {
        case .float32: return .float32
        case .int32: return .int32
        case .uint8: return .uint8
        }
    }

    /// The dimensions.
    public var shape: Shape {
        switch self {
        case let .float32(t): return t.shape
        case let .int32(t): return t.shape
        case let .uint8(t): return t.shape
        }
    }

    /// The number of elements.
    public var count: Int {
        switch self {
        case let .float32(t): return t.count
        case let .int32(t): return t.count
        case let .uint8(t): return t.count
        }
    }

    /// The size of the elements in bytes.
    public var byteCount: Int { count * dtype.byteSize }

    /// The tensor with element type `Scalar`, or nil if it holds another type.
    public func tensor<Scalar: TensorScalar>(of _: Scalar.Type) -> Tensor<Scalar>? {
        switch self {
        case let .float32(t): return t as? Tensor<Scalar>
        case let .int32(t): return t as? Tensor<Scalar>
        case let .uint8(t): return t as? Tensor<Scalar>
        }
    }

    /// Calls `body` with the elements' bytes in little-endian order.
    func withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case let .float32(t): return try littleEndianBytes(t, body)
        case let .int32(t): return try littleEndianBytes(t, body)
        case let .uint8(t): return try t.withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Reads a tensor of `dtype` and `shape` from little-endian `bytes`, whose
    /// count must be `shape.count * dtype.byteSize`.
    static func fromLittleEndian(_ bytes: UnsafeRawBufferPointer, dtype: DType, shape: Shape) -> AnyTensor {
        switch dtype {
        case .float32: return .float32(load(bytes, shape))
        case .int32: return .int32(load(bytes, shape))
        case .uint8: return .uint8(load(bytes, shape))
        }
    }
}

private func littleEndianBytes<S: TensorScalar, R>(
    _ t: Tensor<S>, _ body: (UnsafeRawBufferPointer) throws -> R
) rethrows -> R {
    #if _endian(little)
    return try t.withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
    #else
    var copy = Array(t.withUnsafeBufferPointer { UnsafeRawBufferPointer($0) })
    reverseEachElement(&copy, size: MemoryLayout<S>.size)
    return try copy.withUnsafeBytes { try body($0) }
    #endif
}

private func load<S: TensorScalar>(_ bytes: UnsafeRawBufferPointer, _ shape: Shape) -> Tensor<S> {
    var t = Tensor<S>(uninitialized: shape)
    t.withUnsafeMutableBufferPointer { dst in
        let raw = UnsafeMutableRawBufferPointer(dst)
        raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, raw.count)]))
        #if _endian(big)
        let size = MemoryLayout<S>.size
        for start in stride(from: 0, to: raw.count, by: size) {
            var lo = start, hi = start + size - 1
            while lo < hi { raw.swapAt(lo, hi); lo += 1; hi -= 1 }
        }
        #endif
    }
    return t
}

#if _endian(big)
private func reverseEachElement(_ bytes: inout [UInt8], size: Int) {
    for start in stride(from: 0, to: bytes.count, by: size) { bytes[start..<start + size].reverse() }
}
#endif
