import Foundation
import Testing
import TernTensor
import TernTesting
import TernFormats
import TernONNX

/// Tern's ONNX exports checked against ONNX Runtime through committed
/// goldens: `Fixtures/onnx-export/<name>.onnx` is the export the golden was
/// made from and `<name>.json` holds seeded inputs and ONNX Runtime's
/// outputs on that file (`scripts/make_onnx_fixtures.py --golden`, which
/// also runs `onnx.checker`). Each test fails, never skips, when the golden
/// is missing or the export no longer matches it (then regenerate: see
/// scripts/README.md).
@Suite struct ONNXExportGoldenTests {
    static let directory = packageRoot.appendingPathComponent("Tests/TernONNXTests/Fixtures/onnx-export")

    static let names = ["tern_mlp", "tern_cnn", "tern_example_mnist_mlp", "tern_example_mnist_cnn", "tern_example_mnist_cnn_augmented"]

    static func spec(_ name: String) throws -> ModelSpec {
        switch name {
        case "tern_mlp": return try decodeSpec(ONNXExportTests.mlpSpec)
        case "tern_cnn": return try decodeSpec(ONNXExportTests.cnnSpec)
        default: return try exampleSpec(String(name.dropFirst("tern_example_".count)).replacingOccurrences(of: "_", with: "-"))
        }
    }

    /// Tern's prediction on `input` (UINT8 pixels or FLOAT features).
    static func predict(_ model: TernModel, _ input: AnyTensor) throws -> Tensor<Float> {
        switch input {
        case let .uint8(t): return try model.predict(t)
        case let .float32(t): return try model.predict(t)
        default: throw ONNXFixtures.FixtureError(description: "input of type \(input.dtype.onnxName)")
        }
    }

    /// The graph as compared with its golden: the producer (Tern's version) set aside.
    static func comparable(_ bytes: [UInt8]) throws -> ONNXGraph {
        var graph = try ONNXModelFile.parse(bytes)
        graph.producer = ""
        return graph
    }

    @Test(arguments: names)
    func exportMatchesONNXRuntime(_ name: String) throws {
        let model = try ONNXExportTests.model(Self.spec(name))
        let exported = try model.onnxBytes()
        if let dir = ProcessInfo.processInfo.environment["TERN_ONNX_EXPORT_DIR"] {
            try Self.write(name, model: model, bytes: exported, to: URL(fileURLWithPath: dir))
        }
        let goldenFile = Self.directory.appendingPathComponent("\(name).onnx")
        guard let golden = FileManager.default.contents(atPath: goldenFile.path) else {
            Issue.record("no golden \(goldenFile.path): make it with scripts/make_onnx_fixtures.py --golden (scripts/README.md)")
            return
        }
        #expect(try Self.comparable(exported) == Self.comparable([UInt8](golden)),
                "the export of \(name) differs from its golden; if the change is intended, regenerate the goldens (scripts/README.md)")
        let fixture = try ONNXFixtures.load(Self.directory.appendingPathComponent("\(name).json"))
        let input = try #require(fixture.inputs["input"])
        let expected = try #require(fixture.outputs["output"], "golden \(name) has no ONNX Runtime output")
        // Tern's own prediction and Tern's executor on the exported file both agree with ONNX Runtime.
        expectONNXClose(.float32(try Self.predict(model, input)), expected, "\(name): Tern's prediction vs ONNX Runtime")
        let run = try ONNXModel(bytes: exported).predict(fixture.inputs)
        expectONNXClose(run["output"], expected, "\(name): Tern's ONNX executor vs ONNX Runtime")
    }

    /// Writes `<name>.onnx` and `<name>.json` (seeded inputs, Tern's outputs)
    /// for `make_onnx_fixtures.py --golden`, which replaces the outputs by
    /// ONNX Runtime's.
    static func write(_ name: String, model: TernModel, bytes: [UInt8], to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = SystemRandomNumberGenerator.Seeded(seed: UInt64(11 + (names.firstIndex(of: name) ?? 0)))
        let shape = [3] + model.spec.input.shape.dimensions
        let count = shape.reduce(1, *)
        let inputJSON: String
        let output: Tensor<Float>
        if model.spec.input.dtype == .uint8 {
            let pixels = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            output = try model.predict(Tensor<UInt8>(shape: Shape(shape), scalars: pixels))
            inputJSON = #"{"datatype":"UINT8","shape":\#(shape),"data":[\#(pixels.map(String.init).joined(separator: ","))]}"#
        } else {
            let values = (0..<count).map { _ in Float(Double(rng.next() % 20001) / 10000 - 1) }
            output = try model.predict(Tensor<Float>(shape: Shape(shape), scalars: values))
            inputJSON = #"{"datatype":"FLOAT","shape":\#(shape),"data":[\#(values.map { "\($0)" }.joined(separator: ","))]}"#
        }
        let outputJSON = #"{"datatype":"FLOAT","shape":\#(output.shape.dimensions),"data":[\#(output.scalars.map { "\($0)" }.joined(separator: ","))]}"#
        try Data(bytes).write(to: dir.appendingPathComponent("\(name).onnx"))
        try Data(#"{"inputs":{"input":\#(inputJSON)},"outputs":{"output":\#(outputJSON)}}"#.utf8)
            .write(to: dir.appendingPathComponent("\(name).json"))
    }
}
