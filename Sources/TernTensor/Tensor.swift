/// An n-dimensional array of scalars in row-major order: a value type with
/// copy-on-write storage, so copies are cheap and a copy never observes a
/// later write to the original.
public struct Tensor<Scalar: TensorScalar>: Sendable {
    public private(set) var shape: Shape
    @usableFromInline var storage: TensorStorage<Scalar>

    /// A tensor of `shape` filled with `value`.
    public init(repeating value: Scalar, shape: Shape) {
        self.shape = shape
        self.storage = TensorStorage(repeating: value, count: shape.count)
    }

    /// A zero-filled tensor.
    public init(zeros shape: Shape) { self.init(repeating: .zero, shape: shape) }

    /// A tensor whose contents are unspecified; the caller writes every element.
    public init(uninitialized shape: Shape) {
        self.shape = shape
        self.storage = TensorStorage(uninitializedCount: shape.count)
    }

    /// Wraps `scalars` in `shape`. Inlinable so that it is specialised for
    /// the caller's collection type (a generic copy loop costs ~100x more).
    /// - Throws: ``TensorError/countMismatch(op:expected:actual:)`` when the
    ///   counts differ.
    @inlinable
    public init(shape: Shape, scalars: some Collection<Scalar>) throws {
        guard shape.count == scalars.count else {
            throw TensorError.countMismatch(op: "Tensor.init", expected: shape.count, actual: scalars.count)
        }
        self.init(uninitialized: shape)
        var i = 0
        for s in scalars { storage.base[i] = s; i += 1 }
    }

    /// A rank-1 tensor.
    public init(_ scalars: [Scalar]) {
        self.init(uninitialized: [scalars.count])
        scalars.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress!, count: $0.count) }
    }

    public var count: Int { storage.count }
    public var rank: Int { shape.rank }

    /// The elements in row-major order.
    public var scalars: [Scalar] { withUnsafeBufferPointer { Array($0) } }

    /// Reads the buffer without copying.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// Writes the buffer, copying it first if it is shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: storage.count))
    }

    /// Element access by flat (row-major) index.
    public subscript(flat index: Int) -> Scalar {
        get { precondition(index >= 0 && index < count, "index out of range"); return storage.base[index] }
        set {
            precondition(index >= 0 && index < count, "index out of range")
            withUnsafeMutableBufferPointer { $0[index] = newValue }
        }
    }

    /// Element access by one index per dimension.
    public subscript(indices: Int...) -> Scalar {
        get { self[flat: flatIndex(indices)] }
        set { self[flat: flatIndex(indices)] = newValue }
    }

    private func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == rank, "expected \(rank) indices, got \(indices.count)")
        var flat = 0
        for (axis, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(i) out of range for axis \(axis)")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    /// The same elements under another shape with the same count.
    /// - Throws: ``TensorError/countMismatch(op:expected:actual:)``.
    public func reshaped(_ newShape: Shape) throws -> Tensor {
        guard newShape.count == count else {
            throw TensorError.countMismatch(op: "reshape to \(newShape)", expected: count, actual: newShape.count)
        }
        var copy = self
        copy.shape = newShape
        return copy
    }

    /// Rows `range` of the first axis, copied into a new tensor.
    public func slice(rows range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "row range out of bounds")
        let rowSize = shape.count / Swift.max(shape[0], 1)
        var out = Tensor(uninitialized: Shape([range.count] + shape.dimensions.dropFirst()))
        out.withUnsafeMutableBufferPointer { dst in
            dst.baseAddress!.update(from: storage.base + range.lowerBound * rowSize, count: range.count * rowSize)
        }
        return out
    }

    /// Rows picked by `indices` along the first axis (a gather), in that order.
    public func gatherRows(_ indices: some Collection<Int>) -> Tensor {
        let rowSize = shape.count / Swift.max(shape[0], 1)
        var out = Tensor(uninitialized: Shape([indices.count] + shape.dimensions.dropFirst()))
        out.withUnsafeMutableBufferPointer { dst in
            var offset = 0
            for i in indices {
                precondition(i >= 0 && i < shape[0], "row index out of bounds")
                (dst.baseAddress! + offset).update(from: storage.base + i * rowSize, count: rowSize)
                offset += rowSize
            }
        }
        return out
    }

    /// Whether two tensors share storage (for copy-on-write tests).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}

extension Tensor: Equatable {
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return true }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)[\(shown)\(count > 8 ? ", ..." : "")]"
    }
}

extension Tensor where Scalar == Float {
    /// Converts bytes to floats, multiplying by `scale`.
    public init(_ bytes: Tensor<UInt8>, scale: Float = 1) {
        self.init(uninitialized: bytes.shape)
        withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                for i in 0..<src.count { dst[i] = Float(src[i]) * scale }
            }
        }
    }

    /// Converts bytes to floats as `Float(byte) · scale + offset` (rounded
    /// after the product and after the sum, no fused multiply-add).
    public init(_ bytes: Tensor<UInt8>, scale: Float, offset: Float) {
        self.init(uninitialized: bytes.shape)
        withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                for i in 0..<src.count { dst[i] = Float(src[i]) * scale + offset }
            }
        }
    }
}
