import Foundation
import SwiftProtobuf
import TernTensor

/// Reads `.onnx` files (a binary protobuf `ModelProto`) into an
/// ``ONNXGraph``, validating them on the way: the loader never crashes or
/// allocates without bound on a hostile file, and never opens another path
/// (external tensor data is refused).
///
/// What it accepts:
/// - the default operator set ("" or "ai.onnx") in versions
///   ``supportedOpsets``; nodes of any other domain are refused;
/// - constant tensors of FLOAT, DOUBLE, INT64, INT32, INT8, UINT8 and BOOL,
///   stored in `raw_data` or the typed fields (`float_data`, `int32_data`,
///   ...), normalised to raw little-endian bytes;
/// - attributes of type FLOAT, INT, STRING, TENSOR, FLOATS, INTS, STRINGS
///   (not subgraphs, so no `If` or `Loop`).
///
/// Structural checks: each value is produced once, every node input exists,
/// every graph output is produced, and the nodes have no cycle.
public enum ONNXModelFile {
    /// Files larger than this are refused (protobuf itself caps a message at 2 GiB).
    public static let maxFileSize = 1 << 31
    /// The default-domain opset versions the loader accepts.
    public static let supportedOpsets = 13...21
    /// The most elements one constant tensor may declare.
    public static let maxElementCount = 1 << 31
    /// How deeply protobuf messages may nest.
    static let messageDepthLimit = 32

    /// Parses and validates the bytes of an `.onnx` file.
    /// - Throws: ``ONNXError`` naming the first problem found.
    public static func parse(_ bytes: [UInt8]) throws -> ONNXGraph {
        guard bytes.count <= maxFileSize else { throw ONNXError.fileTooLarge(byteCount: bytes.count, limit: maxFileSize) }
        let model = try decode(bytes)
        return try ONNXLoader(byteBudget: bytes.count).graph(of: model)
    }

    /// Reads and parses the `.onnx` file at `path`.
    /// - Throws: ``ONNXError``.
    public static func parse(contentsOf path: String) throws -> ONNXGraph {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch {
            throw ONNXError.unreadable(path: path, reason: "no such file or not accessible")
        }
        guard size <= maxFileSize else { throw ONNXError.fileTooLarge(byteCount: size, limit: maxFileSize) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ONNXError.unreadable(path: path, reason: "cannot read the file")
        }
        return try parse([UInt8](data))
    }

    static func decode(_ bytes: [UInt8]) throws -> ONNXProto_ModelProto {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = messageDepthLimit
        do {
            let model = try ONNXProto_ModelProto(serializedBytes: bytes, options: options)
            try WireTypeCheck.model(model)
            return model
        } catch let error as ONNXError {
            throw error
        } catch let error as BinaryDecodingError {
            throw ONNXError.malformed(describe(error))
        } catch {
            throw ONNXError.malformed("protobuf decoding failed (\(error))")
        }
    }

    static func describe(_ error: BinaryDecodingError) -> String {
        switch error {
        case .truncated: return "the protobuf data is truncated"
        case .malformedProtobuf: return "the protobuf data is malformed (wrong wire type or bad field)"
        case .invalidUTF8: return "a string field is not valid UTF-8"
        case .messageDepthLimit: return "messages are nested more than \(messageDepthLimit) deep"
        default: return "protobuf decoding failed (\(error))"
        }
    }
}

/// One pass over a decoded model.
struct ONNXLoader {
    /// The file size: no constant tensor can hold more elements than the
    /// file has bytes (each element takes at least one byte of the file).
    let byteBudget: Int

    func graph(of model: ONNXProto_ModelProto) throws -> ONNXGraph {
        let opset = try defaultOpset(model.opsetImport)
        guard model.functions.isEmpty else {
            throw ONNXError.unsupported("the model defines \(model.functions.count) local function(s); Tern reads plain graphs only")
        }
        guard model.hasGraph else { throw ONNXError.malformed("the model has no graph") }
        let g = model.graph
        if !g.sparseInitializer.isEmpty {
            throw ONNXError.unsupported("the graph has \(g.sparseInitializer.count) sparse initializer(s)")
        }

        var initializers: [String: ONNXTensorData] = [:]
        for proto in g.initializer {
            guard !proto.name.isEmpty else { throw ONNXError.invalidGraph("an initializer has no name") }
            guard initializers[proto.name] == nil else {
                throw ONNXError.invalidGraph("initializer '\(proto.name)' is defined twice")
            }
            initializers[proto.name] = try tensor(proto, name: proto.name)
        }

        var inputs: [ONNXValueInfo] = []
        var inputNames = Set<String>()
        for proto in g.input {
            let info = try valueInfo(proto, role: "graph input")
            guard inputNames.insert(info.name).inserted else {
                throw ONNXError.invalidGraph("graph input '\(info.name)' is listed twice")
            }
            // Older exporters list initializers among the inputs too.
            if initializers[info.name] == nil { inputs.append(info) }
        }
        var outputs: [ONNXValueInfo] = []
        for proto in g.output { outputs.append(try valueInfo(proto, role: "graph output")) }
        guard !outputs.isEmpty else { throw ONNXError.invalidGraph("the graph has no outputs") }

        var nodes: [ONNXNode] = []
        nodes.reserveCapacity(g.node.count)
        for (index, proto) in g.node.enumerated() { nodes.append(try node(proto, index: index)) }

        try checkStructure(nodes: nodes, inputNames: inputNames, initializers: initializers, outputs: outputs)

        var producer = model.producerName
        if !model.producerVersion.isEmpty { producer += producer.isEmpty ? model.producerVersion : " \(model.producerVersion)" }
        return ONNXGraph(nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs,
                         opsetVersion: opset, producer: producer)
    }

    // MARK: opset

    func defaultOpset(_ imports: [ONNXProto_OperatorSetIdProto]) throws -> Int {
        var version: Int64?
        for entry in imports where entry.domain.isEmpty || entry.domain == "ai.onnx" {
            if let version, version != entry.version {
                throw ONNXError.unsupported("the model imports the default operator set twice (versions \(version) and \(entry.version))")
            }
            version = entry.version
        }
        guard let version else {
            throw ONNXError.unsupported("the model imports no version of the default operator set (ai.onnx)")
        }
        guard version >= Int64(ONNXModelFile.supportedOpsets.lowerBound), version <= Int64(ONNXModelFile.supportedOpsets.upperBound) else {
            let range = ONNXModelFile.supportedOpsets
            throw ONNXError.unsupported("opset \(version) of the default domain is not supported (Tern reads opsets \(range.lowerBound) to \(range.upperBound))")
        }
        return Int(version)
    }

    // MARK: nodes and attributes

    func node(_ proto: ONNXProto_NodeProto, index: Int) throws -> ONNXNode {
        guard !proto.opType.isEmpty else {
            throw ONNXError.invalidGraph("node \(index)\(proto.name.isEmpty ? "" : " ('\(proto.name)')") has no op_type")
        }
        let name = proto.name.isEmpty ? "\(proto.opType)_\(index)" : proto.name
        guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
            throw ONNXError.unsupported("node '\(name)' (\(proto.opType)) is from domain '\(proto.domain)'; Tern runs only the default ONNX operator set")
        }
        var attributes: [String: ONNXAttribute] = [:]
        for attribute in proto.attribute {
            guard !attribute.name.isEmpty else {
                throw ONNXError.invalidGraph("node '\(name)' (\(proto.opType)) has an attribute without a name")
            }
            guard attributes[attribute.name] == nil else {
                throw ONNXError.invalidGraph("node '\(name)' (\(proto.opType)) sets attribute '\(attribute.name)' twice")
            }
            attributes[attribute.name] = try value(of: attribute, node: name, opType: proto.opType)
        }
        return ONNXNode(name: name, opType: proto.opType, domain: proto.domain, inputs: proto.input,
                        outputs: proto.output, attributes: attributes)
    }

    func value(of a: ONNXProto_AttributeProto, node: String, opType: String) throws -> ONNXAttribute {
        let what = "attribute '\(a.name)' of node '\(node)' (\(opType))"
        guard a.refAttrName.isEmpty else {
            throw ONNXError.unsupported("\(what) refers to a function attribute ('\(a.refAttrName)')")
        }
        var type = a.type
        if type == .undefined {
            // Files from before the type field: infer it from the field that is set.
            if a.hasF { type = .float }
            else if a.hasI { type = .int }
            else if a.hasS { type = .string }
            else if a.hasT { type = .tensor }
            else if a.hasG { type = .graph }
            else if !a.floats.isEmpty { type = .floats }
            else if !a.ints.isEmpty { type = .ints }
            else if !a.strings.isEmpty { type = .strings }
            else if !a.graphs.isEmpty { type = .graphs }
            else if !a.tensors.isEmpty { type = .tensors }
            else if a.hasSparseTensor || !a.sparseTensors.isEmpty { type = .sparseTensor }
            else if a.hasTp || !a.typeProtos.isEmpty { type = .typeProto }
            else { throw ONNXError.invalidGraph("\(what) has no type and no value") }
        }
        switch type {
        case .float: return .float(a.f)
        case .int: return .int(a.i)
        case .string: return .string(try text(a.s, what))
        case .tensor:
            guard a.hasT else { throw ONNXError.invalidGraph("\(what) is a TENSOR without a tensor") }
            let name = a.t.name.isEmpty ? "\(node).\(a.name)" : a.t.name
            return .tensor(try tensor(a.t, name: name))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints)
        case .strings: return .strings(try a.strings.map { try text($0, what) })
        case .graph, .graphs:
            throw ONNXError.unsupported("\(what) is a subgraph; Tern does not run control flow (If, Loop, Scan)")
        case .tensors: throw ONNXError.unsupported("\(what) is a list of tensors (TENSORS)")
        case .sparseTensor, .sparseTensors: throw ONNXError.unsupported("\(what) is a sparse tensor")
        case .typeProto, .typeProtos: throw ONNXError.unsupported("\(what) is a type (TYPE_PROTO)")
        case .undefined: throw ONNXError.invalidGraph("\(what) has no type")
        }
    }

    func text(_ data: Data, _ what: String) throws -> String {
        guard let s = String(data: data, encoding: .utf8) else {
            throw ONNXError.malformed("\(what) holds a string that is not valid UTF-8")
        }
        return s
    }

    // MARK: value infos

    func valueInfo(_ proto: ONNXProto_ValueInfoProto, role: String) throws -> ONNXValueInfo {
        guard !proto.name.isEmpty else { throw ONNXError.invalidGraph("a \(role) has no name") }
        let what = "\(role) '\(proto.name)'"
        guard proto.hasType, let value = proto.type.value else {
            throw ONNXError.invalidGraph("\(what) declares no type")
        }
        guard case let .tensorType(tensorType) = value else {
            throw ONNXError.unsupported("\(what) is not a tensor (sequence, map, optional or sparse types are not supported)")
        }
        guard let dtype = DType(onnxCode: tensorType.elemType) else {
            throw ONNXError.unsupported("\(what) has element type \(onnxDataTypeName(tensorType.elemType))")
        }
        guard tensorType.hasShape else { return ONNXValueInfo(name: proto.name, dtype: dtype, shape: nil) }
        var shape: [ONNXDimension] = []
        for dim in tensorType.shape.dim {
            switch dim.value {
            case let .dimValue(n)?:
                guard n >= 0, n <= Int64(Int32.max) else {
                    throw ONNXError.invalidGraph("\(what) has dimension \(n)")
                }
                shape.append(.fixed(Int(n)))
            case let .dimParam(p)?: shape.append(.symbolic(p))
            case nil: shape.append(.symbolic(""))
            }
        }
        return ONNXValueInfo(name: proto.name, dtype: dtype, shape: shape)
    }

    // MARK: structure

    func checkStructure(nodes: [ONNXNode], inputNames: Set<String>, initializers: [String: ONNXTensorData],
                        outputs: [ONNXValueInfo]) throws {
        // Where each value comes from: -1 for graph inputs and initializers, else the node index.
        var producer: [String: Int] = [:]
        for name in inputNames { producer[name] = -1 }
        for name in initializers.keys { producer[name] = -1 }
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                if let previous = producer[output] {
                    let first = previous < 0
                        ? (initializers[output] != nil ? "an initializer" : "a graph input")
                        : "node '\(nodes[previous].name)' (\(nodes[previous].opType))"
                    throw ONNXError.invalidGraph("value '\(output)' is produced by \(first) and again by node '\(node.name)' (\(node.opType))")
                }
                producer[output] = index
            }
        }
        // Edges and in-degrees for a topological check (Kahn's algorithm).
        var consumers = [[Int]](repeating: [], count: nodes.count)
        var pending = [Int](repeating: 0, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for input in node.inputs where !input.isEmpty {
                guard let source = producer[input] else {
                    throw ONNXError.invalidGraph("node '\(node.name)' (\(node.opType)) reads '\(input)', which no graph input, initializer or node produces")
                }
                if source >= 0 {
                    consumers[source].append(index)
                    pending[index] += 1
                }
            }
        }
        for output in outputs where producer[output.name] == nil {
            throw ONNXError.invalidGraph("graph output '\(output.name)' is not produced by any node, input or initializer")
        }
        var ready = pending.indices.filter { pending[$0] == 0 }
        var visited = 0
        while let index = ready.popLast() {
            visited += 1
            for next in consumers[index] {
                pending[next] -= 1
                if pending[next] == 0 { ready.append(next) }
            }
        }
        if visited < nodes.count, var current = pending.indices.first(where: { pending[$0] > 0 }) {
            // Walk back through unfinished producers until a node repeats: it lies on a cycle.
            var seen = Set<Int>()
            while seen.insert(current).inserted {
                guard let previous = nodes[current].inputs.lazy.compactMap({ producer[$0] })
                    .first(where: { $0 >= 0 && pending[$0] > 0 }) else { break }
                current = previous
            }
            let node = nodes[current]
            throw ONNXError.invalidGraph("the nodes form a cycle through node '\(node.name)' (\(node.opType)), which depends on its own output")
        }
    }
}

/// The elements' bytes in little-endian order.
func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    let size = MemoryLayout<T>.size
    var out = [UInt8](repeating: 0, count: values.count * size)
    out.withUnsafeMutableBytes { dst in
        for (i, v) in values.enumerated() { dst.storeBytes(of: v.littleEndian, toByteOffset: i * size, as: T.self) }
    }
    return out
}
