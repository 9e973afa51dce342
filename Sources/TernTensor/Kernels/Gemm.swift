import Dispatch

/// Tuning constants of ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``,
/// measured on a 2-core AVX-512 machine (see ``MatmulBenchmark``).
public enum GemmTuning {
    /// The zero-skipping path is used when, in blocks of 4 rows of A, at most
    /// this fraction of the columns has a non-zero in some row of the block
    /// (and n ≥ ``sparseMinimumColumns``). Its 4×64 tile over the listed
    /// columns runs at ~55–60% of the dense 8×32 tile's speed when B stays in
    /// cache (break-even ≈ 0.55 for batch 32) and slower for tall A that
    /// streams from memory (at 0.59, 10,000 rows took 1.8× the dense time),
    /// hence 0.5. For independent zeros with probability z the fraction is
    /// 1 − z⁴ (80% zeros → 0.59, dense path); for MNIST-like images, whose
    /// zeros cluster, it is lower (~0.3–0.4, zero-skipping path).
    public static let sparseDensityThreshold = 0.5
    /// Below this many output columns the per-entry overhead of the
    /// zero-skipping path outweighs the saved multiply-adds.
    public static let sparseMinimumColumns = 16
    /// Products with fewer multiply-adds than this (after zero-skipping) run
    /// on one thread: handing work to another thread costs ~10–20 µs.
    public static let multiplyAddsPerThread = 4_000_000
}

/// C (m×n) = op(A) · op(B), plus the old C when `accumulate` is true.
///
/// A is stored (m×k), or (k×m) when `transposeA`; B is stored (k×n), or (n×k)
/// when `transposeB`. Matrices are row-major; leading dimensions are in
/// elements and may exceed the row width. C must not overlap A or B.
///
/// The strategy is chosen from the operands: A's zero pattern is sampled
/// first (at most 16·k reads); when few enough columns of 4-row blocks of A
/// hold a non-zero (``GemmTuning/sparseDensityThreshold``) and n ≥ 16, a
/// zero-skipping kernel runs 4×64 register tiles over just those columns;
/// otherwise a register-tiled SIMD kernel (8×32 tiles) runs over all of k. B is packed into a zero-padded row-major copy
/// when transposed or when n is not a multiple of 16 (cost k·n, scratch 4·k·n
/// bytes). Both paths compute every element as the same fused multiply-add
/// chain in ascending k, so the path, the thread count and repeated calls all
/// give bit-identical results (zero-skipping differs only when B holds
/// infinities or NaNs that a zero in A would have multiplied).
///
/// - Parameter threads: `nil` picks automatically: one thread below
///   ``GemmTuning/multiplyAddsPerThread`` multiply-adds, up to
///   ``ComputeThreads/maximum`` above. Threads split the rows of C, never
///   the k summation. An explicit count is used as given (at least 1).
/// Cost: 2·m·n·k flops dense, 2·nnz(A)·n when zero-skipping.
public func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false,
    threads: Int? = nil
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative dimension")
    precondition(lda >= max(1, transposeA ? m : k), "gemm: lda smaller than A's stored width")
    precondition(ldb >= max(1, transposeB ? k : n), "gemm: ldb smaller than B's stored width")
    precondition(ldc >= max(1, n), "gemm: ldc smaller than n")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }

    let padded = (n + 15) / 16 * 16
    let needsPacking = transposeB || padded != n
    let packed: UnsafeMutablePointer<Float>? =
        needsPacking ? .allocate(capacity: k * padded) : nil
    defer { packed?.deallocate() }
    if let packed {
        gemmPackB(transposed: transposeB, n: n, k: k, b: b, ldb: ldb, into: packed, width: padded)
    }
    let problem = GemmProblem(
        a: a, aRowStride: transposeA ? 1 : lda, aColStride: transposeA ? lda : 1,
        b: packed.map { UnsafePointer($0) } ?? b, ldb: packed == nil ? ldb : padded,
        c: c, ldc: ldc, m: m, n: n, k: k, accumulate: accumulate)

    var multiplyAdds = Double(m) * Double(n) * Double(k)
    var sparse = false
    if n >= GemmTuning.sparseMinimumColumns {
        let density = gemmUnionDensity(
            a, rs: problem.aRowStride, cs: problem.aColStride, m: m, k: k)
        if density <= GemmTuning.sparseDensityThreshold {
            sparse = true
            multiplyAdds *= density
        }
    }

    let automatic = Int(multiplyAdds / Double(GemmTuning.multiplyAddsPerThread)) + 1
    let requested = max(1, threads ?? min(automatic, ComputeThreads.maximum))
    // Dense row ranges stay multiples of the 8-row tile.
    let granule = sparse ? 1 : 8
    let blocks = (m + granule - 1) / granule
    let parts = min(requested, blocks)
    if parts <= 1 {
        problem.run(rows: 0..<m, sparse: sparse)
        return
    }
    let useSparse = sparse
    DispatchQueue.concurrentPerform(iterations: parts) { part in
        let first = blocks * part / parts * granule
        let last = min(m, blocks * (part + 1) / parts * granule)
        if first < last { problem.run(rows: first..<last, sparse: useSparse) }
    }
}

/// Copies op(B) (k × n) into `into` as row-major k × `width`, zero-filling
/// columns n..<width. Cost: k·width element moves.
func gemmPackB(
    transposed: Bool, n: Int, k: Int, b: UnsafePointer<Float>, ldb: Int,
    into dst: UnsafeMutablePointer<Float>, width: Int
) {
    if !transposed {
        for p in 0..<k {
            (dst + p * width).update(from: b + p * ldb, count: n)
            (dst + p * width + n).update(repeating: 0, count: width - n)
        }
        return
    }
    // op(B)[p, j] = b[j·ldb + p]: transpose in 16×16 blocks for locality.
    for p0 in stride(from: 0, to: k, by: 16) {
        let p1 = min(k, p0 + 16)
        for j0 in stride(from: 0, to: n, by: 16) {
            let j1 = min(n, j0 + 16)
            for p in p0..<p1 {
                let row = dst + p * width
                for j in j0..<j1 { row[j] = b[j * ldb + p] }
            }
        }
        for p in p0..<p1 { (dst + p * width + n).update(repeating: 0, count: width - n) }
    }
}

/// The fraction of columns p, over sampled blocks of 4 rows of op(A)
/// (op(A)[i, p] = a[i·rs + p·cs]), where any of the block's rows is non-zero:
/// the share of the dense work the zero-skipping kernel still does. Samples
/// at most 4 blocks spread over the rows (fewer than 4 rows: those rows).
/// Cost: at most 16·k reads, vectorised when A's rows are contiguous.
func gemmUnionDensity(_ a: UnsafePointer<Float>, rs: Int, cs: Int, m: Int, k: Int) -> Double {
    let height = min(4, m)
    let blocks = min(4, m / height)
    var listed = 0
    for block in 0..<blocks {
        let first = (m / height) * block / blocks * height
        var p = 0
        if cs == 1 {
            var counts = SIMD16<UInt32>()
            while p + 16 <= k {
                var bits = SIMD16<UInt32>()
                for r in first..<(first + height) {
                    bits |= unsafeBitCast(GemmTiles.load(a + r * rs + p), to: SIMD16<UInt32>.self)
                }
                counts &+= SIMD16<UInt32>().replacing(with: 1, where: bits & 0x7fff_ffff .!= 0)
                p += 16
            }
            listed += Int(counts.wrappedSum())
        }
        while p < k {
            var bits: UInt32 = 0
            for r in first..<(first + height) { bits |= a[r * rs + p * cs].bitPattern }
            listed &+= bits & 0x7fff_ffff != 0 ? 1 : 0
            p += 1
        }
    }
    return Double(listed) / (Double(blocks) * Double(k))
}
