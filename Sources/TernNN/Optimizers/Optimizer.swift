import Dispatch
import TernTensor

/// An update rule applied to each trainable parameter with its own state.
/// Optimizers are values: copying one copies its moment estimates.
public protocol Optimizer: Sendable {
    /// Applies one step. `gradients[i]` belongs to `parameters[i]`;
    /// parameters that are not trainable are left alone.
    mutating func update(parameters: inout [Parameter], gradients: [Tensor<Float>])
    /// Number of steps taken so far (Keras `iterations`).
    var iterations: Int { get }
}

/// Splits `count` elements into contiguous chunks, over both cores when the
/// work is large enough to pay for the hand-off. Elementwise updates give
/// the same bits however they are split.
@inline(__always)
func forEachChunk(count: Int, minimumPerThread: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let threads = min(ComputeThreads.maximum, max(1, count / minimumPerThread))
    if threads <= 1 { body(0..<count); return }
    let chunk = (count + threads - 1) / threads
    let aligned = (chunk + 15) & ~15
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let start = t * aligned
            if start < count { body(start..<min(count, start + aligned)) }
        }
    }
}
