import Foundation
import TernFormats
import TernTensor

/// Elementwise maths and activations on FLOAT (Tern's vector kernels where
/// it has them) and DOUBLE, plus Clip, which also takes integers. A FLOAT
/// input whose last reader is this node is overwritten in place.
extension ONNXOps {
    enum UnaryFunction {
        case relu, sigmoid, tanh, exp, log, sqrt, erf, neg, abs, reciprocal

        /// The function on a FLOAT buffer, in place.
        func apply(_ x: UnsafeMutableBufferPointer<Float>) {
            switch self {
            case .relu: ActivationKernels.relu(x)
            case .sigmoid: ActivationKernels.sigmoid(x)
            case .tanh: ActivationKernels.tanh(x)
            case .exp: for i in x.indices { x[i] = Foundation.exp(x[i]) }
            case .log: for i in x.indices { x[i] = Foundation.log(x[i]) }
            case .sqrt: for i in x.indices { x[i] = x[i].squareRoot() }
            case .erf: for i in x.indices { x[i] = Float(Foundation.erf(Double(x[i]))) }
            case .neg: for i in x.indices { x[i] = -x[i] }
            case .abs: for i in x.indices { x[i] = Swift.abs(x[i]) }
            case .reciprocal: for i in x.indices { x[i] = 1 / x[i] }
            }
        }

        /// The function on one DOUBLE.
        func apply(_ x: Double) -> Double {
            switch self {
            case .relu: return Swift.max(x, 0)
            case .sigmoid: return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
            case .tanh: return Foundation.tanh(x)
            case .exp: return Foundation.exp(x)
            case .log: return Foundation.log(x)
            case .sqrt: return x.squareRoot()
            case .erf: return Foundation.erf(x)
            case .neg: return -x
            case .abs: return Swift.abs(x)
            case .reciprocal: return 1 / x
            }
        }
    }

    static func unary(_ function: UnaryFunction) -> Compiler {
        { context in
            _ = try context.attributes(allowed: [])
            try context.expect(inputs: 1...1)
            return { inputs in
                [try mapFloating(&inputs, 0, { function.apply($0) }, { function.apply($0) })]
            }
        }
    }

    /// Applies `float` in place to input `i` (taking it out of `inputs`, so
    /// an unshared buffer is reused) or `double` to each DOUBLE element.
    static func mapFloating(
        _ inputs: inout [AnyTensor?], _ i: Int,
        _ float: (UnsafeMutableBufferPointer<Float>) -> Void, _ double: (Double) -> Double
    ) throws -> AnyTensor {
        let value = try input(inputs, i, "X")
        inputs[i] = nil
        switch consume value {
        case var .float32(t):
            t.withUnsafeMutableBufferPointer(float)
            return .float32(t)
        case let .float64(t):
            return .float64(t.map(double))
        case let other:
            throw ONNXKernelError("X must be FLOAT or DOUBLE, got \(other.dtype.onnxName)")
        }
    }

    static let leakyRelu: Compiler = { context in
        let attributes = try context.attributes(allowed: ["alpha"])
        let alpha = try attributes.float("alpha", default: 0.01)
        try context.expect(inputs: 1...1)
        return { inputs in
            try [mapFloating(&inputs, 0, { ActivationKernels.leakyRelu($0, alpha: alpha) },
                             { $0 < 0 ? $0 * Double(alpha) : $0 })]
        }
    }

    /// Gelu (opset 20): `x·Φ(x)` exactly, or with `approximate = "tanh"`
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    static let gelu: Compiler = { context in
        let attributes = try context.attributes(allowed: ["approximate"])
        let approximate = try attributes.choice("approximate", default: "none", ["none", "tanh"]) == "tanh"
        guard context.opset >= 20 else { throw context.invalid("Gelu needs opset 20 or later (the graph has \(context.opset))") }
        try context.expect(inputs: 1...1)
        let c = (2 / Double.pi).squareRoot()
        let tanhForm: @Sendable (Double) -> Double = { x in 0.5 * x * (1 + Foundation.tanh(c * (x + 0.044715 * x * x * x))) }
        let exactForm: @Sendable (Double) -> Double = { x in 0.5 * x * Foundation.erfc(-x / 2.0.squareRoot()) }
        let f = approximate ? tanhForm : exactForm
        return { inputs in
            try [mapFloating(&inputs, 0, { x in
                if approximate {
                    for i in x.indices { x[i] = Float(tanhForm(Double(x[i]))) }
                } else {
                    ActivationKernels.gelu(x)
                }
            }, f)]
        }
    }

    /// Clip(input, min?, max?): `min(max(x, min), max)` with scalar bounds
    /// (omitted bounds do not clip), so `min > max` gives `max` everywhere.
    static let clip: Compiler = { context in
        _ = try context.attributes(allowed: [])
        try context.expect(inputs: 1...3)
        return { inputs in
            let x = try input(inputs, 0, "input")
            func bound<T: TensorScalar>(_ i: Int, _ what: String, _: T.Type) throws -> T? {
                guard i < inputs.count, let b = inputs[i] else { return nil }
                guard b.count == 1, let t = b.tensor(of: T.self) else {
                    throw ONNXKernelError("\(what) must be a single \(x.dtype.onnxName) element, got \(b.dtype.onnxName) \(b.dims)")
                }
                return t[flat: 0]
            }
            func clamp<T: TensorScalar & Comparable>(_ t: Tensor<T>, _ lowest: T, _ highest: T) throws -> AnyTensor {
                let lo = try bound(1, "min", T.self) ?? lowest, hi = try bound(2, "max", T.self) ?? highest
                return AnyTensor(t.map { Swift.min(Swift.max($0, lo), hi) })
            }
            switch x {
            case .float32:
                let lo = try bound(1, "min", Float.self) ?? -.infinity, hi = try bound(2, "max", Float.self) ?? .infinity
                return try [mapFloating(&inputs, 0, { v in
                    for i in v.indices { v[i] = Swift.min(Swift.max(v[i], lo), hi) }
                }, { $0 })]
            case let .float64(t): return [try clamp(t, -.infinity, .infinity)]
            case let .int64(t): return [try clamp(t, .min, .max)]
            case let .int32(t): return [try clamp(t, .min, .max)]
            case let .int16(t): return [try clamp(t, .min, .max)]
            case let .int8(t): return [try clamp(t, .min, .max)]
            case let .uint64(t): return [try clamp(t, .min, .max)]
            case let .uint32(t): return [try clamp(t, .min, .max)]
            case let .uint16(t): return [try clamp(t, .min, .max)]
            case let .uint8(t): return [try clamp(t, .min, .max)]
            default:
                throw ONNXKernelError("input must be numeric, got \(x.dtype.onnxName)")
            }
        }
    }
}
