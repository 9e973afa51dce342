/// The reference matrix product: a plain triple loop, obviously correct and
/// slow (about 1 GFLOP/s). Tests compare ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``
/// against it.
///
/// C (m×n) = op(A) · op(B), plus the old C when `accumulate` is true. A is
/// stored (m×k), or (k×m) when `transposeA`; B is stored (k×n), or (n×k) when
/// `transposeB`. Matrices are row-major with leading dimensions in elements.
/// Cost: m·n·k multiply-adds, no extra memory.
public func gemmNaive(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false
) {
    for i in 0..<m {
        for j in 0..<n {
            var sum: Float = 0
            for p in 0..<k {
                let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                sum += x * y
            }
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum
        }
    }
}
