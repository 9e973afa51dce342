/// A fixed-size, 64-byte aligned buffer of scalars: the heap part of a
/// ``Tensor``. Alignment lets the vector kernels use aligned loads.
///
/// `@unchecked Sendable`: a storage is only written through a ``Tensor`` that
/// holds the sole reference to it (checked with `isKnownUniquelyReferenced`
/// before every write), so a shared storage is never mutated.
@usableFromInline final class TensorStorage<Scalar: TensorScalar>: @unchecked Sendable {
    @usableFromInline let count: Int
    @usableFromInline let base: UnsafeMutablePointer<Scalar>

    /// Allocates `count` uninitialised scalars (TensorScalar types are trivial).
    @usableFromInline init(uninitializedCount count: Int) {
        self.count = count
        let bytes = max(1, count * MemoryLayout<Scalar>.stride)
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            .bindMemory(to: Scalar.self, capacity: max(1, count))
    }

    convenience init(repeating value: Scalar, count: Int) {
        self.init(uninitializedCount: count)
        base.initialize(repeating: value, count: count)
    }

    @usableFromInline func copy() -> TensorStorage {
        let new = TensorStorage(uninitializedCount: count)
        new.base.update(from: base, count: count)
        return new
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}

/// The element types a ``Tensor`` can hold: trivial values of a fixed size.
/// The kernels compute on `Float`; the other types carry data in and out
/// (file formats, wire protocols, ONNX graphs).
public protocol TensorScalar: Sendable, Hashable, Codable, BitwiseCopyable {
    /// The element type tag.
    static var dtype: DType { get }
    /// The value a zero-filled tensor holds (`false` for `Bool`).
    static var zero: Self { get }
}

/// Element type tags, spelled as in the safetensors format.
public enum DType: String, Sendable, Codable, CaseIterable {
    case bool = "BOOL"
    case uint8 = "U8"
    case uint16 = "U16"
    case uint32 = "U32"
    case uint64 = "U64"
    case int8 = "I8"
    case int16 = "I16"
    case int32 = "I32"
    case int64 = "I64"
    case float16 = "F16"
    case float32 = "F32"
    case float64 = "F64"
    /// Text (or raw bytes as ISO Latin-1 text): table columns and class
    /// labels; held by ``StringTensor``, not by a ``Tensor``.
    case string = "STRING"

    /// Bytes per element (0 for ``string``, whose elements vary in size).
    public var byteSize: Int {
        switch self {
        case .string: return 0
        case .bool, .uint8, .int8: return 1
        case .uint16, .int16, .float16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        }
    }

    /// Whether the elements are integers (not `bool`, not floating point).
    public var isInteger: Bool {
        switch self {
        case .uint8, .uint16, .uint32, .uint64, .int8, .int16, .int32, .int64: return true
        case .bool, .float16, .float32, .float64, .string: return false
        }
    }

    /// Whether the elements are floating point.
    public var isFloatingPoint: Bool { self == .float16 || self == .float32 || self == .float64 }
}

extension Bool: TensorScalar {
    public static var dtype: DType { .bool }
    public static var zero: Bool { false }
}
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
extension UInt16: TensorScalar { public static var dtype: DType { .uint16 } }
extension UInt32: TensorScalar { public static var dtype: DType { .uint32 } }
extension UInt64: TensorScalar { public static var dtype: DType { .uint64 } }
extension Int8: TensorScalar { public static var dtype: DType { .int8 } }
extension Int16: TensorScalar { public static var dtype: DType { .int16 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Float16: TensorScalar { public static var dtype: DType { .float16 } }
extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
