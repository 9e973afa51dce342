import Foundation
import Testing
import TernFormats
@testable import TernServer
import TernServing
import TernTensor

/// A kind of model no codec or route knows: two inputs (INT64 tokens of
/// three per row, a BYTES tag) and three outputs of three element types.
/// It is one conformance; every wire protocol must serve it as it is.
private struct Tagger: ServableModel {
    var platform: String { "tagger" }
    var inputs: [TensorInfo] {
        [TensorInfo(name: "tokens", dtype: .int64, shape: [nil, 3]), TensorInfo(name: "tag", dtype: .string, shape: [nil])]
    }
    var outputs: [TensorInfo] {
        [TensorInfo(name: "sum", dtype: .int64, shape: [nil]), TensorInfo(name: "mean", dtype: .float32, shape: [nil]),
         TensorInfo(name: "label", dtype: .string, shape: [nil])]
    }
    var memoryBytes: Int { 0 }
    func predictionBytes(batch: Int) -> Int? { batch * 64 }

    func predict(_ inputs: [String: AnyTensor]) throws -> [String: AnyTensor] {
        guard case let .int64(tokens)? = inputs["tokens"], case let .string(tags)? = inputs["tag"] else {
            throw ModelInputError("tagger takes int64 tokens and string tags")
        }
        let n = tokens.shape[0]
        let sums = (0..<n).map { r in tokens.scalars[(r * 3)..<(r * 3 + 3)].reduce(0, +) }
        return [
            "sum": .int64(try Tensor(shape: [n], scalars: sums)),
            "mean": .float32(try Tensor(shape: [n], scalars: sums.map { Float($0) / 3 })),
            "label": .string(try StringTensor(shape: [n], values: zip(tags.values, sums).map { "\($0 ?? "?")-\($1)" })),
        ]
    }
}

@Suite struct NewModelKindTests {
    private func fixture() async throws -> Fixture {
        let fixture = try await Fixture.make(loaded: [])
        await fixture.services.runtime.install(LoadedModel(model: "tagger", version: 1, servable: Tagger()))
        return fixture
    }

    @Test func metadataListsTheDeclaredTensorsInBothProtocols() async throws {
        try await fixture().test { client in
            let v2 = try await client.get("/v2/models/tagger")
            #expect(v2.status == .ok, "\(v2.error)")
            #expect(v2.object["platform"] as? String == "tagger")
            let inputs = v2.object["inputs"] as? [[String: Any]] ?? []
            #expect(inputs.map { $0["datatype"] as? String } == ["INT64", "BYTES"])
            #expect(inputs.first?["shape"] as? [Int] == [-1, 3])
            let tf = try await client.get("/v1/models/tagger/metadata")
            let text = tf.text
            #expect(text.contains("DT_INT64") && text.contains("DT_STRING") && text.contains("DT_FLOAT"), "\(text)")
        }
    }

    @Test func v2JSONAndBinaryAnswerEveryOutputWithItsType() async throws {
        try await fixture().test { client in
            let body = #"{"id": "t", "inputs": [{"name": "tokens", "datatype": "INT64", "shape": [2, 3], "data": [[1, 2, 3], [4, 5, 9007199254740993]]}, {"name": "tag", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]}]}"#
            let reply = try await client.post("/v2/models/tagger/infer", body)
            #expect(reply.status == .ok, "\(reply.error)")
            let outputs = reply.object["outputs"] as? [[String: Any]] ?? []
            #expect(outputs.map { $0["name"] as? String } == ["sum", "mean", "label"])
            #expect(outputs.map { $0["datatype"] as? String } == ["INT64", "FP32", "BYTES"])
            // INT64 beyond 2^53 is exact: parsed from its digits, written as an integer.
            #expect(reply.text.contains("9007199254741002"), "\(reply.text)")
            #expect(outputs[2]["data"] as? [String] == ["a-6", "b-9007199254741002"])

            // Binary: tokens as little-endian INT64, tags as length-prefixed BYTES, one output asked for in binary.
            var binary: [UInt8] = []
            for v: Int64 in [1, 2, 3, 4, 5, 6] { withUnsafeBytes(of: v.littleEndian) { binary += $0 } }
            let tokens = binary.count
            for tag in ["x", "yz"] {
                withUnsafeBytes(of: UInt32(tag.utf8.count).littleEndian) { binary += $0 }
                binary += Array(tag.utf8)
            }
            let json = #"{"inputs": [{"name": "tokens", "datatype": "INT64", "shape": [2, 3], "parameters": {"binary_data_size": \#(tokens)}}, {"name": "tag", "datatype": "BYTES", "shape": [2], "parameters": {"binary_data_size": \#(binary.count - tokens)}}], "outputs": [{"name": "sum", "parameters": {"binary_data": true}}, {"name": "label"}]}"#
            let answer = try await client.postBinary("/v2/models/tagger/infer", json: json, binary: binary)
            #expect(answer.status == .ok, "\(answer.error)")
            #expect(answer.outputs.map { $0["name"] as? String } == ["sum", "label"])
            let sums = answer.raw.withUnsafeBytes { raw in (0..<2).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) } }
            #expect(sums == [6, 15])
            #expect(answer.outputs[1]["data"] as? [String] == ["x-6", "yz-15"])
        }
    }

    @Test func tfRowAndColumnarFormatsNameEachInputAndOutput() async throws {
        try await fixture().test { client in
            let rows = try await client.post("/v1/models/tagger:predict",
                                             #"{"instances": [{"tokens": [1, 1, 1], "tag": "p"}, {"tokens": [2, 2, 2], "tag": "q"}]}"#)
            #expect(rows.status == .ok, "\(rows.error)")
            let predictions = rows.object["predictions"] as? [[String: Any]] ?? []
            #expect(predictions.map { $0["sum"] as? Int } == [3, 6])
            #expect(predictions.map { $0["label"] as? String } == ["p-3", "q-6"])
            let columns = try await client.post("/v1/models/tagger:predict", #"{"inputs": {"tokens": [[0, 1, 2]], "tag": ["c"]}}"#)
            #expect(columns.status == .ok, "\(columns.error)")
            let outputs = columns.object["outputs"] as? [String: Any] ?? [:]
            #expect(outputs["sum"] as? [Int] == [3] && outputs["label"] as? [String] == ["c-3"])
        }
    }

    @Test func badInputsAreRefusedNamingTheTensor() async throws {
        try await fixture().test { client in
            for (path, body, fragment) in [
                ("/v2/models/tagger/infer", #"{"inputs": [{"name": "tokens", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 3]}, {"name": "tag", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}"#, "is INT64"),
                ("/v2/models/tagger/infer", #"{"inputs": [{"name": "tokens", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]}]}"#, "missing input 'tag'"),
                ("/v2/models/tagger/infer", #"{"inputs": [{"name": "tokens", "datatype": "INT64", "shape": [1, 2], "data": [1, 2]}, {"name": "tag", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}"#, "input 'tokens' has shape [-1, 3]"),
                ("/v2/models/tagger/infer", #"{"inputs": [{"name": "tokens", "datatype": "INT64", "shape": [1, 3], "data": [1, 2.5, 3]}, {"name": "tag", "datatype": "BYTES", "shape": [1], "data": ["a"]}]}"#, "not an integer"),
                ("/v2/models/tagger/infer", #"{"inputs": [{"name": "tokens", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]}, {"name": "tag", "datatype": "BYTES", "shape": [1], "data": [7]}]}"#, "holds numbers"),
                ("/v1/models/tagger:predict", #"{"instances": [{"tokens": [1, 2, 3]}]}"#, "has no 'tag'"),
                ("/v1/models/tagger:predict", #"{"instances": [{"tokens": [1, 2, 3], "tag": "a", "extra": 1}]}"#, "unknown input 'extra'"),
            ] {
                let reply = try await client.post(path, body)
                #expect(reply.status == .badRequest, "\(body): \(reply.status)")
                #expect(reply.error.contains(fragment), "\(fragment) not in: \(reply.error)")
            }
        }
    }
}
