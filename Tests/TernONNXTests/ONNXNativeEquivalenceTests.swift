import Foundation
import Testing
import TernFormats
import TernONNX
import TernNN
import TernTensor
import TernTesting

/// The imported (ONNX) forms of a Tern MLP and CNN compute what the native
/// networks do (their speed is compared in `Benchmarks/onnx.sh`).
@Suite(.serialized) struct ONNXNativeEquivalenceTests {
    @Test func mnistMLPMatchesNativeDense() throws {
        let network = try Network(
            inputShape: [784],
            layers: [.dense(units: 128, activation: .relu, useBias: true), .dense(units: 10, activation: .softmax, useBias: true)],
            seed: 3)
        let p = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value) })
        let kernels = network.parameters.filter { $0.name.hasSuffix("/kernel") }.map(\.value)
        let biases = network.parameters.filter { $0.name.hasSuffix("/bias") }.map(\.value)
        #expect(kernels.count == 2 && biases.count == 2 && p.count == 4)
        // As PyTorch exports nn.Linear: Gemm with weights stored (out, in) and transB = 1.
        func transposed(_ t: Tensor<Float>) -> AnyTensor {
            let (r, c) = (t.shape[0], t.shape[1])
            let s = t.scalars
            return .float(shape: [c, r], (0..<(r * c)).map { s[($0 % r) * c + $0 / r] })
        }
        let graph = ONNXGraph(
            nodes: [
                node("Gemm", ["x", "w1", "b1"], ["h0"], ["transB": .int(1)]),
                node("Relu", ["h0"], ["h"]),
                node("Gemm", ["h", "w2", "b2"], ["logits"], ["transB": .int(1)]),
                node("Softmax", ["logits"], ["probs"], ["axis": .int(1)]),
            ],
            initializers: [
                "w1": tensorData("w1", transposed(kernels[0])), "b1": tensorData("b1", .float32(biases[0])),
                "w2": tensorData("w2", transposed(kernels[1])), "b2": tensorData("b2", .float32(biases[1])),
            ],
            inputs: [ONNXValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .fixed(784)])],
            outputs: [valueInfo("probs", .float32, nil)], opsetVersion: 17)
        let executor = try ONNXExecutor(graph: graph)

        // An MNIST-like image: mostly zeros with a blob of ink.
        var image = Tensor<Float>(zeros: [1, 784])
        for row in 8..<20 { for column in 10..<18 { image[0, row * 28 + column] = Float((row * column) % 7) / 7 } }
        let native = try network.predict(image)
        let imported = try executor.run(["x": .float32(image)])["probs"]
        expectClose(try #require(imported?.testFloats), native, rtol: 1e-5, atol: 1e-6, "probabilities")
        // Speed is measured by Benchmarks/onnx.sh and Benchmarks/inference, not here.
    }

    @Test func mnistCNNMatchesNativeConv2D() throws {
        let network = try Network(
            inputShape: [28, 28, 1],
            layers: [
                .conv2D(filters: 16, kernelSize: [3, 3], strides: [1, 1], padding: .valid, activation: .relu, useBias: true),
                .maxPooling2D(poolSize: [2, 2], strides: nil, padding: .valid),
                .conv2D(filters: 32, kernelSize: [3, 3], strides: [1, 1], padding: .same, activation: .relu, useBias: true),
                .maxPooling2D(poolSize: [2, 2], strides: nil, padding: .valid),
                .flatten,
                .dense(units: 10, activation: .softmax, useBias: true),
            ],
            seed: 5)
        let kernels = network.parameters.filter { $0.name.hasSuffix("/kernel") }.map(\.value)
        let biases = network.parameters.filter { $0.name.hasSuffix("/bias") }.map(\.value)
        // Tern's conv kernel (kH, kW, inC, outC) becomes ONNX's (outC, inC, kH, kW).
        func onnxKernel(_ k: Tensor<Float>) -> AnyTensor {
            let (kh, kw, ci, co) = (k.shape[0], k.shape[1], k.shape[2], k.shape[3])
            var out = [Float](repeating: 0, count: k.count)
            for o in 0..<co { for c in 0..<ci { for y in 0..<kh { for x in 0..<kw {
                out[((o * ci + c) * kh + y) * kw + x] = k[y, x, c, o]
            } } } }
            return .float(shape: [co, ci, kh, kw], out)
        }
        // Tern flattens (h, w, c); the ONNX graph flattens (c, h, w): permute the dense rows.
        let dense = kernels[2]
        let (h, w, c) = (6, 6, 32)  // 28 → conv 26 → pool 13 → conv 13 → pool 6
        var rows = [Float](repeating: 0, count: dense.count)
        for ci in 0..<c { for y in 0..<h { for x in 0..<w { for u in 0..<10 {
            rows[((ci * h + y) * w + x) * 10 + u] = dense[(y * w + x) * c + ci, u]
        } } } }
        let graph = ONNXGraph(
            nodes: [
                node("Conv", ["x", "k1", "b1"], ["c1"], ["kernel_shape": .ints([3, 3])]),
                node("Relu", ["c1"], ["r1"]),
                node("MaxPool", ["r1"], ["p1"], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
                node("Conv", ["p1", "k2", "b2"], ["c2"], ["pads": .ints([1, 1, 1, 1])]),
                node("Relu", ["c2"], ["r2"]),
                node("MaxPool", ["r2"], ["p2"], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
                node("Flatten", ["p2"], ["f"]),
                node("Gemm", ["f", "w3", "b3"], ["logits"]),
                node("Softmax", ["logits"], ["probs"]),
            ],
            initializers: [
                "k1": tensorData("k1", onnxKernel(kernels[0])), "b1": tensorData("b1", .float32(biases[0])),
                "k2": tensorData("k2", onnxKernel(kernels[1])), "b2": tensorData("b2", .float32(biases[1])),
                "w3": tensorData("w3", .float(shape: [c * h * w, 10], rows)), "b3": tensorData("b3", .float32(biases[2])),
            ],
            inputs: [valueInfo("x", .float32, [1, 1, 28, 28])],
            outputs: [valueInfo("probs", .float32, nil)], opsetVersion: 17)
        let executor = try ONNXExecutor(graph: graph)

        let image = randomTensor([1, 28, 28, 1], seed: 9, low: 0, high: 1)
        let native = try network.predict(image)
        let onnxImage = AnyTensor.float32(try image.reshaped([1, 1, 28, 28]))  // one channel: same bytes
        let imported = try #require(try executor.run(["x": onnxImage])["probs"]?.testFloats)
        expectClose(imported, native, rtol: 1e-4, atol: 1e-6, "probabilities")

        // Speed is measured by Benchmarks/onnx.sh, not here.
    }
}
