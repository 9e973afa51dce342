/// Zero-skipping kernels for blocks of 4 rows of op(A): the block's columns p
/// where any of the 4 rows is non-zero are listed once (their 4 values
/// interleaved, and B's row offset p·ldb), and a 4-row register tile runs
/// over that list only. Each B vector loaded feeds 4 rows, so B traffic is a
/// quarter of a one-row-at-a-time kernel. A zero of one row inside the
/// list contributes an exact ±0, so results equal the dense kernels' bit for bit.
extension GemmTiles {
    /// Lists the columns p of rows (a, a + rs, a + 2rs, a + 3rs) where any of
    /// them is non-zero: `vals[4q + r]` = A[r, p_q], `offs[q]` = p_q·ldb.
    /// Returns the number of columns listed. `vals` needs room for 4·k
    /// floats, `offs` for k. Cost: O(4·k).
    @inline(__always)
    static func compactBlock4(
        _ a: UnsafePointer<Float>, _ rs: Int, _ cs: Int, _ k: Int, _ ldb: Int,
        _ offs: UnsafeMutablePointer<Int>, _ vals: UnsafeMutablePointer<Float>
    ) -> Int {
        let a0 = a, a1 = a + rs, a2 = a + 2 &* rs, a3 = a + 3 &* rs
        var count = 0
        var p = 0
        if cs == 1 {
            // Skip 16-column stretches that are zero in all four rows.
            while p &+ 16 <= k {
                let any4 = (load(a0 + p) .!= V()) .| (load(a1 + p) .!= V())
                    .| (load(a2 + p) .!= V()) .| (load(a3 + p) .!= V())
                if any(any4) {
                    for t in p..<(p &+ 16) { append(a0[t], a1[t], a2[t], a3[t], t) }
                }
                p &+= 16
            }
        }
        while p < k {
            let o = p &* cs
            append(a0[o], a1[o], a2[o], a3[o], p)
            p &+= 1
        }
        return count

        @inline(__always) func append(_ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float, _ p: Int) {
            (vals + 4 &* count).withMemoryRebound(to: SIMD4<Float>.self, capacity: 1) {
                UnsafeMutableRawPointer($0).storeBytes(of: SIMD4(x0, x1, x2, x3), as: SIMD4<Float>.self)
            }
            offs[count] = p &* ldb
            // Branch-free "any non-zero": OR the magnitude bits (NaN counts as non-zero).
            let bits = (x0.bitPattern | x1.bitPattern | x2.bitPattern | x3.bitPattern) & 0x7fff_ffff
            count &+= bits != 0 ? 1 : 0
        }
    }

    /// A 4-row × 64-column tile over a list from ``compactBlock4``:
    /// 16 accumulators, 4 B loads and 4 broadcasts per listed column.
    /// `cols` (1...64) columns of each row are stored.
    @inline(__always)
    static func union4x64(
        _ offs: UnsafePointer<Int>, _ vals: UnsafePointer<Float>, _ count: Int,
        _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
        _ cols: Int, _ accumulate: Bool
    ) {
        var c00 = V(), c01 = V(), c02 = V(), c03 = V(), c10 = V(), c11 = V(), c12 = V(), c13 = V()
        var c20 = V(), c21 = V(), c22 = V(), c23 = V(), c30 = V(), c31 = V(), c32 = V(), c33 = V()
        var pv = vals
        for q in 0..<count {
            let r = b + offs[q]
            let b0 = load(r), b1 = load(r + 16), b2 = load(r + 32), b3 = load(r + 48)
            var x = V(repeating: pv[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            c02 = c02.addingProduct(x, b2); c03 = c03.addingProduct(x, b3)
            x = V(repeating: pv[1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            c12 = c12.addingProduct(x, b2); c13 = c13.addingProduct(x, b3)
            x = V(repeating: pv[2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            c22 = c22.addingProduct(x, b2); c23 = c23.addingProduct(x, b3)
            x = V(repeating: pv[3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            c32 = c32.addingProduct(x, b2); c33 = c33.addingProduct(x, b3)
            pv += 4
        }
        var row = c
        store(c00, row, cols, accumulate); store(c01, row + 16, cols &- 16, accumulate)
        store(c02, row + 32, cols &- 32, accumulate); store(c03, row + 48, cols &- 48, accumulate)
        row += ldc
        store(c10, row, cols, accumulate); store(c11, row + 16, cols &- 16, accumulate)
        store(c12, row + 32, cols &- 32, accumulate); store(c13, row + 48, cols &- 48, accumulate)
        row += ldc
        store(c20, row, cols, accumulate); store(c21, row + 16, cols &- 16, accumulate)
        store(c22, row + 32, cols &- 32, accumulate); store(c23, row + 48, cols &- 48, accumulate)
        row += ldc
        store(c30, row, cols, accumulate); store(c31, row + 16, cols &- 16, accumulate)
        store(c32, row + 32, cols &- 32, accumulate); store(c33, row + 48, cols &- 48, accumulate)
    }

    /// A 4-row × 16-column tile over a list from ``compactBlock4`` (the
    /// column vectors left after the 64-wide tiles).
    @inline(__always)
    static func union4x16(
        _ offs: UnsafePointer<Int>, _ vals: UnsafePointer<Float>, _ count: Int,
        _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
        _ cols: Int, _ accumulate: Bool
    ) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V()
        var pv = vals
        for q in 0..<count {
            let b0 = load(b + offs[q])
            c0 = c0.addingProduct(V(repeating: pv[0]), b0)
            c1 = c1.addingProduct(V(repeating: pv[1]), b0)
            c2 = c2.addingProduct(V(repeating: pv[2]), b0)
            c3 = c3.addingProduct(V(repeating: pv[3]), b0)
            pv += 4
        }
        store(c0, c, cols, accumulate)
        store(c1, c + ldc, cols, accumulate)
        store(c2, c + 2 &* ldc, cols, accumulate)
        store(c3, c + 3 &* ldc, cols, accumulate)
    }
}
