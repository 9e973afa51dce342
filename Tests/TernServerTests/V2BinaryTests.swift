import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TernFormats
import TernServer
import TernServing
import TernTensor

/// A reply to a binary request: the JSON part parsed, the binary part raw.
struct BinaryReply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let object: [String: Any]
    let raw: [UInt8]

    var error: String { object["error"] as? String ?? "" }
    var outputs: [[String: Any]] { object["outputs"] as? [[String: Any]] ?? [] }
}

extension Client {
    /// Posts `json` followed by `binary`, with `Inference-Header-Content-Length`
    /// set to the JSON length unless `header` overrides it (`""` sends none).
    func postBinary(_ uri: String, json: String, binary: [UInt8] = [], header: String? = nil) async throws -> BinaryReply {
        var headers: HTTPFields = [.contentType: "application/octet-stream", .authorization: "Bearer \(defaultKey)"]
        let length = header ?? String(json.utf8.count)
        if !length.isEmpty { headers[HTTPField.Name("Inference-Header-Content-Length")!] = length }
        let response = try await raw.executeRequest(uri: uri, method: .post, headers: headers,
                                                     body: ByteBuffer(bytes: Array(json.utf8) + binary))
        let bytes = Array(response.body.readableBytesView)
        let jsonLength = response.headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap { Int($0) } ?? bytes.count
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes.prefix(jsonLength)))) as? [String: Any] ?? [:]
        return BinaryReply(status: response.status, headers: response.headers, object: object, raw: Array(bytes.dropFirst(jsonLength)))
    }

    /// A binary request that must be refused with a 400 JSON error mentioning
    /// `fragment`; then the server must still answer.
    func expectBinaryError(_ json: String, binary: [UInt8] = [], header: String? = nil, _ fragment: String,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await postBinary("/v2/models/mnist/infer", json: json, binary: binary, header: header)
        #expect(reply.status == .badRequest, "\(json.prefix(200)): \(reply.status) \(reply.error)", sourceLocation: sourceLocation)
        #expect(reply.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        #expect(reply.error.contains(fragment), "\(fragment) not in: \(reply.error)", sourceLocation: sourceLocation)
        try await expectAlive(sourceLocation: sourceLocation)
    }
}

/// A V2 request whose one input is binary.
func binaryInput(shape: [Int], datatype: String = "UINT8", size: Int, extra: String = "") -> String {
    "{\"inputs\":[{\"name\":\"input\",\"shape\":\(list(shape)),\"datatype\":\"\(datatype)\",\"parameters\":{\"binary_data_size\":\(size)}}]\(extra)}"
}

/// Little-endian bytes of fixed-width values.
func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

func littleEndian(_ values: [Float]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }

/// Float32 values from little-endian bytes.
func decodeFloats(_ bytes: some Collection<UInt8>) -> [Float] {
    let b = Array(bytes)
    return stride(from: 0, to: b.count - 3, by: 4).map { i in
        Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
    }
}

/// BYTES elements: a 4-byte little-endian length, then the bytes.
func lengthPrefixed(_ list: [String]) -> [UInt8] { list.flatMap { littleEndian([UInt32($0.utf8.count)]) + Array($0.utf8) } }
/// A V2 column input of two rows with JSON data.
func jsonColumn(_ name: String, _ type: String, _ data: String) -> String {
    "{\"name\":\"\(name)\",\"datatype\":\"\(type)\",\"shape\":[2],\"data\":\(data)}"
}
/// A V2 column input of two rows taking `bytes` of binary data.
func binaryColumn(_ name: String, _ type: String, _ bytes: [UInt8]) -> String {
    "{\"name\":\"\(name)\",\"datatype\":\"\(type)\",\"shape\":[2],\"parameters\":{\"binary_data_size\":\(bytes.count)}}"
}

@Suite struct V2BinaryTests {
    @Test func serverAdvertisesTheExtension() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            let server = try await client.get("/v2")
            #expect(server.object["extensions"] as? [String] == ["binary_tensor_data"])
        }
    }

    @Test func binaryUInt8InputGivesTheJSONOutputs() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(3)
        let expected = try #require(fixture.models[1]).predict(batch)
        try await fixture.test { client in
            let json = try await client.post("/v2/models/mnist/infer", v2Body(shape: [3, 28, 28], data: list(batch.scalars), extra: ",\"id\":\"j\""))
            #expect(json.status == .ok)
            let jsonOutputs = json.object["outputs"] as? [[String: Any]] ?? []
            let reply = try await client.postBinary("/v2/models/mnist/infer",
                                                    json: binaryInput(shape: [3, 28, 28], size: 2352, extra: ",\"id\":\"b\""), binary: batch.scalars)
            #expect(reply.status == .ok, "\(reply.error)")
            #expect(reply.headers[.contentType] == "application/json")
            #expect(reply.object["id"] as? String == "b")
            #expect(reply.raw.isEmpty)
            #expect(floats(reply.outputs.first?["data"]) == expected.scalars)
            #expect(floats(reply.outputs.first?["data"]) == floats(jsonOutputs.first?["data"]))
            #expect(reply.outputs.first?["shape"] as? [Int] == [3, 10])
        }
    }

    @Test func binaryFP32AndOtherNumericTypes() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(2, offset: 5)
        let model = try #require(fixture.models[1])
        let scaled = batch.scalars.map { Float($0) / 3 }
        let expectedFloat = try model.predict(Tensor(shape: [2, 28, 28], scalars: scaled))
        let expectedBytes = try model.predict(batch)
        try await fixture.test { client in
            let fp32 = try await client.postBinary("/v2/models/mnist/infer", json: binaryInput(shape: [2, 784], datatype: "FP32", size: 2 * 784 * 4),
                                                   binary: littleEndian(scaled))
            #expect(fp32.status == .ok, "\(fp32.error)")
            #expect(floats(fp32.outputs.first?["data"]) == expectedFloat.scalars)
            let fp64 = littleEndian(scaled.map { Double($0).bitPattern })
            let reply = try await client.postBinary("/v2/models/mnist/infer", json: binaryInput(shape: [2, 784], datatype: "FP64", size: fp64.count), binary: fp64)
            #expect(floats(reply.outputs.first?["data"]) == expectedFloat.scalars, "\(reply.error)")
            let cases: [(String, [UInt8])] = [
                ("INT32", littleEndian(batch.scalars.map { Int32($0) })), ("UINT16", littleEndian(batch.scalars.map { UInt16($0) })),
                ("INT64", littleEndian(batch.scalars.map { Int64($0) })), ("INT8", batch.scalars.map { $0 & 0x7F }),
            ]
            for (type, bytes) in cases {
                let r = try await client.postBinary("/v2/models/mnist/infer", json: binaryInput(shape: [2, 28, 28], datatype: type, size: bytes.count), binary: bytes)
                #expect(r.status == .ok, "\(type): \(r.error)")
                let expected = type == "INT8" ? try model.predict(Tensor(shape: [2, 28, 28], scalars: batch.scalars.map { $0 & 0x7F })) : expectedBytes
                #expect(floats(r.outputs.first?["data"]) == expected.scalars, "\(type)")
            }
            let bools = (0..<784).map { UInt8($0 % 3 == 0 ? 1 : 0) }
            let r = try await client.postBinary("/v2/models/mnist/infer", json: binaryInput(shape: [1, 784], datatype: "BOOL", size: 784), binary: bools)
            #expect(floats(r.outputs.first?["data"]) == (try model.predict(Tensor<UInt8>(shape: [1, 28, 28], scalars: bools))).scalars, "\(r.error)")
        }
    }

    @Test func binaryOutputRoundTrip() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(3, offset: 11)
        let expected = try #require(fixture.models[1]).predict(batch)
        try await fixture.test { client in
            let json = binaryInput(shape: [3, 28, 28], size: 2352, extra: ",\"parameters\":{\"binary_data_output\":true}")
            let reply = try await client.postBinary("/v2/models/mnist/infer", json: json, binary: batch.scalars)
            #expect(reply.status == .ok, "\(reply.error)")
            #expect(reply.headers[.contentType] == "application/octet-stream")
            let output = try #require(reply.outputs.first)
            #expect(output["data"] == nil)
            #expect((output["parameters"] as? [String: Any])?["binary_data_size"] as? Int == 3 * 10 * 4)
            #expect(output["shape"] as? [Int] == [3, 10])
            #expect(output["datatype"] as? String == "FP32")
            #expect(reply.raw.count == 120)
            #expect(decodeFloats(reply.raw) == expected.scalars)

            // The JSON request's output decodes to the same floats.
            let plain = try await client.post("/v2/models/mnist/infer", v2Body(shape: [3, 784], data: list(batch.scalars)))
            #expect(floats((plain.object["outputs"] as? [[String: Any]])?.first?["data"]) == decodeFloats(reply.raw))
        }
    }

    @Test func jsonInputWithBinaryOutput() async throws {
        let fixture = try await Fixture.make()
        let batch = try pixels(2)
        let expected = try #require(fixture.models[1]).predict(batch)
        try await fixture.test { client in
            // No header: a plain JSON body asking for a binary output.
            let body = v2Body(shape: [2, 784], data: list(batch.scalars), extra: ",\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":true}}]")
            let reply = try await client.postBinary("/v2/models/mnist/infer", json: body, header: "")
            #expect(reply.status == .ok, "\(reply.error)")
            #expect(reply.headers[.contentType] == "application/octet-stream")
            #expect(Int(reply.headers[HTTPField.Name("Inference-Header-Content-Length")!] ?? "") ?? 0 > 0)
            #expect(decodeFloats(reply.raw) == expected.scalars)

            // An output's own flag overrides the request's.
            let off = v2Body(shape: [2, 784], data: list(batch.scalars),
                             extra: ",\"parameters\":{\"binary_data_output\":true},\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":false}}]")
            let json = try await client.postBinary("/v2/models/mnist/infer", json: off, header: "")
            #expect(json.headers[.contentType] == "application/json")
            #expect(floats(json.outputs.first?["data"]) == expected.scalars)
        }
    }

    @Test func hostileBinaryRequestsAreRefused() async throws {
        let fixture = try await Fixture.make()
        let image = try pixels(1).scalars
        let good = binaryInput(shape: [1, 784], size: 784)
        try await fixture.test { client in
            for header in ["abc", "-5", "1e3", "99999999999999999999999", "12, 12"] {
                try await client.expectBinaryError(good, binary: image, header: header, "Inference-Header-Content-Length")
            }
            try await client.expectBinaryError(good, binary: image, header: String(good.utf8.count + 785), "larger than the body")
            try await client.expectBinaryError(good, binary: image, header: String(good.utf8.count - 1), "malformed JSON")
            try await client.expectBinaryError(binaryInput(shape: [1, 784], size: 783), binary: Array(image.prefix(783)), "needs 784")
            try await client.expectBinaryError(binaryInput(shape: [1, 784], datatype: "FP32", size: 784), binary: image, "needs 3136")
            try await client.expectBinaryError(binaryInput(shape: [1, 784], size: -1), binary: image, "non-negative integer")
            try await client.expectBinaryError(binaryInput(shape: [1, 784], size: 1 << 62), binary: image, "only 784 remain")
            try await client.expectBinaryError(good.replacingOccurrences(of: "784}", with: "1.5}"), binary: image, "non-negative integer")
            try await client.expectBinaryError(good.replacingOccurrences(of: ":784}", with: ":\"784\"}"), binary: image, "non-negative integer")
            try await client.expectBinaryError(good, binary: Array(image.prefix(500)), "only 500 remain")
            try await client.expectBinaryError(good, binary: image + [1, 2, 3], "3 bytes of binary data after")
            try await client.expectBinaryError(v2Body(shape: [1, 784], data: list(image)), binary: [0], "1 bytes of binary data after")
            let both = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,784],\"datatype\":\"UINT8\",\"data\":\(list(image)),\"parameters\":{\"binary_data_size\":784}}]}"
            try await client.expectBinaryError(both, binary: image, "both 'data' and")
            try await client.expectBinaryError(good, binary: [], header: "", "no Inference-Header-Content-Length")
            try await client.expectBinaryError(binaryInput(shape: [1, 784], datatype: "BOOL", size: 784), binary: image, "expected 0 or 1")
            try await client.expectBinaryError(binaryInput(shape: [1, 784], datatype: "FP32", size: 3136),
                                               binary: littleEndian([Float](repeating: .nan, count: 784)), "not a finite number")
            try await client.expectBinaryError(binaryInput(shape: [1, 784], datatype: "BYTES", size: 784), binary: image, "BYTES")
            try await client.expectBinaryError(good.dropLast() + ",\"parameters\":{\"binary_data_output\":1}}", binary: image, "binary_data_output")
            try await client.expectBinaryError(good.dropLast() + ",\"outputs\":[{\"name\":\"output\",\"parameters\":{\"binary_data\":\"yes\"}}]}",
                                               binary: image, "binary_data")
        }
    }

    @Test func hugeDeclaredShapesOverTinyBodiesAreRefusedWithoutAllocating() async throws {
        let fixture = try await Fixture.make()
        try await fixture.test { client in
            // 10^9 elements (1275511 × 28 × 28) declared over a 16-byte body.
            let rows = 1_275_511
            try await client.expectBinaryError(binaryInput(shape: [rows, 28, 28], size: 16), binary: [UInt8](repeating: 0, count: 16), "needs \(rows * 784)")
            try await client.expectBinaryError(binaryInput(shape: [rows, 28, 28], size: rows * 784), binary: [UInt8](repeating: 0, count: 16), "only 16 remain")
            try await client.expectBinaryError(binaryInput(shape: [rows, 784], datatype: "FP64", size: rows * 784 * 8), binary: [1, 2], "only 2 remain")
            try await client.expectBinaryError(binaryInput(shape: [1 << 40, 1 << 40, 784], size: 16), binary: [UInt8](repeating: 0, count: 16), "overflows")
        }
    }

    @Test func tableColumnsAsBinary() async throws {
        let s = try await TableServingTests().serve("titanic", epochs: 1)
        defer { try? FileManager.default.removeItem(at: s.directory) }
        let columns: [(String, String, String, [UInt8])] = [
            ("pclass", "FP32", "[3,1]", littleEndian([Float(3), 1])),
            ("sex", "BYTES", "[\"male\",\"female\"]", lengthPrefixed(["male", "female"])),
            ("age", "FP64", "[22,38.5]", littleEndian([22.0, 38.5].map(\.bitPattern))),
            ("sibsp", "INT32", "[1,0]", littleEndian([Int32(1), 0])),
            ("parch", "UINT8", "[0,2]", [0, 2]),
            ("fare", "FP32", "[7.25,71.5]", littleEndian([Float(7.25), 71.5])),
            ("embarked", "BYTES", "[\"S\",\"C\"]", lengthPrefixed(["S", "C"])),
        ]
        let app = Application(router: buildRouter(s.services))
        try await app.test(.router) { raw in
            let client = Client(raw: raw, defaultKey: s.key)
            let plain = try await client.post("/v2/models/titanic/infer", "{\"inputs\":[" + columns.map { jsonColumn($0.0, $0.1, $0.2) }.joined(separator: ",") + "]}")
            #expect(plain.status == .ok, "\(plain.text)")
            let plainOutputs = plain.object["outputs"] as? [[String: Any]] ?? []
            let expected = floats(plainOutputs.first { $0["name"] as? String == "output" }?["data"])
            let labels = plainOutputs.first { $0["name"] as? String == "label" }?["data"] as? [String]

            // Every column binary, binary outputs: the same probabilities and labels.
            let json = "{\"inputs\":[" + columns.map { binaryColumn($0.0, $0.1, $0.3) }.joined(separator: ",") + "],\"parameters\":{\"binary_data_output\":true}}"
            let reply = try await client.postBinary("/v2/models/titanic/infer", json: json, binary: columns.flatMap(\.3))
            #expect(reply.status == .ok, "\(reply.error)")
            #expect(reply.headers[.contentType] == "application/octet-stream")
            let sizes = reply.outputs.map { ($0["parameters"] as? [String: Any])?["binary_data_size"] as? Int ?? -1 }
            #expect(reply.outputs.first?["name"] as? String == "output")
            let probabilities = decodeFloats(reply.raw.prefix(sizes.first ?? 0))
            #expect(!expected.isEmpty && probabilities == expected)
            if let labels {
                #expect(sizes.count == 2)
                #expect(Array(reply.raw.dropFirst(sizes[0])) == lengthPrefixed(labels))
            }

            // Mixed: JSON and binary columns in one request.
            let mixed = "{\"inputs\":[" + columns.enumerated().map { $0.offset % 2 == 0 ? jsonColumn($0.element.0, $0.element.1, $0.element.2)
                : binaryColumn($0.element.0, $0.element.1, $0.element.3) }.joined(separator: ",") + "]}"
            let mixedBytes = columns.enumerated().filter { $0.offset % 2 == 1 }.flatMap(\.element.3)
            let mixedReply = try await client.postBinary("/v2/models/titanic/infer", json: mixed, binary: mixedBytes)
            #expect(mixedReply.status == .ok, "\(mixedReply.error)")
            #expect(floats(mixedReply.outputs.first?["data"]) == expected)

            // A string length past its section, and more rows than bytes.
            for (body, bytes, fragment) in [
                ("{\"inputs\":[" + binaryColumn("sex", "BYTES", [0, 0, 0, 0, 0, 0, 0, 0]) + "]}", littleEndian([UInt32(9), 0]), "runs past"),
                ("{\"inputs\":[{\"name\":\"age\",\"datatype\":\"FP32\",\"shape\":[1000000000],\"parameters\":{\"binary_data_size\":8}}]}",
                 [UInt8](repeating: 0, count: 8), "is 8 bytes but shape [1000000000]"),
                ("{\"inputs\":[" + binaryColumn("sex", "BYTES", [0, 0, 0]) + "]}", [0, 0, 0], "too few for 2"),
            ] {
                let r = try await client.postBinary("/v2/models/titanic/infer", json: body, binary: bytes)
                #expect(r.status == .badRequest, "\(body): \(r.status)")
                #expect(r.error.contains(fragment), "\(r.error)")
            }
            try await client.expectAlive()
        }
    }
}
