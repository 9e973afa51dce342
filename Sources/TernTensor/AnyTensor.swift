/// What every ``Tensor`` offers whatever its element type: the view
/// ``AnyTensor`` gives of the tensor it holds.
public protocol TypedTensor: Sendable {
    var shape: Shape { get }
    var count: Int { get }
    /// The element type.
    var dtype: DType { get }
    /// Calls `body` with the elements' bytes in little-endian order (for
    /// strings: each as a 4-byte little-endian length and its UTF-8 bytes,
    /// the V2 binary layout of BYTES).
    func withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
    /// The elements converted to `Double` (`Bool` as 0 or 1; a string as
    /// the number it spells, else NaN).
    var doubleScalars: [Double] { get }
    /// The same elements in another shape of the same count.
    func reshapedAny(_ shape: Shape) throws -> AnyTensor
    /// Rows `range` of the first dimension.
    func sliceAny(rows range: Range<Int>) -> AnyTensor
    /// This tensor followed by `others` along the first dimension.
    /// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` when an element
    ///   type or a dimension after the first differs.
    func concatenatingRowsAny(_ others: [AnyTensor]) throws -> AnyTensor
}

extension Tensor: TypedTensor {
    public var dtype: DType { Scalar.dtype }

    public func withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        #if _endian(little)
        return try withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
        #else
        var copy = Array(withUnsafeBufferPointer { UnsafeRawBufferPointer($0) })
        let size = MemoryLayout<Scalar>.size
        for start in stride(from: 0, to: copy.count, by: size) { copy[start..<start + size].reverse() }
        return try copy.withUnsafeBytes { try body($0) }
        #endif
    }

    public var doubleScalars: [Double] { withUnsafeBufferPointer { $0.map { Scalar.dtype.double($0) } } }

    public func reshapedAny(_ shape: Shape) throws -> AnyTensor { AnyTensor(try reshaped(shape)) }

    public func sliceAny(rows range: Range<Int>) -> AnyTensor { AnyTensor(slice(rows: range)) }

    public func concatenatingRowsAny(_ others: [AnyTensor]) throws -> AnyTensor {
        let parts = try [self] + others.map { other -> Tensor in
            guard let t = other.tensor(of: Scalar.self) else {
                throw TensorError.shapeMismatch(op: "concatenatingRows", expected: shape, actual: other.shape)
            }
            return t
        }
        let sample = Array(shape.dimensions.dropFirst())
        guard rank >= 1, parts.allSatisfy({ $0.rank == rank && Array($0.shape.dimensions.dropFirst()) == sample }) else {
            throw TensorError.shapeMismatch(op: "concatenatingRows", expected: shape, actual: parts.first { Array($0.shape.dimensions.dropFirst()) != sample }?.shape ?? shape)
        }
        let rows = parts.reduce(0) { $0 + $1.shape[0] }
        var out = Tensor(uninitialized: Shape([rows] + sample))
        out.withUnsafeMutableBufferPointer { dst in
            var offset = 0
            for part in parts {
                part.withUnsafeBufferPointer { src in
                    if let base = src.baseAddress, src.count > 0 { (dst.baseAddress! + offset).initialize(from: base, count: src.count) }
                    offset += src.count
                }
            }
        }
        return AnyTensor(out)
    }
}

extension DType {
    /// `value` (of this element type) as a `Double`.
    func double<S: TensorScalar>(_ value: S) -> Double {
        switch value {
        case let v as Bool: return v ? 1 : 0
        case let v as UInt8: return Double(v)
        case let v as UInt16: return Double(v)
        case let v as UInt32: return Double(v)
        case let v as UInt64: return Double(v)
        case let v as Int8: return Double(v)
        case let v as Int16: return Double(v)
        case let v as Int32: return Double(v)
        case let v as Int64: return Double(v)
        case let v as Float16: return Double(v)
        case let v as Float: return Double(v)
        case let v as Double: return v
        default: return .nan
        }
    }
}

/// A tensor of any element type: what files, wire protocols and models
/// exchange. Models compute on `float32`; the other types carry data.
public enum AnyTensor: Sendable, Equatable {
    case bool(Tensor<Bool>)
    case uint8(Tensor<UInt8>)
    case uint16(Tensor<UInt16>)
    case uint32(Tensor<UInt32>)
    case uint64(Tensor<UInt64>)
    case int8(Tensor<Int8>)
    case int16(Tensor<Int16>)
    case int32(Tensor<Int32>)
    case int64(Tensor<Int64>)
    case float16(Tensor<Float16>)
    case float32(Tensor<Float>)
    case float64(Tensor<Double>)
    case string(StringTensor)

    /// Wraps a typed tensor. (Compares metatypes, which is a pointer
    /// comparison, rather than casting dynamically: ONNX kernels wrap every
    /// result this way.)
    public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>) {
        func cast<T: TensorScalar>(_: T.Type) -> Tensor<T> { unsafeBitCast(tensor, to: Tensor<T>.self) }
        if Scalar.self == Float.self { self = .float32(cast(Float.self)) }
        else if Scalar.self == Int64.self { self = .int64(cast(Int64.self)) }
        else if Scalar.self == UInt8.self { self = .uint8(cast(UInt8.self)) }
        else if Scalar.self == Bool.self { self = .bool(cast(Bool.self)) }
        else if Scalar.self == Int32.self { self = .int32(cast(Int32.self)) }
        else if Scalar.self == Double.self { self = .float64(cast(Double.self)) }
        else if Scalar.self == Float16.self { self = .float16(cast(Float16.self)) }
        else if Scalar.self == UInt16.self { self = .uint16(cast(UInt16.self)) }
        else if Scalar.self == UInt32.self { self = .uint32(cast(UInt32.self)) }
        else if Scalar.self == UInt64.self { self = .uint64(cast(UInt64.self)) }
        else if Scalar.self == Int8.self { self = .int8(cast(Int8.self)) }
        else if Scalar.self == Int16.self { self = .int16(cast(Int16.self)) }
        else { preconditionFailure("unsupported tensor scalar type \(Scalar.self)") }
    }

    /// The tensor held, whatever its element type.
    public var typed: any TypedTensor {
        switch self {
        case let .bool(t): return t
        case let .uint8(t): return t
        case let .uint16(t): return t
        case let .uint32(t): return t
        case let .uint64(t): return t
        case let .int8(t): return t
        case let .int16(t): return t
        case let .int32(t): return t
        case let .int64(t): return t
        case let .float16(t): return t
        case let .float32(t): return t
        case let .float64(t): return t
        case let .string(t): return t
        }
    }

    /// The element type.
    public var dtype: DType { typed.dtype }

    /// The dimensions.
    public var shape: Shape { typed.shape }

    /// The number of elements.
    public var count: Int { typed.count }

    /// The size of the elements in bytes.
    public var byteCount: Int { count * dtype.byteSize }

    /// The tensor with element type `Scalar`, or nil if it holds another type.
    public func tensor<Scalar: TensorScalar>(of _: Scalar.Type) -> Tensor<Scalar>? {
        func same<T: TensorScalar>(_ t: Tensor<T>) -> Tensor<Scalar>? {
            T.self == Scalar.self ? unsafeBitCast(t, to: Tensor<Scalar>.self) : nil
        }
        switch self {
        case let .bool(t): return same(t)
        case let .uint8(t): return same(t)
        case let .uint16(t): return same(t)
        case let .uint32(t): return same(t)
        case let .uint64(t): return same(t)
        case let .int8(t): return same(t)
        case let .int16(t): return same(t)
        case let .int32(t): return same(t)
        case let .int64(t): return same(t)
        case let .float16(t): return same(t)
        case let .float32(t): return same(t)
        case let .float64(t): return same(t)
        case .string: return nil
        }
    }

    /// Every element converted to `Double` (`Bool` as 0 or 1).
    public var doubleScalars: [Double] { typed.doubleScalars }

    /// Calls `body` with the elements' bytes in little-endian order.
    public func withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try typed.withLittleEndianBytes(body)
    }

    /// The batch size: the first dimension (1 for a tensor of rank 0).
    public var rows: Int { shape.rank > 0 ? shape[0] : 1 }

    /// Rows `range` of the first dimension.
    public func slice(rows range: Range<Int>) -> AnyTensor { typed.sliceAny(rows: range) }

    /// The same elements in another shape of the same count.
    /// - Throws: ``TensorError`` when the counts differ.
    public func reshaped(_ shape: Shape) throws -> AnyTensor { try typed.reshapedAny(shape) }

    /// The tensors stacked along the first dimension (every one of the same
    /// element type and the same dimensions after the first).
    /// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` otherwise, or for no tensors.
    public static func concatenatingRows(_ parts: [AnyTensor]) throws -> AnyTensor {
        guard let first = parts.first else { throw TensorError.shapeMismatch(op: "concatenatingRows", expected: Shape([0]), actual: Shape([0])) }
        if parts.count == 1 { return first }
        return try first.typed.concatenatingRowsAny(Array(parts.dropFirst()))
    }

    /// A tensor of `dtype` and `shape` holding zeros (`false`, empty strings).
    public static func zeros(_ dtype: DType, _ shape: Shape) -> AnyTensor {
        fromLittleEndian(UnsafeRawBufferPointer(start: nil, count: 0), dtype: dtype, shape: shape)
    }

    /// Reads a tensor of `dtype` and `shape` from little-endian `bytes`
    /// (`shape.count * dtype.byteSize` of them; missing bytes read as zero).
    /// A fixed-size `dtype` only: strings come out empty.
    public static func fromLittleEndian(_ bytes: UnsafeRawBufferPointer, dtype: DType, shape: Shape) -> AnyTensor {
        switch dtype {
        case .bool:
            // Any non-zero byte is true, so every stored bit pattern is a valid Bool.
            let raw: Tensor<UInt8> = load(bytes, shape)
            return .bool(raw.map { $0 != 0 })
        case .uint8: return .uint8(load(bytes, shape))
        case .uint16: return .uint16(load(bytes, shape))
        case .uint32: return .uint32(load(bytes, shape))
        case .uint64: return .uint64(load(bytes, shape))
        case .int8: return .int8(load(bytes, shape))
        case .int16: return .int16(load(bytes, shape))
        case .int32: return .int32(load(bytes, shape))
        case .int64: return .int64(load(bytes, shape))
        case .float16: return .float16(load(bytes, shape))
        case .float32: return .float32(load(bytes, shape))
        case .float64: return .float64(load(bytes, shape))
        case .string: return .string(StringTensor(shape: shape, repeating: ""))
        }
    }
}

/// Strings in row-major order with their shape: table columns and class
/// labels. An element may be missing (nil): a table cell without a value.
public struct StringTensor: TypedTensor, Equatable {
    public let shape: Shape
    public let values: [String?]

    /// - Throws: ``TensorError/countMismatch(op:expected:actual:)`` when
    ///   the counts differ.
    public init(shape: Shape, values: [String?]) throws {
        guard shape.count == values.count else {
            throw TensorError.countMismatch(op: "StringTensor.init", expected: shape.count, actual: values.count)
        }
        self.shape = shape
        self.values = values
    }

    public init(shape: Shape, repeating value: String) {
        self.shape = shape
        values = Array(repeating: value, count: shape.count)
    }

    public var count: Int { values.count }
    public var dtype: DType { .string }

    public func withLittleEndianBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var bytes: [UInt8] = []
        for value in values {
            let utf8 = Array((value ?? "").utf8)
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
        return try bytes.withUnsafeBytes(body)
    }

    public var doubleScalars: [Double] { values.map { $0.flatMap { Double($0) } ?? .nan } }

    public func reshapedAny(_ shape: Shape) throws -> AnyTensor { .string(try StringTensor(shape: shape, values: values)) }

    public func sliceAny(rows range: Range<Int>) -> AnyTensor {
        let row = shape.rank > 0 && shape[0] > 0 ? count / shape[0] : 0
        let dims = shape.rank > 0 ? [range.count] + shape.dimensions.dropFirst() : []
        return .string(StringTensor(unchecked: Shape(dims), Array(values[(range.lowerBound * row)..<(range.upperBound * row)])))
    }

    public func concatenatingRowsAny(_ others: [AnyTensor]) throws -> AnyTensor {
        var values = self.values
        var rows = shape.rank > 0 ? shape[0] : 0
        let sample = Array(shape.dimensions.dropFirst())
        for other in others {
            guard case let .string(t) = other, t.shape.rank == shape.rank, shape.rank >= 1,
                  Array(t.shape.dimensions.dropFirst()) == sample else {
                throw TensorError.shapeMismatch(op: "concatenatingRows", expected: shape, actual: other.shape)
            }
            values += t.values
            rows += t.shape[0]
        }
        return .string(StringTensor(unchecked: Shape([rows] + sample), values))
    }

    private init(unchecked shape: Shape, _ values: [String?]) {
        self.shape = shape
        self.values = values
    }
}

extension AnyTensor: CustomStringConvertible {
    public var description: String {
        let values = doubleScalars
        let shown = values.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "\(dtype.rawValue)\(shape.dimensions)[\(shown)\(values.count > 8 ? ", ..." : "")]"
    }
}

extension Tensor {
    /// `transform` applied to every element.
    @inlinable
    public func map<T: TensorScalar>(_ transform: (Scalar) throws -> T) rethrows -> Tensor<T> {
        var out = Tensor<T>(uninitialized: shape)
        try withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count { dst[i] = try transform(src[i]) }
            }
        }
        return out
    }
}

private func load<S: TensorScalar>(_ bytes: UnsafeRawBufferPointer, _ shape: Shape) -> Tensor<S> {
    var t = Tensor<S>(zeros: shape)
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
