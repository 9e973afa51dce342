import Testing
import TernTensor

/// Compares `analytic` with central finite differences of `f` at `x`:
/// `(f(x + h e_i) - f(x - h e_i)) / 2h` for every element (or `samples`
/// of them, chosen from `seed`). `f` should accumulate in Double.
/// Records a failure naming `name`, the shape, the index and both values.
/// - Returns: the largest error relative to `max(1, |analytic|)`.
@discardableResult
public func checkGradient(
    _ name: String, of f: (Tensor<Float>) throws -> Double, at x: Tensor<Float>, analytic: Tensor<Float>,
    step h: Float = 1e-2, tolerance: Double = 1e-2, samples: Int? = nil, seed: UInt64 = 1,
    sourceLocation: SourceLocation = #_sourceLocation
) rethrows -> Double {
    guard analytic.shape == x.shape else {
        Issue.record("\(name): gradient shape \(analytic.shape) != input shape \(x.shape)", sourceLocation: sourceLocation)
        return .infinity
    }
    var indices = Array(0..<x.count)
    if let samples, samples < x.count {
        var rng = SeededGenerator(seed: seed)
        indices.shuffle(using: &rng)
        indices = Array(indices.prefix(samples))
    }
    var worst = 0.0
    for i in indices {
        var plus = x, minus = x
        plus[flat: i] += h
        minus[flat: i] -= h
        let numeric = (try f(plus) - f(minus)) / Double(2 * h)
        let a = Double(analytic[flat: i])
        let error = abs(numeric - a) / max(1, abs(a))
        if error > worst { worst = error }
        if error > tolerance {
            Issue.record("\(name) \(x.shape): at flat index \(i) analytic \(a), numeric \(numeric) (error \(error))", sourceLocation: sourceLocation)
            return error
        }
    }
    return worst
}
