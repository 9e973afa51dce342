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

/// Elementwise work over `0..<count` that can run in contiguous chunks.
protocol ChunkedWork: Sendable {
    func run(_ range: Range<Int>)
}

/// Runs `work` over `0..<count` in contiguous chunks, on both cores when the
/// work is large enough to pay for the hand-off (~10 µs here). Elementwise
/// updates give the same bits however they are split.
func forEachChunk(count: Int, minimumPerThread: Int = 1 << 19, _ work: some ChunkedWork) {
    let threads = min(ComputeThreads.maximum, max(1, count / minimumPerThread))
    if threads <= 1 { work.run(0..<count); return }
    let chunk = ((count + threads - 1) / threads + 15) & ~15
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let start = t * chunk
        if start < count { work.run(start..<min(count, start + chunk)) }
    }
}
