import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernFormats
import TernServing
import TernSupport
import TernTensor

/// One output tensor of a V2 inference response.
struct V2Output {
    var name: String
    var tensor: AnyTensor
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
                "datatype": .string(output.tensor.dtype.v2Name),
                "shape": .array(output.tensor.shape.dimensions.map { .int(Int64($0)) }),
            ]
            if binary.isBinary(output.name) {
                let start = raw.count
                output.tensor.withLittleEndianBytes { raw.append(contentsOf: $0) }
                entry["parameters"] = .object(["binary_data_size": .int(Int64(raw.count - start))])
            } else {
                entry["data"] = TensorJSON.flat(output.tensor)
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
}
