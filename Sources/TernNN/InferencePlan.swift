import Foundation
import TernTensor

/// The fused inference path of a ``Network`` whose layers are all dense
/// (with their activations), flatten and dropout: a ``DenseChain`` over the
/// network's weights, which runs a block of rows through every layer while
/// it is in cache, converts byte inputs on the fly and skips their zeros, and
/// allocates only its output (see ``DenseChain``). Its outputs equal the
/// layer-by-layer pass bit for bit. Other networks run layer by layer.
///
/// The chain is built on first use and kept, with the parameter tensors it
/// was built from; it is rebuilt when a parameter no longer shares storage
/// with (or has another shape than) what the chain holds, which any
/// assignment or in-place write to the parameters causes (copy-on-write).
/// Holding the tensors also keeps their storage from being reused while
/// cached, so a new tensor can never be mistaken for the cached one.
///
/// `@unchecked Sendable`: every access to the cached state holds `lock`.
final class InferenceCache: @unchecked Sendable {
    /// How a dense chain reads its weights: per layer, the indices of the
    /// kernel and bias parameters and the activation.
    struct Plan {
        var kernel: Int
        var bias: Int?
        var activation: Activation
    }

    private let lock = NSLock()
    private var plans: [Plan]?? = nil
    private var chain: DenseChain?
    private var sources: [Tensor<Float>] = []

    /// The chain for `network`'s current parameters, or nil when its layers
    /// are not a dense chain.
    func chain(for network: Network) -> DenseChain? {
        lock.lock()
        defer { lock.unlock() }
        if plans == nil { plans = .some(InferenceCache.plan(network)) }
        guard let plan = plans!, !plan.isEmpty else { return nil }
        let params = network.parameters
        if let chain, sources.count == InferenceCache.parameterCount(plan) {
            var valid = true
            var s = 0
            for step in plan {
                if !InferenceCache.same(sources[s], params[step.kernel].value) { valid = false; break }
                s += 1
                if let b = step.bias {
                    if !InferenceCache.same(sources[s], params[b].value) { valid = false; break }
                    s += 1
                }
            }
            if valid { return chain }
        }
        var layers: [DenseChain.Layer] = []
        var held: [Tensor<Float>] = []
        for step in plan {
            let kernel = params[step.kernel].value
            let bias = step.bias.map { params[$0].value }
            layers.append(DenseChain.Layer(kernel: kernel, bias: bias, activation: step.activation))
            held.append(kernel)
            if let bias { held.append(bias) }
        }
        guard let built = try? DenseChain(layers: layers) else {
            chain = nil
            sources = []
            return nil
        }
        chain = built
        sources = held
        return built
    }

    private static func same(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Bool {
        a.sharesStorage(with: b) && a.shape == b.shape
    }

    private static func parameterCount(_ plan: [Plan]) -> Int {
        plan.reduce(0) { $0 + ($1.bias == nil ? 1 : 2) }
    }

    /// The dense chain of `network`'s layers, or an empty plan when a layer
    /// is not flatten, dropout, dense or an activation right after a dense
    /// layer that has none yet.
    static func plan(_ network: Network) -> [Plan] {
        var plan: [Plan] = []
        for (i, layer) in network.layers.enumerated() {
            switch layer {
            case is Flatten, is Dropout:
                continue
            case let dense as Dense:
                plan.append(Plan(kernel: network.offsets[i], bias: dense.useBias ? network.offsets[i] + 1 : nil, activation: .linear))
            case let activation as ActivationLayer:
                guard let last = plan.indices.last, plan[last].activation == .linear else { return [] }
                plan[last].activation = activation.activation
            default:
                return []
            }
        }
        return plan
    }
}
