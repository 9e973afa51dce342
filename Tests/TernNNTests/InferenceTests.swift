import Testing
import TernTensor
import TernTesting
@testable import TernNN

/// ``Network/predict(_:)-(Tensor<Float>)`` takes the fused dense chain for
/// dense networks: same outputs as the layer-by-layer pass, bit for bit,
/// and the chain follows parameter changes.
@Suite struct InferenceTests {
    static let mlp: [LayerSpec] = [
        .flatten, .dense(units: 32, activation: .relu, useBias: true), .dropout(rate: 0.3),
        .dense(units: 10, activation: .softmax, useBias: true),
    ]

    static func pixels(_ n: Int, seed: UInt64 = 9) throws -> Tensor<UInt8> {
        var rng = SeededGenerator(seed: seed)
        return try Tensor(shape: [n, 6, 7], scalars: (0..<(n * 42)).map { _ in
            rng.nextUnitFloat() < 0.7 ? UInt8(0) : UInt8(1 + Int(rng.nextUnitFloat() * 254))
        })
    }

    @Test func denseNetworkMatchesLayerByLayer() throws {
        let net = try Network(inputShape: [6, 7], layers: Self.mlp, seed: 1)
        #expect(InferenceCache.plan(net).count == 2)
        for n in [1, 5, 64, 130] {
            let x = try Self.pixels(n)
            let floats = Tensor<Float>(x, scale: 1 / 255, offset: 0)
            let expected = try net.predictLayerByLayer(floats)
            #expect(try net.predict(floats) == expected)
            #expect(try net.predict(x, scale: 1 / 255) == expected)
            let shifted = Tensor<Float>(x, scale: 0.01, offset: -1)
            #expect(try net.predict(x, scale: 0.01, offset: -1) == (try net.predictLayerByLayer(shifted)))
        }
    }

    @Test func chainFollowsParameterChanges() throws {
        var net = try Network(inputShape: [6, 7], layers: Self.mlp, seed: 1)
        let x = try Self.pixels(3)
        let before = try net.predict(x, scale: 1 / 255)
        // An in-place write (copy-on-write gives the parameter new storage).
        net.parameters[1].value.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] += 0.5 } }
        let afterWrite = try net.predict(x, scale: 1 / 255)
        #expect(afterWrite != before)
        #expect(afterWrite == (try net.predictLayerByLayer(Tensor<Float>(x, scale: 1 / 255, offset: 0))))
        // Loading other weights.
        let other = try Network(inputShape: [6, 7], layers: Self.mlp, seed: 2)
        try net.load(parameters: Dictionary(uniqueKeysWithValues: other.parameters.map { ($0.name, $0.value) }))
        #expect(try net.predict(x, scale: 1 / 255) == (try other.predict(x, scale: 1 / 255)))
        // A copy of the network with its own weights does not see the original's chain.
        var copy = net
        copy.parameters[0].value = Tensor(zeros: copy.parameters[0].value.shape)
        #expect(try copy.predict(x, scale: 1 / 255) == (try copy.predictLayerByLayer(Tensor<Float>(x, scale: 1 / 255, offset: 0))))
        #expect(try net.predict(x, scale: 1 / 255) == (try other.predict(x, scale: 1 / 255)))
    }

    @Test func otherNetworksRunLayerByLayer() throws {
        let specs: [[LayerSpec]] = [
            [.conv2D(filters: 2, kernelSize: [3, 3], strides: [1, 1], padding: .valid, activation: .relu, useBias: true),
             .flatten, .dense(units: 4, activation: .softmax, useBias: true)],
            // A separate activation after a dense layer that already has one.
            [.flatten, .dense(units: 8, activation: .relu, useBias: true), .activation(.tanh), .dense(units: 3, activation: .linear, useBias: false)],
            [.activation(.sigmoid), .flatten, .dense(units: 3, activation: .linear, useBias: true)],
        ]
        for (i, layers) in specs.enumerated() {
            let net = try Network(inputShape: [6, 7, 1], layers: layers, seed: 3)
            #expect(InferenceCache.plan(net).isEmpty, "spec \(i)")
            let x = try Tensor<UInt8>(shape: [4, 6, 7, 1], scalars: Self.pixels(4).scalars)
            #expect(try net.predict(x, scale: 1 / 255) == (try net.predictLayerByLayer(Tensor<Float>(x, scale: 1 / 255, offset: 0))))
        }
        // A dense layer followed by a standalone activation is one chain step.
        let net = try Network(inputShape: [42], layers: [.dense(units: 5, activation: .linear, useBias: true), .activation(.softmax)], seed: 4)
        #expect(InferenceCache.plan(net).map(\.activation) == [.softmax])
    }

    @Test func wrongShapesAreRejected() throws {
        let net = try Network(inputShape: [6, 7], layers: Self.mlp, seed: 1)
        #expect(throws: TensorError.self) { try net.predict(Tensor<UInt8>(zeros: [2, 42]), scale: 1) }
        #expect(throws: TensorError.self) { try net.predict(Tensor<Float>(zeros: [2, 7, 6])) }
    }
}
