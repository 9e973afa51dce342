import TernFormats

/// Bounds on what a graph may compute, checked before anything is
/// allocated: a tensor whose shape comes from the model or the request
/// (ConstantOfShape, broadcasts, Expand, MatMul outputs) is refused when its
/// element count overflows or passes ``PredictionLimits/maxElements`` (by
/// default 2^28; a server binds its per-request budget around a run or a
/// load). Constant folding at load runs the same kernels, so such a model
/// is refused at upload.
public typealias ONNXLimits = PredictionLimits

extension PredictionLimits {
    /// The element count of `shape`, overflow-checked and within ``maxElements``.
    /// - Throws: ``ONNXKernelError`` naming the shape and the limit.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for d in shape {
            guard d >= 0 else { throw ONNXKernelError("shape \(shape) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw ONNXKernelError("shape \(shape) has more elements than can be counted") }
            count = product
        }
        // Checked after the loop: a zero dimension makes any shape empty.
        let limit = maxElements
        guard count <= limit else {
            throw ONNXKernelError("shape \(shape) would hold \(count) elements, above the limit of \(limit) per computed tensor")
        }
        return count
    }
}
