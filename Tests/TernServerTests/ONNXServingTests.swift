import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TernTesting
import TernData
@testable import TernServer
import TernONNX

/// ONNX files uploaded through the REST API, deployed and served over V2
/// and `:predict`, checked against ONNX Runtime's answers recorded by
/// scripts/make_onnx_fixtures.py.
@Suite struct ONNXServingTests {
    static let fixtures = packageRoot.appendingPathComponent("Tests/TernONNXTests/Fixtures/onnx")

    private func upload(_ client: any TestClientProtocol, _ fixture: Fixture, name: String, bytes: [UInt8]) async throws -> TestResponse {
        _ = try await call(client, .post, "/api/v1/models", key: fixture.deployKey, json: #"{"name": "\#(name)"}"#)
        return try await call(client, .post, "/api/v1/models/\(name)/versions", key: fixture.deployKey, body: bytes,
                              contentType: "application/octet-stream")
    }

    /// The PyTorch-shaped (Gemm) and Keras/tf2onnx-shaped (MatMul + Add)
    /// MNIST MLPs give ONNX Runtime's classes on the first 2,000 test images.
    @Test(arguments: ["mnist_mlp_gemm", "mnist_mlp_matmul"])
    func mnistMLPMatchesONNXRuntime(_ name: String) async throws {
        let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("\(name).onnx")))
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("\(name)_classes.json"))) as? [String: Any]
        let expected = try #require(recorded?["classes"] as? [Int])
        #expect(expected.count == 2000)
        let images = try MNIST.load(directory: mnistDirectory).images.slice(rows: 0..<2000)
        let fixture = try await Fixture.make(loaded: [])
        let app = Application(router: buildRouter(fixture.services))
        let model = name.replacingOccurrences(of: "_", with: "-")
        try await app.test(.router) { client in
            let created = try await upload(client, fixture, name: model, bytes: bytes)
            #expect(created.status == .created, "\(created.error)")
            let spec = created.json["spec"] as? [String: Any]
            #expect(spec?["format"] as? String == "onnx")
            let deployed = try await call(client, .post, "/api/v1/deployments", key: fixture.deployKey, json: #"{"model": "\#(model)", "version": 1}"#)
            #expect(deployed.status == .created, "\(deployed.error)")
            // The metadata reports the graph's own input name, datatype and shape.
            let metadata = try await call(client, .get, "/v2/models/\(model)", key: fixture.predictKey).json
            let input = try #require((metadata["inputs"] as? [[String: Any]])?.first)
            #expect(metadata["platform"] as? String == "onnx")
            #expect(input["datatype"] as? String == "FP32")
            let inputName = try #require(input["name"] as? String)
            let sampleShape = Array((input["shape"] as? [Int] ?? []).dropFirst())
            #expect(sampleShape.reduce(1, *) == 784)
            var classes: [Int] = []
            for start in stride(from: 0, to: 2000, by: 250) {
                let pixels = images.slice(rows: start..<(start + 250)).scalars.map { (Float($0) / 255).description }
                let body = #"{"inputs": [{"name": "\#(inputName)", "datatype": "FP32", "shape": \#([250] + sampleShape), "data": [\#(pixels.joined(separator: ","))]}]}"#
                let reply = try await call(client, .post, "/v2/models/\(model)/infer", key: fixture.predictKey, json: body)
                #expect(reply.status == .ok, "\(reply.error)")
                let output = try #require((reply.json["outputs"] as? [[String: Any]])?.first)
                #expect(output["datatype"] as? String == "FP32")
                let data = (output["data"] as? [Double]) ?? []
                let shape = output["shape"] as? [Int] ?? []
                #expect(shape == [250, 10])
                for row in 0..<250 {
                    let values = data[(row * 10)..<(row * 10 + 10)]
                    classes.append(values.indices.max { values[$0] < values[$1] }! - row * 10)
                }
            }
            #expect(classes == expected, "\(zip(classes, expected).filter { $0 != $1 }.count) of 2000 classes differ")
            // TF Serving row format on the same model.
            let flat = images.slice(rows: 0..<2).scalars.map { (Float($0) / 255).description }
            let rows = "[[\(flat[0..<784].joined(separator: ","))], [\(flat[784...].joined(separator: ","))]]"
            let tf = try await call(client, .post, "/v1/models/\(model):predict", key: fixture.predictKey, json: #"{"instances": \#(rows)}"#)
            #expect(tf.status == .ok, "\(tf.error)")
            let predictions = tf.json["predictions"] as? [[Double]] ?? []
            #expect(predictions.map { p in p.indices.max { p[$0] < p[$1] } } == [expected[0], expected[1]])
            // Bad inputs name the problem.
            let wrongName = #"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 784], "data": []}, {"name": "y", "datatype": "FP32", "shape": [1], "data": [0]}]}"#
            let refused = try await call(client, .post, "/v2/models/\(model)/infer", key: fixture.predictKey, json: wrongName)
            #expect(refused.status == .badRequest && refused.error.contains("unknown input 'x'"), "\(refused.error)")
            let wrongType = #"{"inputs": [{"name": "\#(inputName)", "datatype": "INT64", "shape": \#([1] + sampleShape), "data": \#(Array(repeating: 0, count: 784))}]}"#
            let refusedType = try await call(client, .post, "/v2/models/\(model)/infer", key: fixture.predictKey, json: wrongType)
            #expect(refusedType.status == .badRequest && refusedType.error.contains("is FP32"), "\(refusedType.error)")
        }
    }

    /// An operator Tern does not run is refused at upload, naming it and its node.
    @Test func anUnsupportedOperatorIsRefusedAtUpload() async throws {
        var patched = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("op_relu.onnx")))
        let relu = Array("Relu".utf8)
        let at = try #require((0...(patched.count - 4)).first { Array(patched[$0..<($0 + 4)]) == relu })
        patched[at + 3] = UInt8(ascii: "x")
        let bytes = patched
        let fixture = try await Fixture.make(loaded: [])
        let app = Application(router: buildRouter(fixture.services))
        try await app.test(.router) { client in
            let refused = try await upload(client, fixture, name: "odd", bytes: bytes)
            #expect(refused.status == .badRequest)
            #expect(refused.error.contains("Relx"), "\(refused.error)")
            let versions = try await call(client, .get, "/api/v1/models/odd/versions", key: fixture.readKey).json
            #expect((versions["versions"] as? [Any])?.isEmpty == true)
        }
    }
}
