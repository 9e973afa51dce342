import TernFormats
import TernTensor

/// A dense row-major array of one element type with its shape: how
/// ``ONNXValue`` holds the element types Tern's `Tensor` does not compute on
/// (INT64, DOUBLE, BOOL, ...).
public struct ONNXArray<Element: Sendable & Equatable>: Sendable, Equatable {
    public var shape: [Int]
    /// `shape`'s product of elements, row-major.
    public var scalars: [Element]

    /// - Precondition: `scalars.count` is the product of `shape`.
    public init(shape: [Int], scalars: [Element]) {
        precondition(shape.reduce(1, *) == scalars.count, "ONNXArray: \(scalars.count) elements for shape \(shape)")
        self.shape = shape
        self.scalars = scalars
    }

    public var count: Int { scalars.count }
}

/// A value flowing through an ``ONNXExecutor``: one tensor of a supported
/// element type. FLOAT is a Tern `Tensor<Float>`, so the heavy operators run
/// on Tern's kernels; the other types are plain arrays.
public enum ONNXValue: Sendable, Equatable {
    case float(Tensor<Float>)
    case double(ONNXArray<Double>)
    case int64(ONNXArray<Int64>)
    case int32(ONNXArray<Int32>)
    case uint8(ONNXArray<UInt8>)
    case bool(ONNXArray<Bool>)

    /// The ONNX element type.
    public var dataType: ONNXDataType {
        switch self {
        case .float: return .float
        case .double: return .double
        case .int64: return .int64
        case .int32: return .int32
        case .uint8: return .uint8
        case .bool: return .bool
        }
    }

    /// The dimensions (empty for a scalar).
    public var shape: [Int] {
        switch self {
        case let .float(t): return t.shape.dimensions
        case let .double(a): return a.shape
        case let .int64(a): return a.shape
        case let .int32(a): return a.shape
        case let .uint8(a): return a.shape
        case let .bool(a): return a.shape
        }
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }

    /// The FLOAT tensor, or nil for another element type.
    public var floatTensor: Tensor<Float>? {
        if case let .float(t) = self { return t }
        return nil
    }

    /// The INT64 elements, or nil for another element type.
    public var int64Scalars: [Int64]? {
        if case let .int64(a) = self { return a.scalars }
        return nil
    }

    /// The BOOL elements, or nil for another element type.
    public var boolScalars: [Bool]? {
        if case let .bool(a) = self { return a.scalars }
        return nil
    }

    /// A FLOAT value from a shape and row-major elements.
    /// - Precondition: the counts agree.
    public static func float(shape: [Int], _ scalars: [Float]) -> ONNXValue {
        .float(try! Tensor(shape: Shape(shape), scalars: scalars))
    }

    /// An INT64 value from a shape and row-major elements.
    public static func int64(shape: [Int], _ scalars: [Int64]) -> ONNXValue {
        .int64(ONNXArray(shape: shape, scalars: scalars))
    }

    /// A BOOL value from a shape and row-major elements.
    public static func bool(shape: [Int], _ scalars: [Bool]) -> ONNXValue {
        .bool(ONNXArray(shape: shape, scalars: scalars))
    }

    /// A DOUBLE value from a shape and row-major elements.
    public static func double(shape: [Int], _ scalars: [Double]) -> ONNXValue {
        .double(ONNXArray(shape: shape, scalars: scalars))
    }

    /// Every element converted to Double (BOOL as 0/1), for tests and display.
    public var doubleScalars: [Double] {
        switch self {
        case let .float(t): return t.scalars.map(Double.init)
        case let .double(a): return a.scalars
        case let .int64(a): return a.scalars.map(Double.init)
        case let .int32(a): return a.scalars.map(Double.init)
        case let .uint8(a): return a.scalars.map(Double.init)
        case let .bool(a): return a.scalars.map { $0 ? 1 : 0 }
        }
    }
}

extension ONNXValue: CustomStringConvertible {
    public var description: String {
        let shown = doubleScalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "\(dataType.name)\(shape)[\(shown)\(count > 8 ? ", ..." : "")]"
    }
}

extension ONNXValue {
    /// Converts a constant tensor from the file (raw little-endian bytes).
    /// - Throws: ``ONNXKernelError`` for element types the executor does not
    ///   compute on (FLOAT16, STRING, ...) or a byte count that disagrees
    ///   with the shape.
    init(_ data: ONNXTensorData) throws {
        let count = data.count
        guard let size = data.dataType.byteSize, data.bytes.count == count * size else {
            throw ONNXKernelError(
                "tensor '\(data.name)' of type \(data.dataType.name) has \(data.bytes.count) bytes for shape \(data.shape)")
        }
        let shape = data.shape
        switch data.dataType {
        case .float:
            let bits: [UInt32] = littleEndian(data.bytes, count)
            self = .float(try Tensor(shape: Shape(shape), scalars: bits.lazy.map(Float.init(bitPattern:))))
        case .double:
            let bits: [UInt64] = littleEndian(data.bytes, count)
            self = .double(ONNXArray(shape: shape, scalars: bits.map(Double.init(bitPattern:))))
        case .int64:
            let bits: [UInt64] = littleEndian(data.bytes, count)
            self = .int64(ONNXArray(shape: shape, scalars: bits.map { Int64(bitPattern: $0) }))
        case .int32:
            let bits: [UInt32] = littleEndian(data.bytes, count)
            self = .int32(ONNXArray(shape: shape, scalars: bits.map { Int32(bitPattern: $0) }))
        case .uint8:
            self = .uint8(ONNXArray(shape: shape, scalars: data.bytes))
        case .bool:
            self = .bool(ONNXArray(shape: shape, scalars: data.bytes.map { $0 != 0 }))
        default:
            throw ONNXKernelError("tensor '\(data.name)' has element type \(data.dataType.name), which the executor does not support")
        }
    }
}

/// Reads `count` little-endian unsigned integers of type `T` from `bytes`.
private func littleEndian<T: FixedWidthInteger & UnsignedInteger>(_ bytes: [UInt8], _ count: Int) -> [T] {
    let size = MemoryLayout<T>.size
    return [T](unsafeUninitializedCapacity: count) { out, initialized in
        bytes.withUnsafeBytes { raw in
            for i in 0..<count { out[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self)) }
        }
        initialized = count
    }
}

/// The element types of ``ONNXValue``, for operators written once for all of
/// them (layout operators, comparisons).
protocol ONNXElement: Sendable, Equatable {
    static var onnxType: ONNXDataType { get }
    static func wrap(_ shape: [Int], _ scalars: [Self]) -> ONNXValue
}

extension Float: ONNXElement {
    static var onnxType: ONNXDataType { .float }
    static func wrap(_ shape: [Int], _ scalars: [Float]) -> ONNXValue { .float(shape: shape, scalars) }
}

extension Double: ONNXElement {
    static var onnxType: ONNXDataType { .double }
    static func wrap(_ shape: [Int], _ scalars: [Double]) -> ONNXValue { .double(ONNXArray(shape: shape, scalars: scalars)) }
}

extension Int64: ONNXElement {
    static var onnxType: ONNXDataType { .int64 }
    static func wrap(_ shape: [Int], _ scalars: [Int64]) -> ONNXValue { .int64(ONNXArray(shape: shape, scalars: scalars)) }
}

extension Int32: ONNXElement {
    static var onnxType: ONNXDataType { .int32 }
    static func wrap(_ shape: [Int], _ scalars: [Int32]) -> ONNXValue { .int32(ONNXArray(shape: shape, scalars: scalars)) }
}

extension UInt8: ONNXElement {
    static var onnxType: ONNXDataType { .uint8 }
    static func wrap(_ shape: [Int], _ scalars: [UInt8]) -> ONNXValue { .uint8(ONNXArray(shape: shape, scalars: scalars)) }
}

extension Bool: ONNXElement {
    static var onnxType: ONNXDataType { .bool }
    static func wrap(_ shape: [Int], _ scalars: [Bool]) -> ONNXValue { .bool(ONNXArray(shape: shape, scalars: scalars)) }
}

extension ONNXValue {
    /// The same elements under a new shape with the same count (no copy).
    func reshaped(_ newShape: [Int]) -> ONNXValue {
        precondition(newShape.reduce(1, *) == count, "reshape changes the element count")
        switch self {
        case let .float(t): return .float(try! t.reshaped(Shape(newShape)))
        case let .double(a): return .double(ONNXArray(shape: newShape, scalars: a.scalars))
        case let .int64(a): return .int64(ONNXArray(shape: newShape, scalars: a.scalars))
        case let .int32(a): return .int32(ONNXArray(shape: newShape, scalars: a.scalars))
        case let .uint8(a): return .uint8(ONNXArray(shape: newShape, scalars: a.scalars))
        case let .bool(a): return .bool(ONNXArray(shape: newShape, scalars: a.scalars))
        }
    }

    /// A new value of `shape` whose element i is this value's element
    /// `sources[i]` (flat indices, already checked to be in range).
    func gathering(_ sources: [Int], shape: [Int]) -> ONNXValue {
        func pick<T>(_ s: [T]) -> [T] { sources.map { s[$0] } }
        switch self {
        case let .float(t):
            var out = Tensor<Float>(uninitialized: Shape(shape))
            t.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<sources.count { dst[i] = src[sources[i]] }
                }
            }
            return .float(out)
        case let .double(a): return .double(ONNXArray(shape: shape, scalars: pick(a.scalars)))
        case let .int64(a): return .int64(ONNXArray(shape: shape, scalars: pick(a.scalars)))
        case let .int32(a): return .int32(ONNXArray(shape: shape, scalars: pick(a.scalars)))
        case let .uint8(a): return .uint8(ONNXArray(shape: shape, scalars: pick(a.scalars)))
        case let .bool(a): return .bool(ONNXArray(shape: shape, scalars: pick(a.scalars)))
        }
    }

    /// Values of one element type joined along `axis` (shapes already checked).
    static func concatenating(_ parts: [ONNXValue], axis: Int, shape: [Int]) throws -> ONNXValue {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        func join<T: ONNXElement>(_ arrays: [[T]], _ lengths: [Int]) -> ONNXValue {
            var out: [T] = []
            out.reserveCapacity(shape.reduce(1, *))
            for o in 0..<outer {
                for (array, length) in zip(arrays, lengths) {
                    let chunk = length * inner
                    out.append(contentsOf: array[(o * chunk)..<((o + 1) * chunk)])
                }
            }
            return T.wrap(shape, out)
        }
        let lengths = parts.map { $0.shape[axis] }
        let type = parts[0].dataType
        guard parts.allSatisfy({ $0.dataType == type }) else {
            throw ONNXKernelError("inputs have different element types (\(parts.map(\.dataType.name).joined(separator: ", ")))")
        }
        switch type {
        case .float: return join(parts.map { $0.floatTensor!.scalars }, lengths)
        case .double: return join(parts.map { if case let .double(a) = $0 { a.scalars } else { [] } }, lengths)
        case .int64: return join(parts.map { $0.int64Scalars! }, lengths)
        case .int32: return join(parts.map { if case let .int32(a) = $0 { a.scalars } else { [] } }, lengths)
        case .uint8: return join(parts.map { if case let .uint8(a) = $0 { a.scalars } else { [] } }, lengths)
        case .bool: return join(parts.map { $0.boolScalars! }, lengths)
        default: throw ONNXKernelError("unsupported element type \(type.name)")
        }
    }
}
