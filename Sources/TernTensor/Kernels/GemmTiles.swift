/// Register-tiled inner kernels of ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``.
///
/// Every kernel computes each output element as one fused multiply-add chain
/// over p = 0..<k in ascending order, starting from +0, then adds the old C
/// when accumulating. Skipping a zero A entry leaves such a chain unchanged
/// (for finite B), so the dense and zero-skipping kernels, and any split of
/// the output across threads, give bit-identical results.
///
/// Operands: op(A)[i, p] = a[i·rs + p·cs]; op(B) is row-major with stride
/// `ldb`, and every 16-wide column vector up to the padded width is loadable.
enum GemmTiles {
    typealias V = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    /// Writes the first `valid` lanes of `v` to `p` (all 16 when valid ≥ 16),
    /// adding the old values first when `accumulate`.
    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ valid: Int, _ accumulate: Bool) {
        if valid >= 16 {
            let out = accumulate ? v + load(p) : v
            UnsafeMutableRawPointer(p).storeBytes(of: out, as: V.self)
        } else if valid > 0 {
            for t in 0..<valid { p[t] = accumulate ? v[t] + p[t] : v[t] }
        }
    }

    /// An 8-row × 32-column tile: 16 accumulators, 2 vector loads of B and 8
    /// broadcasts of A per step of k. `cols` (1...32) columns are stored.
    @inline(__always)
    static func tile8x32(
        _ a: UnsafePointer<Float>, _ rs: Int, _ cs: Int, _ k: Int,
        _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ accumulate: Bool
    ) {
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var pa = a, pb = b
        for _ in 0..<k {
            let b0 = load(pb), b1 = load(pb + 16)
            var x = V(repeating: pa[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: pa[rs])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: pa[2 &* rs])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: pa[3 &* rs])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = V(repeating: pa[4 &* rs])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = V(repeating: pa[5 &* rs])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            x = V(repeating: pa[6 &* rs])
            c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1)
            x = V(repeating: pa[7 &* rs])
            c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1)
            pa += cs; pb += ldb
        }
        let hi = cols &- 16
        store(c00, c, cols, accumulate); store(c01, c + 16, hi, accumulate)
        var row = c + ldc
        store(c10, row, cols, accumulate); store(c11, row + 16, hi, accumulate); row += ldc
        store(c20, row, cols, accumulate); store(c21, row + 16, hi, accumulate); row += ldc
        store(c30, row, cols, accumulate); store(c31, row + 16, hi, accumulate); row += ldc
        store(c40, row, cols, accumulate); store(c41, row + 16, hi, accumulate); row += ldc
        store(c50, row, cols, accumulate); store(c51, row + 16, hi, accumulate); row += ldc
        store(c60, row, cols, accumulate); store(c61, row + 16, hi, accumulate); row += ldc
        store(c70, row, cols, accumulate); store(c71, row + 16, hi, accumulate)
    }

    /// An 8-row × 16-column tile (the odd last column vector). `cols` (1...16)
    /// columns are stored.
    @inline(__always)
    static func tile8x16(
        _ a: UnsafePointer<Float>, _ rs: Int, _ cs: Int, _ k: Int,
        _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ cols: Int, _ accumulate: Bool
    ) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
        var pa = a, pb = b
        for _ in 0..<k {
            let b0 = load(pb)
            c0 = c0.addingProduct(V(repeating: pa[0]), b0)
            c1 = c1.addingProduct(V(repeating: pa[rs]), b0)
            c2 = c2.addingProduct(V(repeating: pa[2 &* rs]), b0)
            c3 = c3.addingProduct(V(repeating: pa[3 &* rs]), b0)
            c4 = c4.addingProduct(V(repeating: pa[4 &* rs]), b0)
            c5 = c5.addingProduct(V(repeating: pa[5 &* rs]), b0)
            c6 = c6.addingProduct(V(repeating: pa[6 &* rs]), b0)
            c7 = c7.addingProduct(V(repeating: pa[7 &* rs]), b0)
            pa += cs; pb += ldb
        }
        var row = c
        store(c0, row, cols, accumulate); row += ldc
        store(c1, row, cols, accumulate); row += ldc
        store(c2, row, cols, accumulate); row += ldc
        store(c3, row, cols, accumulate); row += ldc
        store(c4, row, cols, accumulate); row += ldc
        store(c5, row, cols, accumulate); row += ldc
        store(c6, row, cols, accumulate); row += ldc
        store(c7, row, cols, accumulate)
    }

    /// One output row, 128 columns: Σ over the listed entries of
    /// vals[q] · B[row offs[q], 0..<128], held in 8 registers and stored once.
    /// `offs[q]` is the element offset of B's row; `cols` (1...128) are stored.
    @inline(__always)
    static func row128(
        _ offs: UnsafePointer<Int>, _ vals: UnsafePointer<Float>, _ count: Int,
        _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ accumulate: Bool
    ) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V(), c6 = V(), c7 = V()
        for q in 0..<count {
            let x = V(repeating: vals[q])
            let r = b + offs[q]
            c0 = c0.addingProduct(x, load(r)); c1 = c1.addingProduct(x, load(r + 16))
            c2 = c2.addingProduct(x, load(r + 32)); c3 = c3.addingProduct(x, load(r + 48))
            c4 = c4.addingProduct(x, load(r + 64)); c5 = c5.addingProduct(x, load(r + 80))
            c6 = c6.addingProduct(x, load(r + 96)); c7 = c7.addingProduct(x, load(r + 112))
        }
        store(c0, c, cols, accumulate); store(c1, c + 16, cols &- 16, accumulate)
        store(c2, c + 32, cols &- 32, accumulate); store(c3, c + 48, cols &- 48, accumulate)
        store(c4, c + 64, cols &- 64, accumulate); store(c5, c + 80, cols &- 80, accumulate)
        store(c6, c + 96, cols &- 96, accumulate); store(c7, c + 112, cols &- 112, accumulate)
    }

    /// One output row, 16 columns, from the same entry list as ``row128``.
    @inline(__always)
    static func row16(
        _ offs: UnsafePointer<Int>, _ vals: UnsafePointer<Float>, _ count: Int,
        _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ cols: Int, _ accumulate: Bool
    ) {
        var c0 = V()
        for q in 0..<count { c0 = c0.addingProduct(V(repeating: vals[q]), load(b + offs[q])) }
        store(c0, c, cols, accumulate)
    }

    /// Lists the non-zero entries of one row of op(A) (k entries, stride `cs`)
    /// as (B row offset p·ldb, value) pairs in ascending p; returns how many.
    /// `offs` and `vals` need room for k entries. Cost: O(k), branch-free
    /// except for skipping all-zero 16-entry blocks of a contiguous row.
    @inline(__always)
    static func compactRow(
        _ a: UnsafePointer<Float>, _ cs: Int, _ k: Int, _ ldb: Int,
        _ offs: UnsafeMutablePointer<Int>, _ vals: UnsafeMutablePointer<Float>
    ) -> Int {
        var count = 0
        var p = 0
        if cs == 1 {
            while p &+ 16 <= k {
                let v = load(a + p)
                if any(v .!= V()) {
                    for t in 0..<16 {
                        let x = v[t]
                        offs[count] = (p &+ t) &* ldb
                        vals[count] = x
                        count &+= x.bitPattern & 0x7fff_ffff != 0 ? 1 : 0
                    }
                }
                p &+= 16
            }
        }
        while p < k {
            let x = a[p &* cs]
            offs[count] = p &* ldb
            vals[count] = x
            count &+= x.bitPattern & 0x7fff_ffff != 0 ? 1 : 0
            p &+= 1
        }
        return count
    }
}
