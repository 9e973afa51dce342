/// A fixed-size, 64-byte aligned buffer of scalars: the heap part of a
/// ``Tensor``. Alignment lets the vector kernels use aligned loads.
///
/// `@unchecked Sendable`: a storage is only written through a ``Tensor`` that
/// holds the sole reference to it (checked with `isKnownUniquelyReferenced`
/// before every write), so a shared storage is never mutated.
public final class TensorStorage<Scalar: TensorScalar>: @unchecked Sendable {
    public let count: Int
    public let base: UnsafeMutablePointer<Scalar>

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

/// The element types a ``Tensor`` can hold: trivial numbers.
public protocol TensorScalar: Numeric, Sendable, Hashable, Codable, BitwiseCopyable {
    /// The safetensors / ONNX-style name of the type, e.g. `F32`.
    static var dtype: DType { get }
}

/// Element type tags, spelled as in the safetensors format.
public enum DType: String, Sendable, Codable, CaseIterable {
    case float32 = "F32"
    case int32 = "I32"
    case uint8 = "U8"

    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .uint8: return 1
        }
    }
}

extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
