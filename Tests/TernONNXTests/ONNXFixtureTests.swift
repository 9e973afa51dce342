import Foundation
import Testing
import TernFormats
import TernONNX
import TernTensor
import TernTesting

/// The `.onnx` fixtures (scripts/make_onnx_fixtures.py) against ONNX
/// Runtime's outputs, and their coverage of the registered operators.
@Suite struct ONNXFixtureTests {
    /// Every `Fixtures/onnx/<name>.onnx` (written by scripts/make_onnx_fixtures.py)
    /// run on `<name>.json`'s inputs matches its outputs, ONNX Runtime's:
    /// FP32 within 1e-5 absolute or 1e-4 relative, FLOAT16 within one
    /// FLOAT16 step, other types exactly.
    @Test(arguments: ONNXFixtures.modelFiles)
    func matchesONNXRuntime(_ file: String) throws {
        let model = ONNXFixtures.modelDirectory.appendingPathComponent(file)
        let json = model.deletingPathExtension().appendingPathExtension("json")
        let fixture = try ONNXFixtures.load(json)
        let graph = try ONNXModelFile.parse([UInt8](Data(contentsOf: model)))
        let outputs = try ONNXExecutor(graph: graph).run(fixture.inputs)
        #expect(!fixture.outputs.isEmpty)
        for (name, value) in fixture.outputs.sorted(by: { $0.key < $1.key }) {
            // FLOAT16: one FLOAT16 step (see ONNXPyTorchModelTests).
            let half = value.dtype == .float16
            expectONNXClose(outputs[name], value, "\(file): \(name)", atol: half ? 0x1p-14 : 1e-5, rtol: half ? 0x1p-10 : 1e-4)
        }
    }

    /// Every operator the executor registers runs in at least one `.onnx`
    /// fixture checked against ONNX Runtime above: an operator added
    /// without a fixture fails here, naming it.
    @Test func fixturesCoverEveryRegisteredOperator() throws {
        var ops = Set<String>()
        for file in ONNXFixtures.modelFiles {
            let graph = try ONNXModelFile.parse([UInt8](Data(contentsOf: ONNXFixtures.modelDirectory.appendingPathComponent(file))))
            ops.formUnion(graph.nodes.map(\.opType))
        }
        let registered = Set(ONNXExecutor.supportedOperators)
        #expect(registered.count >= 50, "the registry lists \(registered.count) operators")
        let uncovered = registered.subtracting(ops).sorted()
        #expect(uncovered.isEmpty, "no .onnx fixture runs \(uncovered); add one to scripts/make_onnx_fixtures.py")
        // And no fixture relies on an operator the executor does not register.
        #expect(ops.subtracting(registered).isEmpty, "fixtures use unregistered operators \(ops.subtracting(registered).sorted())")
    }
}

extension ONNXFixtures {
    /// The `.onnx` fixtures that have a `.json` of inputs and outputs.
    static let modelFiles: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: modelDirectory.path)) ?? []
        return files.filter { file in
            file.hasSuffix(".onnx") && FileManager.default.fileExists(
                atPath: modelDirectory.appendingPathComponent(file).deletingPathExtension().appendingPathExtension("json").path)
        }.sorted()
    }()
}

