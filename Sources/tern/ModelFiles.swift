import Foundation
import TernFormats
import TernONNX
import TernServing
import TernTensor
import TernSupport

/// Reads a model file: a `.tern` or `.onnx` extension decides its format;
/// otherwise its content does (``ModelFormats/read(_:)``).
func readServable(_ path: String) throws -> any ServableModel {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("model file '\(URL(fileURLWithPath: path).lastPathComponent)' not found")
    }
    let bytes = [UInt8](data)
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "onnx": return try ONNXModel(bytes: bytes)
    case "tern": return try TernModel(artifact: bytes)
    default: return try ModelFormats.read(bytes)
    }
}

extension ServableModel {
    /// Images `(n, 28, 28)` as the model's single input, reshaped to its
    /// per-sample dimensions: raw pixels for an input that takes UINT8 (a
    /// Tern network, which rescales itself, or a graph declared UINT8),
    /// pixels divided by `scale` for a FLOAT input.
    func imageInputs(_ images: Tensor<UInt8>, scale: Float) throws -> [String: AnyTensor] {
        guard inputs.count == 1, let input = inputs.first, input.dtype == .float32 || input.dtype == .uint8 else {
            throw CLIError("the model must take one FLOAT or UINT8 input to be fed images; it takes \(inputs.map { "\($0.name) (\($0.dtype.rawValue))" }.joined(separator: ", "))")
        }
        let n = images.rank > 0 ? images.shape[0] : 0
        let perSample = images.count / max(n, 1)
        var dims = input.sampleShape ?? [perSample]
        if dims.isEmpty { dims = [perSample] }
        guard dims.reduce(1, *) == perSample else {
            throw CLIError("input '\(input.name)' takes \(dims) per sample; the images have \(perSample) values")
        }
        if input.dtype == .uint8 || conversion(for: input.name) != .exact {
            return [input.name: .uint8(try images.reshaped(Shape([n] + dims)))]
        }
        let inverse = 1 / scale
        let floats = images.withUnsafeBufferPointer { $0.map { Float($0) * inverse } }
        return [input.name: .float32(try Tensor(shape: Shape([n] + dims), scalars: floats))]
    }

    /// The first output of `outputs` as `(n, units)` floats.
    func firstOutput(_ outputs: [String: AnyTensor]) throws -> Tensor<Float> {
        guard let name = self.outputs.first?.name, let value = outputs[name] else { throw CLIError("the model produced no output") }
        guard case let .float32(t) = value else { throw CLIError("output '\(name)' is \(value.dtype.rawValue), not float32") }
        return t
    }
}
