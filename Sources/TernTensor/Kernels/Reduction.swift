import RealModule

/// Reductions and broadcasts over the rows of a matrix, and the fused
/// softmax cross-entropy loss.
///
/// "Matrix" here means any tensor of rank ≥ 1 viewed as
/// `(count / n) × n` with `n` its last dimension, so an NHWC activation
/// `(b, h, w, c)` is a `(b·h·w) × c` matrix for bias gradients.

extension Tensor where Scalar == Float {
    /// The tensor as `(rows, columns)` over its last axis.
    func matrixView(_ op: String) throws -> (rows: Int, columns: Int) {
        guard rank >= 1, shape[rank - 1] > 0 else {
            throw TensorError.invalidShape(shape.dimensions, reason: "\(op) needs rank ≥ 1 and a non-empty last axis")
        }
        return (count / shape[rank - 1], shape[rank - 1])
    }
}

/// `out[j] = Σ_i x[i·n + j]` for an `m × n` row-major matrix (the bias
/// gradient of a dense or convolution layer). `out` is overwritten.
/// Cost: `m·n` additions, vectorised along rows.
public func columnSums(_ x: UnsafePointer<Float>, rows m: Int, columns n: Int, into out: UnsafeMutablePointer<Float>) {
    out.update(repeating: 0, count: n)
    for i in 0..<m {
        let row = x + i * n
        for j in 0..<n { out[j] += row[j] }
    }
}

/// Column sums of a matrix `(…, n)`, a tensor of shape `(n)`.
/// - Throws: ``TensorError/invalidShape(_:reason:)`` for a scalar or an
///   empty last axis.
public func columnSums(_ x: Tensor<Float>) throws -> Tensor<Float> {
    let (m, n) = try x.matrixView("columnSums")
    var out = Tensor<Float>(zeros: [n])
    x.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            guard let s = src.baseAddress, let d = dst.baseAddress else { return }
            columnSums(s, rows: m, columns: n, into: d)
        }
    }
    return out
}

/// `x[i·n + j] += bias[j]` for every row of an `m × n` matrix, in place.
/// Cost: `m·n` additions.
public func addBiasRows(_ x: UnsafeMutablePointer<Float>, rows m: Int, columns n: Int, bias: UnsafePointer<Float>) {
    for i in 0..<m {
        let row = x + i * n
        for j in 0..<n { row[j] += bias[j] }
    }
}

/// Adds `bias` `(n)` to every row of `x` `(…, n)`, in place.
/// - Throws: ``TensorError/shapeMismatch(op:expected:actual:)`` unless the
///   bias length equals the last dimension.
public func addBiasRows(_ x: inout Tensor<Float>, bias: Tensor<Float>) throws {
    let (m, n) = try x.matrixView("addBiasRows")
    guard bias.shape == [n] else { throw TensorError.shapeMismatch(op: "addBiasRows", expected: [n], actual: bias.shape) }
    bias.withUnsafeBufferPointer { b in
        x.withUnsafeMutableBufferPointer { dst in
            guard let d = dst.baseAddress, let bb = b.baseAddress else { return }
            addBiasRows(d, rows: m, columns: n, bias: bb)
        }
    }
}

/// The column of the largest element of each row of `x` `(…, n)`; the
/// first maximum wins ties. NaNs are skipped unless a row starts with one.
/// - Throws: ``TensorError/invalidShape(_:reason:)`` for a scalar or an
///   empty last axis.
public func argmaxRows(_ x: Tensor<Float>) throws -> [Int32] {
    let (m, n) = try x.matrixView("argmaxRows")
    return x.withUnsafeBufferPointer { v in
        (0..<m).map { i in
            var best = 0
            for j in 1..<max(n, 1) where v[i * n + j] > v[i * n + best] { best = j }
            return Int32(best)
        }
    }
}

extension Tensor where Scalar == Float {
    /// The sum of all elements, added in 16 lanes per block of 4096 and the
    /// block sums in Double (error grows with log of the count, not the count).
    public func sum() -> Float {
        withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return 0 }
            var total = 0.0
            var offset = 0
            while offset < buf.count {
                let n = Swift.min(4096, buf.count - offset)
                total += Double(vectorSum(base + offset, n))
                offset += n
            }
            return Float(total)
        }
    }

    /// The mean of all elements (NaN for an empty tensor).
    public func mean() -> Float { count == 0 ? .nan : Float(Double(sum()) / Double(count)) }
}

/// The result of a fused softmax cross-entropy.
public struct SoftmaxCrossEntropy: Sendable {
    /// `−(1/m) Σ_i Σ_j t_ij · log softmax(x_i)_j`.
    public var meanLoss: Float
    /// `dLoss/dlogits`, `(softmax − target)/m` for one-hot or probability targets.
    public var gradLogits: Tensor<Float>
    /// `softmax(logits)` row by row.
    public var probabilities: Tensor<Float>

    /// ``meanLoss``, under the name the training loop uses.
    public var loss: Float { meanLoss }
    /// ``gradLogits``, under the name the training loop uses.
    public var gradient: Tensor<Float> { gradLogits }
}

/// Softmax cross-entropy with integer labels (Keras
/// `SparseCategoricalCrossentropy(from_logits=True)`, mean over the batch),
/// fused for stability: `loss_i = log Σ_j e^(x_ij − max_i) − (x_i,label − max_i)`.
/// Finite for any finite logits.
/// - Parameters:
///   - logits: `(m, n)`.
///   - labels: `m` class indices in `0..<n`.
/// - Throws: ``TensorError/invalidShape(_:reason:)`` unless logits is a
///   non-empty matrix, ``TensorError/countMismatch(op:expected:actual:)`` for
///   the wrong number of labels, ``TensorError/invalidArgument(op:reason:)``
///   naming the first label outside `0..<n`.
public func softmaxCrossEntropy(logits: Tensor<Float>, labels: [Int32]) throws -> SoftmaxCrossEntropy {
    let op = "softmaxCrossEntropy"
    let (m, n) = try lossMatrix(logits, op)
    guard labels.count == m else { throw TensorError.countMismatch(op: "\(op) labels", expected: m, actual: labels.count) }
    if let bad = labels.indices.first(where: { labels[$0] < 0 || Int(labels[$0]) >= n }) {
        throw TensorError.invalidArgument(op: op, reason: "label \(labels[bad]) at row \(bad) is outside 0..<\(n)")
    }
    return fusedCrossEntropy(logits, m, n) { row, logProb, scale, grad in
        let label = Int(labels[row])
        grad[label] -= scale
        return -Double(logProb(label))
    }
}

/// Softmax cross-entropy with dense targets (Keras
/// `CategoricalCrossentropy(from_logits=True)`): `loss_i = −Σ_j t_ij ·
/// log softmax(x_i)_j`, gradient `(softmax·Σ_j t_ij − t_i)/m`, which is
/// `(softmax − t)/m` when each target row sums to 1.
/// - Throws: ``TensorError/invalidShape(_:reason:)`` unless logits is a
///   non-empty matrix; ``TensorError/shapeMismatch(op:expected:actual:)``
///   unless `targets` has the logits' shape.
public func softmaxCrossEntropy(logits: Tensor<Float>, targets: Tensor<Float>) throws -> SoftmaxCrossEntropy {
    let op = "softmaxCrossEntropy"
    let (m, n) = try lossMatrix(logits, op)
    guard targets.shape == logits.shape else {
        throw TensorError.shapeMismatch(op: "\(op) targets", expected: logits.shape, actual: targets.shape)
    }
    return targets.withUnsafeBufferPointer { t in
        fusedCrossEntropy(logits, m, n) { row, logProb, scale, grad in
            let offset = row * n
            var targetSum: Float = 0
            for j in 0..<n { targetSum += t[offset + j] }
            var loss = 0.0
            for j in 0..<n {
                let target = t[offset + j]
                grad[j] = grad[j] * targetSum - target * scale
                if target != 0 { loss -= Double(target) * Double(logProb(j)) }
            }
            return loss
        }
    }
}

private func lossMatrix(_ logits: Tensor<Float>, _ op: String) throws -> (Int, Int) {
    guard logits.rank == 2, logits.shape[0] > 0, logits.shape[1] > 0 else {
        throw TensorError.invalidShape(logits.shape.dimensions, reason: "\(op) needs logits of shape (batch, classes), both positive")
    }
    return (logits.shape[0], logits.shape[1])
}

/// Shared body of the two cross-entropies: writes the probabilities and
/// `softmax/m` into the gradient, then lets `rowLoss(row, logProb, 1/m,
/// gradRow)` subtract the targets and return the row's loss.
private func fusedCrossEntropy(
    _ logits: Tensor<Float>, _ m: Int, _ n: Int,
    _ rowLoss: (Int, (Int) -> Float, Float, UnsafeMutablePointer<Float>) -> Double
) -> SoftmaxCrossEntropy {
    var probabilities = Tensor<Float>(uninitialized: [m, n])
    var grad = Tensor<Float>(uninitialized: [m, n])
    let scale = 1 / Float(m)
    var total = 0.0
    logits.withUnsafeBufferPointer { x in
        probabilities.withUnsafeMutableBufferPointer { p in
            grad.withUnsafeMutableBufferPointer { g in
                guard let xBase = x.baseAddress, let pBase = p.baseAddress, let gBase = g.baseAddress else { return }
                for i in 0..<m {
                    let xRow = xBase + i * n, pRow = pBase + i * n, gRow = gBase + i * n
                    let maxLogit = vectorMax(xRow, n)
                    let logSum = Float.log(vectorSumExp(xRow, n, shift: maxLogit))
                    pRow.update(from: xRow, count: n)
                    ActivationKernels.softmaxRows(UnsafeMutableBufferPointer(start: pRow, count: n), rowLength: n)
                    for j in 0..<n { gRow[j] = pRow[j] * scale }
                    total += rowLoss(i, { j in (xRow[j] - maxLogit) - logSum }, scale, gRow)
                }
            }
        }
    }
    return SoftmaxCrossEntropy(meanLoss: Float(total / Double(m)), gradLogits: grad, probabilities: probabilities)
}
