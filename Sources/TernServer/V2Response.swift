import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernFormats
import TernONNX
import TernServing
import TernSupport
import TernTensor

/// One output tensor of a V2 inference response.
struct V2Output {
    enum Values {
        /// FP32 values in row-major order.
        case floats(Tensor<Float>)
        /// BYTES elements (UTF-8 text).
        case strings([String])
        /// An ONNX model's output, of its own element type.
        case onnx(AnyTensor)
    }

    var name: String
    var datatype: String
    var shape: [Int]
    var values: Values
}

/// Which outputs a request wants as binary data: an output's own
/// `parameters.binary_data` when given, else the request's
/// `parameters.binary_data_output` (false when absent).
struct BinaryOutputChoice {
    var all = false
    var perOutput: [String: Bool] = [:]

    func isBinary(_ name: String) -> Bool { perOutput[name] ?? all }

    /// Reads the choice from a request object whose `outputs` were already
    /// checked for shape and names.
    /// - Throws: 400 when a flag is not a boolean.
    init(_ body: [String: JSONValue]) throws {
        if case let .object(parameters)? = body["parameters"], let flag = parameters["binary_data_output"] {
            guard case let .bool(b) = flag else { throw V2Codec.bad("'parameters.binary_data_output' must be true or false") }
            all = b
        }
        guard case let .array(outputs)? = body["outputs"] else { return }
        for (i, item) in outputs.enumerated() {
            guard case let .object(output) = item, case let .string(name)? = output["name"],
                  case let .object(parameters)? = output["parameters"], let flag = parameters["binary_data"] else { continue }
            guard case let .bool(b) = flag else { throw V2Codec.bad("'outputs[\(i)].parameters.binary_data' must be true or false") }
            perOutput[name] = b
        }
    }
}

enum V2Response {
    /// The response to a V2 inference request: JSON only, or (when any
    /// output is binary) the JSON header followed by the outputs' raw bytes
    /// in output order, with `Inference-Header-Content-Length` giving the
    /// JSON length.
    static func encode(model: String, version: Int, id: String?, outputs: [V2Output], binary: BinaryOutputChoice) -> Response {
        var raw: [UInt8] = []
        var entries: [JSONValue] = []
        for output in outputs {
            var entry: [String: JSONValue] = [
                "name": .string(output.name),
                "datatype": .string(output.datatype),
                "shape": .array(output.shape.map { .int(Int64($0)) }),
            ]
            if binary.isBinary(output.name) {
                let start = raw.count
                append(output.values, to: &raw)
                entry["parameters"] = .object(["binary_data_size": .int(Int64(raw.count - start))])
            } else {
                switch output.values {
                case let .floats(tensor): entry["data"] = .floats(tensor.scalars)
                case let .strings(list): entry["data"] = .array(list.map { .string($0) })
                case let .onnx(.float32(tensor)): entry["data"] = .floats(tensor.scalars)
                case let .onnx(value): entry["data"] = .array(ONNXCodec.flatJSON(value))
                }
            }
            entries.append(.object(entry))
        }
        var body: [String: JSONValue] = [
            "model_name": .string(model),
            "model_version": .string(String(version)),
            "outputs": .array(entries),
        ]
        if let id { body["id"] = .string(id) }
        let json = JSONValue.object(body)
        guard outputs.contains(where: { binary.isBinary($0.name) }) else { return jsonResponse(json) }
        let header = json.serialized()
        var buffer = ByteBuffer()
        buffer.reserveCapacity(header.count + raw.count)
        buffer.writeBytes(header)
        buffer.writeBytes(raw)
        return Response(status: .ok,
                        headers: [.contentType: "application/octet-stream", .inferenceHeaderContentLength: String(header.count)],
                        body: .init(byteBuffer: buffer))
    }

    /// Little-endian FP32 values, or BYTES elements as a 4-byte length then the UTF-8 bytes.
    private static func append(_ values: V2Output.Values, to out: inout [UInt8]) {
        switch values {
        case let .floats(tensor):
            tensor.withUnsafeBufferPointer { floats in
                out.reserveCapacity(out.count + floats.count * 4)
                for f in floats {
                    withUnsafeBytes(of: f.bitPattern.littleEndian) { out.append(contentsOf: $0) }
                }
            }
        case let .onnx(value):
            ONNXCodec.rawBytes(value, into: &out)
        case let .strings(list):
            for s in list {
                let utf8 = Array(s.utf8)
                withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { out.append(contentsOf: $0) }
                out.append(contentsOf: utf8)
            }
        }
    }
}
