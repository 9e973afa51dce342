/// One matrix product prepared for the tile kernels: op(A)[i, p] =
/// a[i·aRowStride + p·aColStride]; op(B) row-major (k × ≥ n) with stride
/// `ldb` and every 16-wide column vector of the first ⌈n/16⌉ loadable.
///
/// `@unchecked Sendable`: the pointers are only read, except `c`, whose rows
/// are split into disjoint ranges between threads.
struct GemmProblem: @unchecked Sendable {
    var a: UnsafePointer<Float>
    var aRowStride: Int
    var aColStride: Int
    var b: UnsafePointer<Float>
    var ldb: Int
    var c: UnsafeMutablePointer<Float>
    var ldc: Int
    var m: Int
    var n: Int
    var k: Int
    var accumulate: Bool

    /// Number of 16-wide column vectors.
    var vectorCount: Int { (n + 15) / 16 }

    /// Computes output rows `rows` with the chosen kernel.
    func run(rows: Range<Int>, sparse: Bool) {
        if sparse { runSparse(rows: rows) } else { runDense(rows: rows) }
    }

    /// Computes output rows `rows` with the register-tiled kernel: blocks of 8
    /// rows × 32 columns, the rows left over one at a time.
    /// Cost: 2·|rows|·n·k flops; reads B once per 8 rows.
    func runDense(rows: Range<Int>) {
        // Specialise the A access pattern so the compiler sees constant strides.
        if aColStride == 1 {
            denseBlocks(rows: rows, rs: aRowStride, cs: 1)
        } else if aRowStride == 1 {
            denseBlocks(rows: rows, rs: 1, cs: aColStride)
        } else {
            denseBlocks(rows: rows, rs: aRowStride, cs: aColStride)
        }
    }

    @inline(__always)
    private func denseBlocks(rows: Range<Int>, rs: Int, cs: Int) {
        let nv = vectorCount
        var i = rows.lowerBound
        while i + 8 <= rows.upperBound {
            let ai = a + i * rs
            let ci = c + i * ldc
            var jv = 0
            while jv + 2 <= nv {
                let j = jv * 16
                GemmTiles.tile8x32(ai, rs, cs, k, b + j, ldb, ci + j, ldc, n - j, accumulate)
                jv += 2
            }
            if jv < nv {
                let j = jv * 16
                GemmTiles.tile8x16(ai, rs, cs, k, b + j, ldb, ci + j, ldc, n - j, accumulate)
            }
            i += 8
        }
        if i < rows.upperBound { runRows(rows: i..<rows.upperBound, rs: rs, cs: cs) }
    }

    /// Computes output rows `rows` skipping zero entries of A: blocks of 4
    /// rows run a 4×64 register tile over the columns where any of the 4 rows
    /// is non-zero; the rows left over run one at a time over their own
    /// non-zeros. Cost: O(|rows|·k) to list, 2·|union|·n flops per block;
    /// 24·k bytes of scratch.
    func runSparse(rows: Range<Int>) {
        if aColStride == 1 {
            sparseBlocks(rows: rows, rs: aRowStride, cs: 1)
        } else if aRowStride == 1 {
            sparseBlocks(rows: rows, rs: 1, cs: aColStride)
        } else {
            sparseBlocks(rows: rows, rs: aRowStride, cs: aColStride)
        }
    }

    @inline(__always)
    private func sparseBlocks(rows: Range<Int>, rs: Int, cs: Int) {
        let offs = UnsafeMutablePointer<Int>.allocate(capacity: k)
        let vals = UnsafeMutablePointer<Float>.allocate(capacity: 4 * k)
        defer { offs.deallocate(); vals.deallocate() }
        let nv = vectorCount
        var i = rows.lowerBound
        while i + 4 <= rows.upperBound {
            let count = GemmTiles.compactBlock4(a + i * rs, rs, cs, k, ldb, offs, vals)
            let ci = c + i * ldc
            var jv = 0
            while jv + 4 <= nv {
                let j = jv * 16
                GemmTiles.union4x64(offs, vals, count, b + j, ci + j, ldc, n - j, accumulate)
                jv += 4
            }
            while jv < nv {
                let j = jv * 16
                GemmTiles.union4x16(offs, vals, count, b + j, ci + j, ldc, n - j, accumulate)
                jv += 1
            }
            i += 4
        }
        if i < rows.upperBound { runRows(rows: i..<rows.upperBound, rs: rs, cs: cs) }
    }

    @inline(__always)
    private func runRows(rows: Range<Int>, rs: Int, cs: Int) {
        let offs = UnsafeMutablePointer<Int>.allocate(capacity: k)
        let vals = UnsafeMutablePointer<Float>.allocate(capacity: k)
        defer { offs.deallocate(); vals.deallocate() }
        let nv = vectorCount
        for i in rows {
            let count = GemmTiles.compactRow(a + i * rs, cs, k, ldb, offs, vals)
            let ci = c + i * ldc
            var jv = 0
            while jv + 8 <= nv {
                let j = jv * 16
                GemmTiles.row128(offs, vals, count, b + j, ci + j, n - j, accumulate)
                jv += 8
            }
            while jv < nv {
                let j = jv * 16
                GemmTiles.row16(offs, vals, count, b + j, ci + j, n - j, accumulate)
                jv += 1
            }
        }
    }
}
