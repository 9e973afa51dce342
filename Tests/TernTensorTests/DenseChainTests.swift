import Foundation
import Testing
import TernTensor
import TernTesting

/// The fused dense chain (``DenseChain``) against the layer-by-layer gemm
/// path (bit for bit) and against a plain Double-accumulated forward pass
/// (within rounding).
@Suite struct DenseChainTests {
    /// Random weights in [-0.5, 0.5), biases in [-0.1, 0.1).
    static func chain(_ widths: [Int], activations: [Activation], bias: Bool = true, seed: UInt64 = 7) throws -> DenseChain {
        var rng = SeededGenerator(seed: seed)
        var layers: [DenseChain.Layer] = []
        for i in 0..<(widths.count - 1) {
            let k = widths[i], n = widths[i + 1]
            let w = try Tensor(shape: [k, n], scalars: (0..<(k * n)).map { _ in rng.nextFloat(in: -0.5, 0.5) })
            let b = bias ? Tensor((0..<n).map { _ in rng.nextFloat(in: -0.1, 0.1) }) : nil
            layers.append(DenseChain.Layer(kernel: w, bias: b, activation: activations[i]))
        }
        return try DenseChain(layers: layers)
    }

    /// `rows` inputs in [0, 1), a `zeros` fraction of them exactly zero.
    static func floats(rows: Int, width: Int, zeros: Float, seed: UInt64 = 3) throws -> Tensor<Float> {
        var rng = SeededGenerator(seed: seed)
        return try Tensor(shape: [rows, width], scalars: (0..<(rows * width)).map { _ in
            rng.nextUnitFloat() < zeros ? 0 : rng.nextUnitFloat()
        })
    }

    /// MNIST-like bytes: a `zeros` fraction of zero bytes, the rest 1...255.
    static func bytes(rows: Int, width: Int, zeros: Float, seed: UInt64 = 5) throws -> Tensor<UInt8> {
        var rng = SeededGenerator(seed: seed)
        return try Tensor(shape: [rows, width], scalars: (0..<(rows * width)).map { _ in
            rng.nextUnitFloat() < zeros ? UInt8(0) : UInt8(1 + Int(rng.nextUnitFloat() * 254.99))
        })
    }

    /// The forward pass in Double from the layer weights: the naive reference.
    static func naive(_ chain: DenseChain, _ input: Tensor<Float>) -> Tensor<Float> {
        let rows = input.shape[0]
        var x = input.scalars.map(Double.init)
        for layer in chain.layers {
            let k = layer.inputs, n = layer.units
            let w = layer.kernel.scalars, b = layer.bias?.scalars
            var y = [Double](repeating: 0, count: rows * n)
            for r in 0..<rows {
                for j in 0..<n {
                    var s = b.map { Double($0[j]) } ?? 0
                    for p in 0..<k { s += x[r * k + p] * Double(w[p * n + j]) }
                    y[r * n + j] = s
                }
                let row = r * n..<(r + 1) * n
                switch layer.activation {
                case .linear: break
                case .relu: for i in row { y[i] = max(y[i], 0) }
                case .tanh: for i in row { y[i] = Foundation.tanh(y[i]) }
                case .softmax:
                    let m = y[row].max()!
                    var sum = 0.0
                    for i in row { y[i] = Foundation.exp(y[i] - m); sum += y[i] }
                    for i in row { y[i] /= sum }
                default: Issue.record("no naive \(layer.activation)")
                }
            }
            x = y
        }
        return try! Tensor(shape: [rows, chain.outputWidth], scalars: x.map(Float.init))
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var widths: [Int]
        var activations: [Activation]
        var bias = true
        var zeros: Float
        var testDescription: String { "\(widths) \(activations.map(\.rawValue)) bias=\(bias) zeros=\(zeros)" }
    }

    static let cases: [Case] = [
        Case(widths: [784, 128, 10], activations: [.relu, .softmax], zeros: 0.8),
        Case(widths: [784, 128, 10], activations: [.relu, .softmax], zeros: 0),
        Case(widths: [37, 20, 33, 70], activations: [.tanh, .relu, .linear], zeros: 0.3),
        Case(widths: [16, 16], activations: [.softmax], bias: false, zeros: 0.5),
        Case(widths: [100, 64, 5], activations: [.relu, .linear], bias: false, zeros: 0.9),
        Case(widths: [3, 130, 1], activations: [.sigmoid, .linear], zeros: 0),
        Case(widths: [50, 40, 24, 8], activations: [.gelu, .leakyRelu, .softmax], zeros: 0.6),
    ]

    @Test(arguments: cases)
    func floatsMatchLayerByLayerExactly(_ c: Case) throws {
        let chain = try Self.chain(c.widths, activations: c.activations, bias: c.bias)
        for rows in [1, 2, 3, 4, 5, 8, 9, 63, 64, 65, 131, 700] {
            let x = try Self.floats(rows: rows, width: c.widths[0], zeros: c.zeros, seed: UInt64(rows))
            let fast = try chain.predict(x)
            #expect(fast == (try chain.reference(x)), "rows \(rows)")
        }
    }

    @Test(arguments: cases)
    func bytesMatchConvertedFloatsExactly(_ c: Case) throws {
        let chain = try Self.chain(c.widths, activations: c.activations, bias: c.bias)
        for (scale, offset) in [(Float(1) / 255, Float(0)), (0.00392156862745098, 0), (1, 0), (0.5, -0.25), (-0.01, 0)] {
            for rows in [1, 3, 4, 7, 64, 65, 300] {
                let x = try Self.bytes(rows: rows, width: c.widths[0], zeros: c.zeros, seed: UInt64(rows) &+ 11)
                let fast = try chain.predict(x, scale: scale, offset: offset)
                let expected = try chain.reference(Tensor<Float>(x, scale: scale, offset: offset))
                #expect(fast == expected, "rows \(rows), scale \(scale), offset \(offset)")
            }
        }
    }

    @Test func matchesNaiveDoubleForwardPass() throws {
        for c in Self.cases where c.activations.allSatisfy({ [.linear, .relu, .tanh, .softmax].contains($0) }) {
            let chain = try Self.chain(c.widths, activations: c.activations, bias: c.bias)
            let x = try Self.floats(rows: 13, width: c.widths[0], zeros: c.zeros)
            expectClose(try chain.predict(x), Self.naive(chain, x), rtol: 1e-4, atol: 1e-5, "\(c.testDescription)")
        }
    }

    /// A batch large enough to be split between threads gives the same
    /// outputs as one thread, and as the rows run one at a time.
    @Test func threadSplitAndSingleRowsAgree() throws {
        let chain = try Self.chain([784, 128, 10], activations: [.relu, .softmax])
        let x = try Self.bytes(rows: 1000, width: 784, zeros: 0.8)
        let batch = try chain.predict(x, scale: 1 / 255)
        for r in [0, 1, 499, 998, 999] {
            let one = try chain.predict(x.slice(rows: r..<(r + 1)), scale: 1 / 255)
            #expect(one.scalars == Array(batch.scalars[(r * 10)..<(r * 10 + 10)]), "row \(r)")
        }
        #expect(batch == (try chain.reference(Tensor<Float>(x, scale: 1 / 255, offset: 0))))
    }

    @Test func emptyBatchAndShapeErrors() throws {
        let chain = try Self.chain([6, 4, 2], activations: [.relu, .softmax])
        #expect(try chain.predict(Tensor<Float>(zeros: [0, 6])).shape == [0, 2])
        #expect(throws: TensorError.self) { try chain.predict(Tensor<Float>(zeros: [2, 5])) }
        #expect(throws: TensorError.self) { try chain.predict(Tensor<UInt8>(zeros: [3]), scale: 1) }
        #expect(throws: TensorError.self) { try DenseChain(layers: []) }
        let a = DenseChain.Layer(kernel: Tensor(zeros: [6, 4])), b = DenseChain.Layer(kernel: Tensor(zeros: [5, 2]))
        #expect(throws: TensorError.self) { try DenseChain(layers: [a, b]) }
        #expect(throws: TensorError.self) { try DenseChain(layers: [DenseChain.Layer(kernel: Tensor(zeros: [6, 4]), bias: Tensor(zeros: [3]))]) }
        // (rows, 2, 3) inputs are flattened to 6 per row.
        #expect(try chain.predict(Tensor<Float>(zeros: [2, 2, 3])).shape == [2, 2])
    }
}
