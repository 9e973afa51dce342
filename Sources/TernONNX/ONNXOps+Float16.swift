import TernTensor

/// FLOAT16 through the FLOAT kernels. Operators that compute (arithmetic,
/// activations, products, convolutions, pooling, normalisation, reductions)
/// run FLOAT16 values in FLOAT: each FLOAT16 input is widened exactly, the
/// FLOAT kernel runs, and its FLOAT outputs are rounded to the nearest
/// FLOAT16, so every such node rounds once, at its output, as ONNX Runtime's
/// CPU kernels do where they widen. Layout operators, Cast, Where and the
/// constant operators move FLOAT16 elements as they are.
extension ONNXOps {
    static func promotingFloat16(_ compile: @escaping Compiler) -> Compiler {
        { context in
            let kernel = try compile(context.widenedFloat16())
            return { inputs in
                guard inputs.contains(where: { $0?.dtype == .float16 }) else { return try kernel(&inputs) }
                for i in inputs.indices {
                    if case let .float16(t)? = inputs[i] { inputs[i] = .float32(t.map { Float($0) }) }
                }
                var outputs = try kernel(&inputs)
                for i in outputs.indices {
                    if case let .float32(t) = outputs[i] { outputs[i] = .float16(t.map { Float16($0) }) }
                }
                return outputs
            }
        }
    }

    /// Every entry of `compilers` wrapped by ``promotingFloat16(_:)``.
    static func promotingFloat16(_ compilers: [String: Compiler]) -> [String: Compiler] {
        compilers.mapValues { promotingFloat16($0) }
    }
}
