import Testing
import TernTensor
import TernTesting

/// A stored matrix with a leading dimension, for driving the pointer API.
private struct Stored {
    var rows: Int
    var cols: Int
    var ld: Int
    var data: [Float]

    /// Random values in [-1, 1), a `zeroFraction` of them set to zero; the
    /// padding columns hold NaN so a kernel reading them is caught.
    init(rows: Int, cols: Int, ld: Int, seed: UInt64, zeroFraction: Float = 0, zeroRows: Set<Int> = []) {
        self.rows = rows; self.cols = cols; self.ld = max(ld, 1)
        var rng = SeededGenerator(seed: seed)
        data = [Float](repeating: .nan, count: max(1, rows * self.ld))
        for r in 0..<rows {
            for c in 0..<cols {
                let v = rng.nextFloat(in: -1, 1)
                let zero = zeroRows.contains(r) || rng.nextUnitFloat() < zeroFraction
                data[r * self.ld + c] = zero ? 0 : v
            }
        }
    }

    /// The logical contents as a tensor.
    var tensor: Tensor<Float> {
        var out = [Float]()
        for r in 0..<rows { out += data[(r * ld)..<(r * ld + cols)] }
        return (try? Tensor(shape: [rows, cols], scalars: out)) ?? Tensor(zeros: [rows, cols])
    }
}

private struct Case {
    var m: Int, n: Int, k: Int
    var transposeA = false, transposeB = false, accumulate = false
    var pad = 0
    var zeroFraction: Float = 0
    var zeroRows: Set<Int> = []
}

/// Runs fast and naive gemm on the same operands; returns (fast, naive) C.
private func runBoth(_ t: Case, threads: Int? = nil, seed: UInt64 = 1) -> (Tensor<Float>, Tensor<Float>) {
    let a = t.transposeA
        ? Stored(rows: t.k, cols: t.m, ld: t.m + t.pad, seed: seed, zeroFraction: t.zeroFraction)
        : Stored(rows: t.m, cols: t.k, ld: t.k + t.pad, seed: seed, zeroFraction: t.zeroFraction, zeroRows: t.zeroRows)
    let b = t.transposeB
        ? Stored(rows: t.n, cols: t.k, ld: t.k + t.pad, seed: seed + 1)
        : Stored(rows: t.k, cols: t.n, ld: t.n + t.pad, seed: seed + 1)
    let c0 = Stored(rows: t.m, cols: t.n, ld: t.n + t.pad, seed: seed + 2)
    var fast = c0.data, naive = c0.data
    a.data.withUnsafeBufferPointer { pa in
        b.data.withUnsafeBufferPointer { pb in
            fast.withUnsafeMutableBufferPointer { pc in
                gemm(transposeA: t.transposeA, transposeB: t.transposeB, m: t.m, n: t.n, k: t.k,
                     a: pa.baseAddress!, lda: a.ld, b: pb.baseAddress!, ldb: b.ld,
                     c: pc.baseAddress!, ldc: c0.ld, accumulate: t.accumulate, threads: threads)
            }
            naive.withUnsafeMutableBufferPointer { pc in
                gemmNaive(transposeA: t.transposeA, transposeB: t.transposeB, m: t.m, n: t.n, k: t.k,
                          a: pa.baseAddress!, lda: a.ld, b: pb.baseAddress!, ldb: b.ld,
                          c: pc.baseAddress!, ldc: c0.ld, accumulate: t.accumulate)
            }
        }
    }
    // Padding columns of C must be left alone (they hold NaN in both).
    for r in 0..<t.m {
        for col in t.n..<(t.n + t.pad) { #expect(fast[r * c0.ld + col].isNaN, "C padding written") }
    }
    var f = c0, nv = c0
    f.data = fast; nv.data = naive
    return (f.tensor, nv.tensor)
}

private func check(_ t: Case, threads: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    let (fast, naive) = runBoth(t, threads: threads)
    let tolerance = 1e-5 * Float(max(t.k, 1))
    expectClose(fast, naive, rtol: tolerance, atol: tolerance,
                "gemm \(t.m)x\(t.n)x\(t.k) tA=\(t.transposeA) tB=\(t.transposeB) acc=\(t.accumulate)",
                sourceLocation: sourceLocation)
}

@Suite struct MatmulTests {
    static let transposes = [(false, false), (true, false), (false, true), (true, true)]

    @Test(arguments: [false, true])
    func denseMatchesNaiveForAwkwardSizes(accumulate: Bool) {
        for (m, n, k) in awkwardMatrixSizes {
            for (ta, tb) in Self.transposes {
                check(Case(m: m, n: n, k: k, transposeA: ta, transposeB: tb, accumulate: accumulate))
            }
        }
    }

    @Test func sparseMatchesNaiveForAwkwardSizes() {
        for (m, n, k) in awkwardMatrixSizes + [(32, 128, 784), (784, 128, 32), (40, 200, 100)] {
            for (ta, tb) in Self.transposes {
                for fraction: Float in [0.8, 0.95, 1.0] {
                    check(Case(m: m, n: n, k: k, transposeA: ta, transposeB: tb, zeroFraction: fraction))
                    check(Case(m: m, n: n, k: k, transposeA: ta, transposeB: tb, accumulate: true, zeroFraction: fraction))
                }
            }
        }
    }

    @Test func rowsEntirelyZero() {
        for accumulate in [false, true] {
            check(Case(m: 20, n: 48, k: 70, accumulate: accumulate, zeroFraction: 0.95, zeroRows: [0, 3, 19]))
            check(Case(m: 20, n: 48, k: 70, accumulate: accumulate, zeroRows: [0, 7, 8, 19]))
        }
    }

    @Test func leadingDimensionsWiderThanRows() {
        for (m, n, k) in awkwardMatrixSizes {
            for (ta, tb) in Self.transposes {
                check(Case(m: m, n: n, k: k, transposeA: ta, transposeB: tb, pad: 5))
                check(Case(m: m, n: n, k: k, transposeA: ta, transposeB: tb, accumulate: true, pad: 3, zeroFraction: 0.8))
            }
        }
    }

    @Test func emptyDimensions() {
        for (m, n, k) in [(0, 4, 3), (4, 0, 3), (4, 5, 0), (0, 0, 0)] {
            for accumulate in [false, true] { check(Case(m: m, n: n, k: k, accumulate: accumulate)) }
        }
    }

    @Test func threadCountsGiveBitIdenticalResults() {
        for t in [Case(m: 64, n: 65, k: 66), Case(m: 100, n: 128, k: 784, zeroFraction: 0.8),
                  Case(m: 784, n: 128, k: 32, transposeA: true, zeroFraction: 0.8),
                  Case(m: 37, n: 50, k: 129, transposeA: true, transposeB: true, accumulate: true)] {
            let one = runBoth(t, threads: 1).0
            #expect(runBoth(t, threads: 2).0 == one)
            #expect(runBoth(t, threads: 3).0 == one)
            #expect(runBoth(t).0 == one)
        }
    }

    @Test func repeatedCallsAreBitIdentical() {
        let t = Case(m: 33, n: 130, k: 300, zeroFraction: 0.5)
        #expect(runBoth(t).0 == runBoth(t).0)
    }

    @Test func sparseAndDensePathsAgree() throws {
        // A is 2/3 zeros: with 40 columns of B the zero-skipping kernel runs,
        // with 8 (fewer than 16) the dense one. Both compute the same chains.
        var a = randomTensor([24, 200], seed: 3)
        a.withUnsafeMutableBufferPointer { buf in for i in 0..<buf.count where i % 3 != 0 { buf[i] = 0 } }
        let b = randomTensor([200, 40], seed: 4)
        let narrowB = try Tensor(shape: [200, 8], scalars: (0..<200).flatMap { p in (0..<8).map { b[p, $0] } })
        let wide = try a.matmul(b), narrow = try a.matmul(narrowB)
        for i in 0..<24 { for j in 0..<8 { #expect(wide[i, j] == narrow[i, j]) } }
    }

    @Test func tensorMatmulComputesAllTransposes() throws {
        let a = randomTensor([6, 9], seed: 5), b = randomTensor([9, 4], seed: 6)
        let expected = try a.matmul(b)
        #expect(expected.shape == [6, 4])
        let aT = transposed(a), bT = transposed(b)
        expectClose(try aT.matmul(b, transposeSelf: true), expected)
        expectClose(try a.matmul(bT, transposeOther: true), expected)
        expectClose(try aT.matmul(bT, transposeSelf: true, transposeOther: true), expected)
        expectClose(expected, naiveProduct(a, b))
    }

    @Test func tensorMatmulRejectsBadShapes() {
        let a = Tensor<Float>(zeros: [3, 4])
        #expect(throws: TensorError.shapeMismatch(op: "matmul", expected: [4, 2], actual: [5, 2])) {
            try a.matmul(Tensor(zeros: [5, 2]))
        }
        #expect(throws: TensorError.shapeMismatch(op: "matmul", expected: [2, 4], actual: [2, 3])) {
            try a.matmul(Tensor(zeros: [2, 3]), transposeOther: true)
        }
        #expect(throws: TensorError.self) { try a.matmul(Tensor(zeros: [3, 2]), transposeSelf: false) }
        #expect(throws: TensorError.self) { try a.matmul(Tensor(zeros: [4])) }
        #expect(throws: TensorError.self) { try Tensor<Float>(zeros: [4]).matmul(a) }
        #expect((try? a.matmul(Tensor(zeros: [3, 2]), transposeSelf: true))?.shape == [4, 2])
    }

    @Test func computeThreadsMaximumIsSettable() {
        let saved = ComputeThreads.maximum
        #expect(saved >= 1)
        ComputeThreads.maximum = 0
        #expect(ComputeThreads.maximum == 1)
        ComputeThreads.maximum = saved
        #expect(ComputeThreads.maximum == saved)
    }

    @Test(.disabled("benchmark: run by hand")) func benchmark() {
        print(MatmulBenchmark.run())
    }
}

private func transposed(_ t: Tensor<Float>) -> Tensor<Float> {
    let (r, c) = (t.shape[0], t.shape[1])
    var out = Tensor<Float>(zeros: [c, r])
    for i in 0..<r { for j in 0..<c { out[j, i] = t[i, j] } }
    return out
}

private func naiveProduct(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Tensor<Float> {
    var out = Tensor<Float>(zeros: [a.shape[0], b.shape[1]])
    for i in 0..<a.shape[0] {
        for j in 0..<b.shape[1] {
            var s: Float = 0
            for p in 0..<a.shape[1] { s += a[i, p] * b[p, j] }
            out[i, j] = s
        }
    }
    return out
}
