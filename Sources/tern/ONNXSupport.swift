import ArgumentParser
import Foundation
import TernFormats
import TernONNX
import TernServing
import TernTensor
import TernSupport

extension ServableArtifact {
    /// Reads a model file: a `.tern` or `.onnx` extension decides its
    /// format; otherwise its content does (``ServableArtifact/init(artifact:)``).
    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("model file '\(URL(fileURLWithPath: path).lastPathComponent)' not found")
        }
        let bytes = [UInt8](data)
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "onnx": self = .onnx(try ONNXModel(bytes: bytes))
        case "tern": self = .tern(try TernModel(artifact: bytes))
        default: try self.init(artifact: bytes)
        }
    }
}

extension ONNXModel {
    /// Images `(n, 28, 28)` as the model's single input, reshaped to the
    /// declared per-sample dimensions: raw pixels for a UINT8 input (such as
    /// Tern's own exports, which rescale inside the graph), pixels divided
    /// by `scale` for a FLOAT input.
    func imageInputs(_ images: Tensor<UInt8>, scale: Float) throws -> [AnyTensor] {
        guard inputInfos.count == 1, let input = inputInfos.first, input.dtype == .float32 || input.dtype == .uint8 else {
            throw CLIError("the ONNX model must take one FLOAT or UINT8 input to be fed images; it takes \(inputInfos.map { "\($0.name) (\($0.dtype.onnxName))" }.joined(separator: ", "))")
        }
        let n = images.rank > 0 ? images.shape[0] : 0
        let perSample = images.count / max(n, 1)
        var dims = (input.shape ?? []).dropFirst().map { dim -> Int in
            if case let .fixed(d) = dim { return d }
            return -1
        }
        if dims.isEmpty || dims.contains(-1) { dims = [perSample] }
        guard dims.reduce(1, *) == perSample else {
            throw CLIError("input '\(input.name)' takes \(dims) per sample; the images have \(perSample) values")
        }
        if input.dtype == .uint8 {
            return [.uint8(try images.reshaped(Shape([n] + dims)))]
        }
        let inverse = 1 / scale
        let floats = images.withUnsafeBufferPointer { $0.map { Float($0) * inverse } }
        return [.float32(try Tensor(shape: Shape([n] + dims), scalars: floats))]
    }

    /// The first output (of ``run(ordered:)``'s answer) as `(n, units)` floats.
    func firstOutput(_ outputs: [AnyTensor]) throws -> Tensor<Float> {
        guard let value = outputs.first else { throw CLIError("the model produced no output") }
        switch value {
        case let .float32(t): return t
        default: throw CLIError("output '\(outputInfos.first?.name ?? "?")' is \(value.dtype.onnxName), not FLOAT")
        }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a Tern model in another format (ONNX).",
        discussion: "Example: tern export mnist.tern --format onnx --output mnist.onnx")

    @Argument(help: "The model artifact.") var model: String
    @Option(help: "The format to write: onnx.") var format = "onnx"
    @Option(help: "Where to write the file.") var output: String

    func run() throws {
        guard format == "onnx" else { throw CLIError("unknown format '\(format)'; expected onnx") }
        let model = try loadModel(self.model)
        let bytes = try model.onnxBytes()
        let url = URL(fileURLWithPath: output)
        do { try AtomicFile.write(bytes, to: url) } catch let error as AtomicFile.WriteError { throw CLIError(error.description) }
        print("wrote \(output) (ONNX opset \(TernModel.onnxExportOpset), \(bytes.count) bytes)")
    }
}
