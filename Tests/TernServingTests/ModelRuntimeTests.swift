import Foundation
import Testing
import TernTesting
import TernFormats
import TernONNX
import TernServing
import TernTensor


/// The example MLP with seeded weights, and its artifact bytes.
func exampleModel(seed: UInt64 = 7) throws -> (model: TernModel, artifact: [UInt8]) {
    let data = try Data(contentsOf: packageRoot.appendingPathComponent("Examples/mnist-mlp.json"))
    let model = try TernModel(spec: try JSONDecoder().decode(ModelSpec.self, from: data), seed: seed)
    return (model, try model.artifactBytes())
}

@Suite struct ModelRuntimeTests {
    @Test func loadGetListUnload() async throws {
        let (model, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        let v1 = try await runtime.load(model: "mnist", version: 1, artifact: artifact)
        #expect(v1.model == "mnist" && v1.version == 1 && v1.ready)
        // 784*128 + 128 + 128*10 + 10 parameters, 4 bytes each.
        #expect(v1.memoryBytes == (784 * 128 + 128 + 128 * 10 + 10) * 4)
        #expect(v1.servable.outputs.first?.sampleCount == 10)
        try await runtime.load(model: "mnist", version: 3, artifact: artifact)
        try await runtime.load(model: "other", version: 9, artifact: artifact)
        #expect(await runtime.loaded().map { "\($0.model)/\($0.version)" } == ["mnist/1", "mnist/3", "other/9"])
        #expect(await runtime.latestLoaded(model: "mnist")?.version == 3)
        #expect(await runtime.get(model: "mnist", version: 2) == nil)
        #expect(await runtime.get(model: "mnist", version: 1).flatMap { $0.servable as? TernModel }?.weightsChecksum == model.weightsChecksum)
        #expect(await runtime.unload(model: "mnist", version: 3))
        #expect(await !runtime.unload(model: "mnist", version: 3))
        #expect(await runtime.latestLoaded(model: "mnist")?.version == 1)
        #expect(await runtime.latestLoaded(model: "nothing") == nil)
    }

    @Test func latestSkipsVersionsThatAreNotReady() async throws {
        let (_, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        try await runtime.load(model: "m", version: 1, artifact: artifact)
        try await runtime.load(model: "m", version: 2, artifact: artifact)
        #expect(await runtime.setReady(model: "m", version: 2, false))
        #expect(await runtime.latestLoaded(model: "m")?.version == 1)
        #expect(await !runtime.setReady(model: "m", version: 5, true))
    }

    @Test func reloadingReplacesOnlyThatVersion() async throws {
        let (_, a) = try exampleModel(seed: 1)
        let (other, b) = try exampleModel(seed: 2)
        let runtime = ModelRuntime()
        try await runtime.load(model: "m", version: 1, artifact: a)
        try await runtime.load(model: "m", version: 2, artifact: a)
        try await runtime.load(model: "m", version: 1, artifact: b)
        #expect(await runtime.loaded().count == 2)
        #expect(await runtime.get(model: "m", version: 1).flatMap { $0.servable as? TernModel }?.weightsChecksum == other.weightsChecksum)
    }

    @Test func corruptArtifactIsRefusedAndNothingIsLoaded() async throws {
        var (_, artifact) = try exampleModel()
        artifact[artifact.count - 1] ^= 0xFF
        let runtime = ModelRuntime()
        await #expect(throws: FormatError.self) { try await runtime.load(model: "m", version: 1, artifact: artifact) }
        // Bytes that are not a safetensors file are read as ONNX, and refused as such.
        await #expect(throws: ONNXError.self) { try await runtime.load(model: "m", version: 1, artifact: [1, 2, 3]) }
        #expect(await runtime.loaded().isEmpty)
    }

    @Test func predictMatchesTheModel() async throws {
        let (model, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        let loaded = try await runtime.load(model: "m", version: 1, artifact: artifact)
        let pixels = try Tensor<UInt8>(shape: [2, 28, 28], scalars: (0..<(2 * 784)).map { UInt8($0 % 256) })
        let expected = try model.predict(pixels)
        let got = try await runtime.predict(loaded, .uint8(pixels))
        #expect(got == expected)
        #expect(got.shape == [2, 10])
        let floats = Tensor<Float>(pixels)
        #expect(try await runtime.predict(loaded, .float32(floats)) == model.predict(floats))
    }

    @Test func badInputShapeIsAnError() async throws {
        let (_, artifact) = try exampleModel()
        let runtime = ModelRuntime()
        let loaded = try await runtime.load(model: "m", version: 1, artifact: artifact)
        await #expect(throws: (any Error).self) {
            try await runtime.predict(loaded, .float32(Tensor(zeros: [1, 5])))
        }
    }
}
