import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import HummingbirdTesting
import Testing
import TernTesting
@testable import TernServer
import TernONNX

/// Every ONNX fixture served over V2, once with JSON tensors and once with
/// binary tensors (inputs and outputs): the answers equal ONNX Runtime's
/// recorded outputs. Together the fixtures (the PyTorch ResNet-18-,
/// MobileNetV2- and BERT-shaped exports among them) take and return FLOAT,
/// FLOAT16, DOUBLE, INT64, INT32, UINT8 and BOOL tensors, flat and of rank
/// 0 to 4, so this is the codec's round trip for every datatype an ONNX
/// model uses.
@Suite struct ONNXCodecRoundTripTests {
    static let directory = packageRoot.appendingPathComponent("Tests/TernONNXTests/Fixtures/onnx")
    static let files: [String] = {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { $0.hasSuffix(".onnx") && all.contains($0.replacingOccurrences(of: ".onnx", with: ".json")) }.sorted()
    }()

    struct Tensor: @unchecked Sendable {
        var datatype: String
        var shape: [Int]
        var data: [Any]
        var v2Type: String {
            switch datatype {
            case "FLOAT": return "FP32"
            case "FLOAT16": return "FP16"
            case "DOUBLE": return "FP64"
            default: return datatype
            }
        }
    }

    static func tensors(_ object: Any?) -> [(String, Tensor)] {
        ((object as? [String: [String: Any]]) ?? [:]).map { name, t in
            (name, Tensor(datatype: t["datatype"] as? String ?? "", shape: t["shape"] as? [Int] ?? [], data: t["data"] as? [Any] ?? []))
        }.sorted { $0.0 < $1.0 }
    }

    /// Raw little-endian bytes of a tensor's elements.
    static func bytes(_ t: Tensor) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        return t.data.flatMap { value -> [UInt8] in
            let n = value as? NSNumber ?? 0
            switch t.datatype {
            case "FLOAT": return le(n.floatValue.bitPattern)
            case "FLOAT16": return le(Float16(n.floatValue).bitPattern)
            case "DOUBLE": return le(n.doubleValue.bitPattern)
            case "INT64": return le(n.int64Value)
            case "INT32": return le(n.int32Value)
            case "UINT8": return [n.uint8Value]
            case "BOOL": return [(value as? Bool ?? false) ? 1 : 0]
            default: return []
            }
        }
    }

    /// Elements of a binary output section as doubles (BOOL as 0/1).
    static func decode(_ raw: ArraySlice<UInt8>, datatype: String) -> [Double] {
        let bytes = Array(raw)
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
        }
        switch datatype {
        case "FP32": return (0..<(bytes.count / 4)).map { Double(Float(bitPattern: load(UInt32.self, $0))) }
        case "FP16": return (0..<(bytes.count / 2)).map { Double(Float16(bitPattern: load(UInt16.self, $0))) }
        case "FP64": return (0..<(bytes.count / 8)).map { Double(bitPattern: load(UInt64.self, $0)) }
        case "INT64": return (0..<(bytes.count / 8)).map { Double(load(Int64.self, $0)) }
        case "INT32": return (0..<(bytes.count / 4)).map { Double(load(Int32.self, $0)) }
        default: return bytes.map(Double.init)
        }
    }

    static func numbers(_ data: [Any]) -> [Double] {
        data.map { ($0 as? Bool).map { $0 ? 1 : 0 } ?? ($0 as? NSNumber)?.doubleValue ?? .nan }
    }

    /// Integers exactly; floats within 1e-4 relative or 1e-5 absolute;
    /// FLOAT16 within one FLOAT16 step (2⁻¹⁰ relative, 2⁻¹⁴ absolute).
    static func expectClose(_ got: [Double], _ expected: [Double], exact: Bool, half: Bool = false, _ what: String) {
        #expect(got.count == expected.count, "\(what): \(got.count) elements, expected \(expected.count)")
        let (absolute, relative) = half ? (0x1p-14, 0x1p-10) : (1e-5, 1e-4)
        for (i, (g, e)) in zip(got, expected).enumerated() {
            let ok = exact ? g == e : (abs(g - e) <= absolute || abs(g - e) <= relative * abs(e) || (g.isNaN && e.isNaN))
            if !ok { Issue.record("\(what)[\(i)] = \(g), expected \(e)"); return }
        }
    }

    @Test(arguments: files)
    func servedOverV2MatchesONNXRuntime(_ file: String) async throws {
        let model = "m-" + file.replacingOccurrences(of: ".onnx", with: "").replacingOccurrences(of: "_", with: "-")
        let fixtureJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.directory.appendingPathComponent(
            file.replacingOccurrences(of: ".onnx", with: ".json")))) as? [String: Any]
        let inputs = Self.tensors(fixtureJSON?["inputs"]), outputs = Self.tensors(fixtureJSON?["outputs"])
        let onnx = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(file)))
        let fixture = try await Fixture.make(loaded: [])
        let app = Application(router: buildRouter(fixture.services))
        try await app.test(.router) { client in
            _ = try await call(client, .post, "/api/v1/models", key: fixture.deployKey, json: #"{"name": "\#(model)"}"#)
            let uploaded = try await call(client, .post, "/api/v1/models/\(model)/versions", key: fixture.deployKey, body: onnx,
                                          contentType: "application/octet-stream")
            try #require(uploaded.status == .created, "\(uploaded.error)")
            let deployed = try await call(client, .post, "/api/v1/deployments", key: fixture.deployKey, json: #"{"model": "\#(model)", "version": 1}"#)
            try #require(deployed.status == .created, "\(deployed.error)")

            // JSON tensors.
            let jsonInputs = try inputs.map { name, t -> String in
                let data = String(decoding: try JSONSerialization.data(withJSONObject: t.data, options: [.fragmentsAllowed]), as: UTF8.self)
                return #"{"name": "\#(name)", "datatype": "\#(t.v2Type)", "shape": \#(t.shape), "data": \#(data)}"#
            }
            let reply = try await call(client, .post, "/v2/models/\(model)/infer", key: fixture.predictKey,
                                       json: #"{"inputs": [\#(jsonInputs.joined(separator: ","))]}"#)
            try #require(reply.status == .ok, "\(file): \(reply.error)")
            let answered = (reply.json["outputs"] as? [[String: Any]]) ?? []
            for (name, expected) in outputs {
                let output = try #require(answered.first { $0["name"] as? String == name }, "\(file): no output \(name)")
                #expect(output["datatype"] as? String == expected.v2Type, "\(file) \(name)")
                #expect(output["shape"] as? [Int] == expected.shape, "\(file) \(name)")
                Self.expectClose(Self.numbers(output["data"] as? [Any] ?? []), Self.numbers(expected.data),
                                 exact: !["FLOAT", "FLOAT16", "DOUBLE"].contains(expected.datatype),
                                 half: expected.datatype == "FLOAT16", "\(file) JSON \(name)")
            }

            // Binary tensors in and out.
            var sections: [UInt8] = []
            let binaryInputs = inputs.map { name, t -> String in
                let raw = Self.bytes(t)
                sections += raw
                return #"{"name": "\#(name)", "datatype": "\#(t.v2Type)", "shape": \#(t.shape), "parameters": {"binary_data_size": \#(raw.count)}}"#
            }
            let header = Array(#"{"inputs": [\#(binaryInputs.joined(separator: ","))], "parameters": {"binary_data_output": true}}"#.utf8)
            var headers: HTTPFields = [.contentType: "application/octet-stream", .authorization: "Bearer \(fixture.predictKey)"]
            headers[HTTPField.Name("Inference-Header-Content-Length")!] = String(header.count)
            let response = try await client.execute(uri: "/v2/models/\(model)/infer", method: .post, headers: headers,
                                                    body: ByteBuffer(bytes: header + sections))
            try #require(response.status == .ok, "\(file): \(String(buffer: response.body))")
            let body = Array(response.body.readableBytesView)
            let jsonLength = try #require(response.headers[HTTPField.Name("Inference-Header-Content-Length")!].flatMap { Int($0) })
            let object = try JSONSerialization.jsonObject(with: Data(body[..<jsonLength])) as? [String: Any]
            var offset = jsonLength
            for output in (object?["outputs"] as? [[String: Any]]) ?? [] {
                let name = output["name"] as? String ?? ""
                let size = (output["parameters"] as? [String: Any])?["binary_data_size"] as? Int ?? 0
                let type = output["datatype"] as? String ?? ""
                let got = Self.decode(body[offset..<(offset + size)], datatype: type)
                offset += size
                guard let expected = outputs.first(where: { $0.0 == name })?.1 else { continue }
                Self.expectClose(got, Self.numbers(expected.data), exact: !["FLOAT", "FLOAT16", "DOUBLE"].contains(expected.datatype),
                                 half: expected.datatype == "FLOAT16", "\(file) binary \(name)")
            }
            #expect(offset == body.count, "\(file): \(body.count - offset) bytes left over")
        }
    }
}
