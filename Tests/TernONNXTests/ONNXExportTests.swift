import Foundation
import Testing
import TernTensor
import TernTesting
import TernFormats
@testable import TernONNX

@Suite struct ONNXExportTests {
    static let mlpSpec = """
    {"name": "mlp", "input": {"shape": [28, 28], "dtype": "uint8"},
     "preprocessing": [{"type": "rescale", "scale": 0.00392156862745098, "offset": -0.5}],
     "layers": [{"type": "flatten"}, {"type": "dense", "units": 16, "activation": "relu"},
                {"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 8, "activation": "gelu"},
                {"type": "batch_normalization", "epsilon": 0.01},
                {"type": "dense", "units": 10, "activation": "softmax"}],
     "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"}}
    """

    static let cnnSpec = """
    {"name": "cnn", "input": {"shape": [9, 8, 2], "dtype": "float32"},
     "layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
                {"type": "batch_normalization"},
                {"type": "max_pooling2d", "pool_size": 2, "padding": "same"},
                {"type": "conv2d", "filters": 3, "kernel_size": [2, 3], "strides": [1, 2], "activation": "leaky_relu"},
                {"type": "average_pooling2d", "pool_size": 2, "strides": 1, "padding": "same"},
                {"type": "activation", "activation": "tanh"},
                {"type": "flatten"}, {"type": "dense", "units": 5, "activation": "sigmoid"}],
     "compile": {"optimizer": "adam", "loss": "binary_crossentropy"}}
    """

    /// A seeded model whose batch-norm statistics are not the identity.
    static func model(_ json: String) throws -> TernModel { try model(decodeSpec(json)) }

    static func model(_ spec: ModelSpec) throws -> TernModel {
        var model = try TernModel(spec: spec, seed: 7)
        var rng = SystemRandomNumberGenerator.Seeded(seed: 3)
        for i in model.network.parameters.indices where model.network.parameters[i].name.contains("batch_normalization") {
            let isVariance = model.network.parameters[i].name.hasSuffix("variance")
            model.network.parameters[i].value.withUnsafeMutableBufferPointer { p in
                for j in p.indices {
                    let r = Float(Double(rng.next() % 1000) / 1000)
                    p[j] = isVariance ? 0.5 + r : r - 0.5
                }
            }
        }
        return model
    }

    @Test func exportsAnMLP() throws {
        let model = try Self.model(Self.mlpSpec)
        let graph = try ONNXModelFile.parse(model.onnxBytes())
        #expect(graph.opsetVersion == 17)
        #expect(graph.producer.hasPrefix("tern"))
        #expect(graph.inputs == [ONNXValueInfo(name: "input", dtype: .uint8, shape: [.symbolic("N"), .fixed(28), .fixed(28)])])
        #expect(graph.outputs == [ONNXValueInfo(name: "output", dtype: .float32, shape: [.symbolic("N"), .fixed(10)])])
        #expect(graph.nodes.map(\.opType) == ["Cast", "Mul", "Add", "Flatten", "Gemm", "Relu", "Gemm",
                                              "Div", "Erf", "Add", "Mul", "Mul", "BatchNormalization", "Gemm", "Softmax"])
        #expect(graph.nodes.last?.outputs == ["output"])
        #expect(graph.nodes[0].attributes["to"] == .int(1))
        let kernel = try #require(graph.initializers["dense/kernel"])
        #expect(kernel.shape == [784, 16])
        let tern = try #require(model.network.parameters.first { $0.name == "dense/kernel" }).value.scalars
        #expect(kernel.bytes == littleEndianBytes(tern.map(\.bitPattern)))
        #expect(graph.nodes[12].attributes["epsilon"] == .float(0.01))
        #expect(graph.initializers["batch_normalization/moving_variance"]?.shape == [8])
    }

    @Test func exportsACNNWithLayoutTransposes() throws {
        let model = try Self.model(Self.cnnSpec)
        let graph = try ONNXModelFile.parse(model.onnxBytes())
        #expect(graph.inputs == [ONNXValueInfo(name: "input", dtype: .float32, shape: [.symbolic("N"), .fixed(9), .fixed(8), .fixed(2)])])
        #expect(graph.nodes.map(\.opType) == ["Transpose", "Conv", "Relu", "BatchNormalization", "MaxPool", "Conv", "LeakyRelu",
                                              "AveragePool", "Tanh", "Transpose", "Flatten", "Gemm", "Sigmoid"])
        #expect(graph.nodes[0].attributes["perm"] == .ints([0, 3, 1, 2]))
        #expect(graph.nodes[9].attributes["perm"] == .ints([0, 2, 3, 1]))
        // same padding of a 3x3 kernel: one pixel on each side; of a 2x2 pool on 9x8: the odd row after.
        #expect(graph.nodes[1].attributes["pads"] == .ints([1, 1, 1, 1]))
        #expect(graph.nodes[4].attributes["pads"] == .ints([0, 0, 1, 0]))
        #expect(graph.nodes[5].attributes["strides"] == .ints([1, 2]))
        #expect(graph.nodes[7].attributes["count_include_pad"] == .int(0))
        #expect(graph.nodes[6].attributes["alpha"] == .float(0.2))
        // The kernel moves from (kH, kW, inC, outC) to (outC, inC, kH, kW).
        let w = try #require(graph.initializers["conv2d_1/kernel"])
        #expect(w.shape == [3, 4, 2, 3])
        let tern = try #require(model.network.parameters.first { $0.name == "conv2d_1/kernel" }).value
        #expect(tern.shape == [2, 3, 4, 3])
        let (y, x, c, o) = (1, 2, 3, 1)
        let onnxIndex = ((o * 4 + c) * 2 + y) * 3 + x
        let value = w.bytes[(onnxIndex * 4)..<(onnxIndex * 4 + 4)].withUnsafeBytes { $0.loadUnaligned(as: Float.self) }
        #expect(value == tern.scalars[((y * 3 + x) * 4 + c) * 3 + o])
    }

    @Test func refusesTableModels() throws {
        var input = InputSpec(tableTarget: "y")
        input.shape = [3]
        let spec = ModelSpec(name: "table", input: input, layers: [.dense(units: 2, activation: .softmax, useBias: true)],
                             compile: try decodeSpec(Self.mlpSpec).compile)
        let model = try TernModel(spec: spec, seed: 1)
        #expect(throws: ONNXError.exportUnsupported("model 'table' is a table model; its tabular pipeline has no ONNX form")) {
            try model.onnxBytes()
        }
    }
}
