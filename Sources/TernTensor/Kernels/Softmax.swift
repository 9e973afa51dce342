import RealModule

/// Row-wise softmax and log-softmax over the last axis of a row-major buffer.
///
/// Both subtract the row maximum before exponentiating, so any finite logits
/// (e.g. 1000) give finite results. Cost per call: O(count), about three
/// passes over each row. `rowLength` must be positive and divide the count.
extension ActivationKernels {
    /// `y = exp(x − max) / Σ exp(x − max)` for each row, in place.
    public static func softmaxRows(_ x: UnsafeMutableBufferPointer<Float>, rowLength n: Int) {
        forEachRow(x.count, n) { offset in
            let row = UnsafeMutableBufferPointer(rebasing: x[offset..<offset + n])
            guard let base = row.baseAddress else { return }
            let m = vectorMax(base, n)
            VectorKernels.expShift(row, m)
            let scale = 1 / vectorSum(base, n)
            VectorKernels.scale(row, scale)
        }
    }

    /// Softmax backward, in place: `dx = y ⊙ (dy − Σ dy⊙y)` per row; reads the output y.
    public static func softmaxRowsBackward(
        output y: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>, rowLength n: Int
    ) {
        precondition(y.count >= gradient.count, "output shorter than gradient")
        forEachRow(gradient.count, n) { offset in
            let g = UnsafeMutableBufferPointer(rebasing: gradient[offset..<offset + n])
            let yRow = UnsafeBufferPointer(rebasing: y[offset..<offset + n])
            guard let gBase = g.baseAddress, let yBase = yRow.baseAddress else { return }
            let dot = vectorDot(gBase, yBase, n)
            VectorKernels.softmaxBackward(yRow, g, dot)
        }
    }

    /// `y = x − max − log Σ exp(x − max)` for each row, in place.
    public static func logSoftmaxRows(_ x: UnsafeMutableBufferPointer<Float>, rowLength n: Int) {
        forEachRow(x.count, n) { offset in
            let row = UnsafeMutableBufferPointer(rebasing: x[offset..<offset + n])
            guard let base = row.baseAddress else { return }
            let m = vectorMax(base, n)
            let shift = m + Float.log(vectorSumExp(base, n, shift: m))
            VectorKernels.shift(row, shift)
        }
    }

    /// Log-softmax backward, in place: `dx = dy − exp(y)·Σ dy` per row; reads the output y.
    public static func logSoftmaxRowsBackward(
        output y: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>, rowLength n: Int
    ) {
        precondition(y.count >= gradient.count, "output shorter than gradient")
        forEachRow(gradient.count, n) { offset in
            let g = UnsafeMutableBufferPointer(rebasing: gradient[offset..<offset + n])
            let yRow = UnsafeBufferPointer(rebasing: y[offset..<offset + n])
            guard let gBase = g.baseAddress else { return }
            let total = vectorSum(gBase, n)
            VectorKernels.logSoftmaxBackward(yRow, g, total)
        }
    }

    @inline(__always)
    static func forEachRow(_ count: Int, _ rowLength: Int, _ body: (Int) -> Void) {
        precondition(rowLength > 0 && count % rowLength == 0, "row length \(rowLength) does not divide \(count)")
        var offset = 0
        while offset < count { body(offset); offset += rowLength }
    }
}

extension Tensor where Scalar == Float {
    /// Softmax over the last axis (a copy).
    public func softmax() -> Tensor<Float> { Activation.softmax.forward(self) }

    /// Log-softmax over the last axis (a copy).
    public func logSoftmax() -> Tensor<Float> {
        var y = self
        let n = rank == 0 ? 1 : shape[rank - 1]
        guard count > 0, n > 0 else { return y }
        y.withUnsafeMutableBufferPointer { ActivationKernels.logSoftmaxRows($0, rowLength: n) }
        return y
    }
}
