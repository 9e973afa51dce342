extension Tensor where Scalar == Float {
    /// The matrix product op(self) · op(other), op = transpose when asked.
    ///
    /// self is (m×k), or stored (k×m) when `transposeSelf`; other is (k×n), or
    /// stored (n×k) when `transposeOther`. Returns (m×n). Uses
    /// ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``.
    /// Cost: 2·m·n·k flops (less for sparse self).
    /// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` when either
    ///   operand is not rank 2 or the inner dimensions differ.
    public func matmul(
        _ other: Tensor<Float>, transposeSelf: Bool = false, transposeOther: Bool = false
    ) throws -> Tensor<Float> {
        guard rank == 2 else {
            throw TensorError.shapeMismatch(op: "matmul (left operand must be a matrix)", expected: [-1, -1], actual: shape)
        }
        guard other.rank == 2 else {
            throw TensorError.shapeMismatch(op: "matmul (right operand must be a matrix)", expected: [-1, -1], actual: other.shape)
        }
        let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (otherK, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        guard otherK == k else {
            let expected: Shape = transposeOther ? [n, k] : [k, n]
            throw TensorError.shapeMismatch(op: "matmul", expected: expected, actual: other.shape)
        }
        var result = Tensor(uninitialized: [m, n])
        withUnsafeBufferPointer { lhs in
            other.withUnsafeBufferPointer { rhs in
                result.withUnsafeMutableBufferPointer { out in
                    guard let a = lhs.baseAddress, let b = rhs.baseAddress, let c = out.baseAddress else { return }
                    gemm(
                        transposeA: transposeSelf, transposeB: transposeOther, m: m, n: n, k: k,
                        a: a, lda: max(1, shape[1]), b: b, ldb: max(1, other.shape[1]),
                        c: c, ldc: max(1, n))
                }
            }
        }
        return result
    }
}
