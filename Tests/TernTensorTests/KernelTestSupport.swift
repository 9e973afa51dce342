import TernTensor

/// Helpers shared by the kernel tests.
enum KernelTestSupport {
    /// `a (m×k) · b (k×n)`, accumulated in Double: the product a gemm would
    /// compute, kept local so these tests do not depend on the gemm branch.
    static func naiveMatmul(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Tensor<Float> {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        precondition(b.shape[0] == k)
        let x = a.scalars, y = b.scalars
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(x[i * k + p]) * Double(y[p * n + j]) }
                out[i * n + j] = Float(s)
            }
        }
        return try! Tensor(shape: [m, n], scalars: out)
    }

    /// The transpose of a matrix.
    static func transpose(_ a: Tensor<Float>) -> Tensor<Float> {
        let m = a.shape[0], n = a.shape[1]
        var t = Tensor<Float>(uninitialized: [n, m])
        for i in 0..<m { for j in 0..<n { t[j, i] = a[i, j] } }
        return t
    }

    /// Central differences `(f(x + h·e_i) − f(x − h·e_i)) / (2h)` for every
    /// element i. The step actually taken is measured in Double after the
    /// Float rounding of `x ± h`, and `f` returns a Double.
    static func centralDifferences(_ x: Tensor<Float>, h: Float, _ f: (Tensor<Float>) throws -> Double) rethrows -> [Double] {
        var grads = [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            var plus = x, minus = x
            plus[flat: i] = x[flat: i] + h
            minus[flat: i] = x[flat: i] - h
            let step = Double(plus[flat: i]) - Double(minus[flat: i])
            grads[i] = (try f(plus) - f(minus)) / step
        }
        return grads
    }

    /// `Σ w_i·y_i` in Double: a scalar loss whose gradient with respect to y is w.
    static func weightedSum(_ y: Tensor<Float>, _ w: Tensor<Float>) -> Double {
        zip(y.scalars, w.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func dot(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Double { weightedSum(a, b) }

    static func tensor(_ values: [Double]) -> Tensor<Float> { Tensor(values.map { Float($0) }) }
}
