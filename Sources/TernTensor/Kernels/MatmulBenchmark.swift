/// Times the matrix products of a Keras-style MNIST MLP (784→128→10, batch
/// 32, inference batch 10,000) for ``gemmNaive(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:)``
/// and ``gemm(transposeA:transposeB:m:n:k:a:lda:b:ldb:c:ldc:accumulate:threads:)``.
public enum MatmulBenchmark {
    struct Shape: Sendable {
        var name: String
        var m: Int, n: Int, k: Int
        var transposeA = false, transposeB = false
        var zeroFraction: Float = 0
        /// A holds synthetic 28×28 digit-like images (strokes, ~80% zeros).
        var digits = false
    }

    static let shapes: [Shape] = [
        Shape(name: "fwd 32x784 . 784x128 dense", m: 32, n: 128, k: 784),
        Shape(name: "fwd 32x784 . 784x128 80% zeros", m: 32, n: 128, k: 784, zeroFraction: 0.8),
        Shape(name: "fwd 32x784 . 784x128 digits", m: 32, n: 128, k: 784, digits: true),
        Shape(name: "dW (32x784)T . 32x128 dense", m: 784, n: 128, k: 32, transposeA: true),
        Shape(name: "dW (32x784)T . 32x128 80% zeros", m: 784, n: 128, k: 32, transposeA: true, zeroFraction: 0.8),
        Shape(name: "dW (32x784)T . 32x128 digits", m: 784, n: 128, k: 32, transposeA: true, digits: true),
        Shape(name: "dX 32x128 . (784x128)T", m: 32, n: 784, k: 128, transposeB: true),
        Shape(name: "fwd2 32x128 . 128x10", m: 32, n: 10, k: 128),
        Shape(name: "32x128 . (128x10)T", m: 32, n: 128, k: 10, transposeB: true),
        Shape(name: "dW2 (32x128)T . 32x10", m: 128, n: 10, k: 32, transposeA: true),
        Shape(name: "predict 1x784 . 784x128 80% zeros", m: 1, n: 128, k: 784, zeroFraction: 0.8),
        Shape(name: "predict 1x784 . 784x128 digit", m: 1, n: 128, k: 784, digits: true),
        Shape(name: "predict 1x784 . 784x128 dense", m: 1, n: 128, k: 784),
        Shape(name: "infer 10000x784 . 784x128 80% zeros", m: 10_000, n: 128, k: 784, zeroFraction: 0.8),
        Shape(name: "infer 10000x784 . 784x128 digits", m: 10_000, n: 128, k: 784, digits: true),
        Shape(name: "infer 10000x784 . 784x128 dense", m: 10_000, n: 128, k: 784),
    ]

    /// Runs every shape and returns a table: median µs and GFLOP/s (counting
    /// 2·m·n·k flops, zeros included) for naive, fast on one thread, and fast
    /// with automatic threads. Takes a few seconds.
    public static func run() -> String {
        var lines = [
            "shape | naive µs | naive GF/s | fast(1t) µs | fast(1t) GF/s | fast(auto) µs | fast(auto) GF/s",
        ]
        for s in shapes { lines.append(measure(s)) }
        return lines.joined(separator: "\n")
    }

    private static func measure(_ s: Shape) -> String {
        var rng = SeededGenerator(seed: 42)
        let aCount = s.m * s.k, bCount = s.k * s.n
        let a = s.digits ? digitImages(count: aCount / 784, rng: &rng) : (0..<aCount).map { _ -> Float in
            let v = rng.nextFloat(in: 0, 1)
            return rng.nextUnitFloat() < s.zeroFraction ? 0 : v
        }
        let b = (0..<bCount).map { _ in rng.nextFloat(in: -0.1, 0.1) }
        var c = [Float](repeating: 0, count: s.m * s.n)
        let lda = s.transposeA ? s.m : s.k, ldb = s.transposeB ? s.k : s.n
        let flops = 2 * Double(s.m) * Double(s.n) * Double(s.k)

        func time(budget: Double, _ body: () -> Void) -> Double {
            var samples = [Double]()
            let clock = ContinuousClock()
            let start = clock.now
            while samples.count < 5 || (samples.count < 2000 && seconds(clock.now - start) < budget) {
                let t0 = clock.now
                body()
                samples.append(seconds(clock.now - t0))
            }
            samples.sort()
            return samples[samples.count / 2]
        }

        let naiveBudget = flops > 1e9 ? 0.0 : 0.2
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let (ap, bp) = (pa.baseAddress!, pb.baseAddress!)
                    let cp = pc.baseAddress!
                    let naive = flops > 1e9 ? Double.nan : time(budget: naiveBudget) {
                        gemmNaive(transposeA: s.transposeA, transposeB: s.transposeB, m: s.m, n: s.n, k: s.k,
                                  a: ap, lda: lda, b: bp, ldb: ldb, c: cp, ldc: s.n)
                    }
                    let one = time(budget: 0.3) {
                        gemm(transposeA: s.transposeA, transposeB: s.transposeB, m: s.m, n: s.n, k: s.k,
                             a: ap, lda: lda, b: bp, ldb: ldb, c: cp, ldc: s.n, threads: 1)
                    }
                    let auto = time(budget: 0.3) {
                        gemm(transposeA: s.transposeA, transposeB: s.transposeB, m: s.m, n: s.n, k: s.k,
                             a: ap, lda: lda, b: bp, ldb: ldb, c: cp, ldc: s.n)
                    }
                    func cell(_ t: Double) -> String {
                        t.isNaN ? "- | -" : "\(format(t * 1e6)) | \(format(flops / t / 1e9))"
                    }
                    return "\(s.name) | \(cell(naive)) | \(cell(one)) | \(cell(auto))"
                }
            }
        }
    }

    /// `count` images of 3 random thick strokes in the central 20×20 pixels,
    /// row-major 28×28 each: like MNIST, ~80% zeros, non-zeros clustered.
    public static func digitImages(count: Int, rng: inout SeededGenerator) -> [Float] {
        var pixels = [Float](repeating: 0, count: count * 784)
        for image in 0..<count {
            for _ in 0..<3 {
                let x0 = 5 + Int(rng.next() % 18), y0 = 5 + Int(rng.next() % 18)
                let x1 = 5 + Int(rng.next() % 18), y1 = 5 + Int(rng.next() % 18)
                for t in 0...12 {
                    let x = x0 + (x1 - x0) * t / 12, y = y0 + (y1 - y0) * t / 12
                    for dy in -1...0 {
                        for dx in -1...0 {
                            pixels[image * 784 + (y + dy) * 28 + x + dx] = rng.nextFloat(in: 0.2, 1)
                        }
                    }
                }
            }
        }
        return pixels
    }

    private static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) * 1e-18
    }

    private static func format(_ x: Double) -> String {
        let scaled = (x * 10).rounded() / 10
        return "\(scaled)"
    }
}
