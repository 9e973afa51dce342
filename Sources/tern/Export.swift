import ArgumentParser
import Foundation
import TernFormats
import TernONNX
import TernSupport

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
