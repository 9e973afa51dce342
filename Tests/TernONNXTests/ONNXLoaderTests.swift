import Foundation
import Testing
import TernTesting
import TernFormats
import TernTensor
@testable import TernONNX

/// Builds small models with the generated protobuf messages.
enum ONNXTestModels {
    static let fixtures = TestPaths.packageRoot.appendingPathComponent("Tests/TernONNXTests/Fixtures/onnx")

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    static func valueInfo(_ name: String, _ type: DType = .float32, _ dims: [Int64?]) -> ONNXProto_ValueInfoProto {
        var tensor = ONNXProto_TypeProto.Tensor()
        tensor.elemType = type.onnxCode
        var shape = ONNXProto_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = ONNXProto_TensorShapeProto.Dimension()
            if let d { dim.dimValue = d } else { dim.dimParam = "N" }
            return dim
        }
        tensor.shape = shape
        var v = ONNXProto_ValueInfoProto()
        v.name = name
        v.type.tensorType = tensor
        return v
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "",
                     attributes: [ONNXProto_AttributeProto] = []) -> ONNXProto_NodeProto {
        var n = ONNXProto_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = outputs
        n.name = name
        n.attribute = attributes
        return n
    }

    static func floats(_ name: String, _ values: [Float], dims: [Int64]) -> ONNXProto_TensorProto {
        var t = ONNXProto_TensorProto()
        t.name = name
        t.dataType = DType.float32.onnxCode
        t.dims = dims
        t.floatData = values
        return t
    }

    /// x [N, 2] -> Add(x, bias) -> Relu -> y.
    static func model(
        nodes: [ONNXProto_NodeProto] = [node("Add", ["x", "bias"], ["s"], name: "add"), node("Relu", ["s"], ["y"], name: "relu")],
        initializers: [ONNXProto_TensorProto] = [floats("bias", [1, -1], dims: [2])],
        inputs: [ONNXProto_ValueInfoProto] = [valueInfo("x", .float32, [nil, 2])],
        outputs: [ONNXProto_ValueInfoProto] = [valueInfo("y", .float32, [nil, 2])],
        opsets: [(String, Int64)] = [("", 17)]
    ) -> ONNXProto_ModelProto {
        var graph = ONNXProto_GraphProto()
        graph.name = "test"
        graph.node = nodes
        graph.initializer = initializers
        graph.input = inputs
        graph.output = outputs
        var model = ONNXProto_ModelProto()
        model.irVersion = 8
        model.producerName = "tests"
        model.opsetImport = opsets.map { domain, version in
            var o = ONNXProto_OperatorSetIdProto()
            o.domain = domain
            o.version = version
            return o
        }
        model.graph = graph
        return model
    }

    static func bytes(_ model: ONNXProto_ModelProto) throws -> [UInt8] { try model.serializedBytes() }

    static func error(_ bytes: [UInt8]) -> ONNXError? {
        do {
            _ = try ONNXModelFile.parse(bytes)
            return nil
        } catch let error as ONNXError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    static func error(_ model: ONNXProto_ModelProto) throws -> ONNXError? { error(try bytes(model)) }
}

@Suite struct ONNXLoaderTests {
    typealias M = ONNXTestModels

    // MARK: fixtures

    @Test func parsesEveryFixtureAndMatchesItsSidecar() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: M.fixtures.path).filter { $0.hasSuffix(".onnx") }.sorted()
        #expect(files.count >= 80)
        for file in files {
            let graph = try ONNXModelFile.parse(contentsOf: M.fixtures.appendingPathComponent(file).path)
            #expect(ONNXModelFile.supportedOpsets.contains(graph.opsetVersion), "\(file)")
            #expect(!graph.nodes.isEmpty, "\(file)")
            let sidecarURL = M.fixtures.appendingPathComponent(String(file.dropLast(5)) + ".json")
            let sidecar = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sidecarURL)) as? [String: Any])
            let inputs = try #require(sidecar["inputs"] as? [String: [String: Any]])
            let outputs = try #require(sidecar["outputs"] as? [String: [String: Any]])
            #expect(Set(graph.inputs.map(\.name)) == Set(inputs.keys), "\(file)")
            #expect(Set(graph.outputs.map(\.name)) == Set(outputs.keys), "\(file)")
            for info in graph.inputs + graph.outputs {
                let entry = inputs[info.name] ?? outputs[info.name]
                #expect(entry?["datatype"] as? String == info.dtype.onnxName, "\(file) \(info.name)")
                if let shape = info.shape, let actual = entry?["shape"] as? [Int] {
                    #expect(shape.count == actual.count, "\(file) \(info.name)")
                    for (d, n) in zip(shape, actual) { if case let .fixed(f) = d { #expect(f == n, "\(file) \(info.name)") } }
                }
            }
        }
    }

    @Test func readsTheGemmMLP() throws {
        let graph = try ONNXModelFile.parse(M.fixture("mnist_mlp_gemm.onnx"))
        #expect(graph.opsetVersion == 17)
        #expect(graph.producer == "tern-fixtures 1")
        #expect(graph.nodes.map(\.opType) == ["Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
        #expect(graph.inputs == [ONNXValueInfo(name: "input", dtype: .float32, shape: [.symbolic("N"), .fixed(1), .fixed(28), .fixed(28)])])
        #expect(graph.outputs == [ONNXValueInfo(name: "output", dtype: .float32, shape: [.symbolic("N"), .fixed(10)])])
        let w = try #require(graph.initializers["fc1.weight"])
        #expect(w.dtype == .float32 && w.shape == [128, 784] && w.bytes.count == 128 * 784 * 4)
        #expect(graph.nodes[1].attributes["transB"] == .int(1))
        #expect(graph.nodes[1].attributes["alpha"] == .float(1))
        #expect(graph.nodes[4].attributes["axis"] == .int(1))
    }

    @Test func readsTheMatMulMLPAndConstantAttributes() throws {
        let graph = try ONNXModelFile.parse(M.fixture("mnist_mlp_matmul.onnx"))
        #expect(graph.opsetVersion == 13)
        #expect(graph.nodes.map(\.opType) == ["Reshape", "MatMul", "Add", "Relu", "MatMul", "Add", "Softmax"])
        let shape = try #require(graph.initializers["const_fold_opt__12"])
        #expect(shape.dtype == .int64 && shape.shape == [2])
        #expect(shape.bytes == littleEndianBytes([Int64(-1), 784]))
        let constant = try ONNXModelFile.parse(M.fixture("op_constant_of_shape.onnx"))
        guard case let .tensor(value)? = constant.nodes[0].attributes["value"] else { Issue.record("no tensor attribute"); return }
        #expect(value.dtype == .float32 && value.shape == [1] && value.bytes == littleEndianBytes([Float(0.5).bitPattern]))
        let ints = try ONNXModelFile.parse(M.fixture("op_constant_value_ints.onnx"))
        #expect(ints.nodes[0].attributes["value_ints"] == .ints([3, 2]))
        let gelu = try ONNXModelFile.parse(M.fixture("op_gelu_tanh.onnx"))
        #expect(gelu.nodes[0].attributes["approximate"] == .string("tanh"))
    }

    // MARK: tensors and attributes

    @Test func normalisesTypedTensorFields() throws {
        var i64 = ONNXProto_TensorProto(); i64.name = "i64"; i64.dataType = DType.int64.onnxCode; i64.dims = [3]; i64.int64Data = [-1, 0, 1 << 40]
        var i32 = ONNXProto_TensorProto(); i32.name = "i32"; i32.dataType = DType.int32.onnxCode; i32.dims = [2]; i32.int32Data = [-5, 7]
        var u8 = ONNXProto_TensorProto(); u8.name = "u8"; u8.dataType = DType.uint8.onnxCode; u8.dims = [3]; u8.int32Data = [0, 128, 255]
        var s8 = ONNXProto_TensorProto(); s8.name = "s8"; s8.dataType = DType.int8.onnxCode; s8.dims = [2]; s8.int32Data = [-128, 127]
        var b = ONNXProto_TensorProto(); b.name = "b"; b.dataType = DType.bool.onnxCode; b.dims = [2, 1]; b.int32Data = [1, 0]
        var d = ONNXProto_TensorProto(); d.name = "d"; d.dataType = DType.float64.onnxCode; d.dims = []; d.doubleData = [0.25]
        var raw = ONNXProto_TensorProto(); raw.name = "raw"; raw.dataType = DType.bool.onnxCode; raw.dims = [3]; raw.rawData = Data([0, 1, 7])
        let extra = [i64, i32, u8, s8, b, d, raw]
        let graph = try ONNXModelFile.parse(M.bytes(M.model(initializers: [M.floats("bias", [1, -1], dims: [2])] + extra)))
        #expect(graph.initializers["bias"]?.bytes == littleEndianBytes([Float(1).bitPattern, Float(-1).bitPattern]))
        #expect(graph.initializers["i64"]?.bytes == littleEndianBytes([Int64(-1), 0, 1 << 40]))
        #expect(graph.initializers["i32"]?.bytes == littleEndianBytes([Int32(-5), 7]))
        #expect(graph.initializers["u8"]?.bytes == [0, 128, 255])
        #expect(graph.initializers["s8"]?.bytes == [0x80, 0x7F])
        #expect(graph.initializers["b"]?.bytes == [1, 0])
        #expect(graph.initializers["b"]?.shape == [2, 1])
        #expect(graph.initializers["d"]?.bytes == littleEndianBytes([Double(0.25).bitPattern]))
        #expect(graph.initializers["d"]?.shape == [] && graph.initializers["d"]?.count == 1)
        #expect(graph.initializers["raw"]?.bytes == [0, 1, 1])
    }

    @Test func dropsInitializersFromInputsAndNamesNodes() throws {
        let model = M.model(
            nodes: [M.node("Add", ["x", "bias"], ["s"]), M.node("Relu", ["s"], ["y"])],
            inputs: [M.valueInfo("x", .float32, [nil, 2]), M.valueInfo("bias", .float32, [2])])
        let graph = try ONNXModelFile.parse(M.bytes(model))
        #expect(graph.inputs.map(\.name) == ["x"])
        #expect(graph.nodes.map(\.name) == ["Add_0", "Relu_1"])
        #expect(graph.producer == "tests")
    }

    @Test func readsDimensionsAndDefaultDomainAlias() throws {
        var unnamed = M.valueInfo("x", .float32, [nil, 2])
        unnamed.type.tensorType.shape.dim[0] = ONNXProto_TensorShapeProto.Dimension()
        var noShape = M.valueInfo("y", .float32, [])
        noShape.type.tensorType.clearShape()
        let graph = try ONNXModelFile.parse(M.bytes(M.model(inputs: [unnamed], outputs: [noShape], opsets: [("ai.onnx", 21), ("ai.onnx.ml", 3)])))
        #expect(graph.inputs[0].shape == [.symbolic(""), .fixed(2)])
        #expect(graph.outputs[0].shape == nil)
        #expect(graph.opsetVersion == 21)
    }

    @Test func infersUntypedAttributes() throws {
        var f = ONNXProto_AttributeProto(); f.name = "alpha"; f.f = 0.5
        var i = ONNXProto_AttributeProto(); i.name = "axis"; i.i = -1
        var s = ONNXProto_AttributeProto(); s.name = "mode"; s.s = Data("tanh".utf8)
        var l = ONNXProto_AttributeProto(); l.name = "perm"; l.ints = [1, 0]
        var fs = ONNXProto_AttributeProto(); fs.name = "scales"; fs.floats = [1, 2]
        var ss = ONNXProto_AttributeProto(); ss.name = "names"; ss.strings = [Data("a".utf8), Data("b".utf8)]
        var t = ONNXProto_AttributeProto(); t.name = "value"; t.type = .tensor; t.t = M.floats("", [3], dims: [1])
        let model = M.model(nodes: [M.node("Add", ["x", "bias"], ["s"], name: "add", attributes: [f, i, s, l, fs, ss, t]),
                                    M.node("Relu", ["s"], ["y"])])
        let attributes = try ONNXModelFile.parse(M.bytes(model)).nodes[0].attributes
        #expect(attributes["alpha"] == .float(0.5))
        #expect(attributes["axis"] == .int(-1))
        #expect(attributes["mode"] == .string("tanh"))
        #expect(attributes["perm"] == .ints([1, 0]))
        #expect(attributes["scales"] == .floats([1, 2]))
        #expect(attributes["names"] == .strings(["a", "b"]))
        #expect(attributes["value"] == .tensor(ONNXTensorData(name: "add.value", dtype: .float32, shape: [1], bytes: littleEndianBytes([Float(3).bitPattern]))))
    }

    // MARK: hostile files

    @Test func everyTruncationThrowsOrParses() throws {
        let bytes = try M.fixture("op_conv_groups.onnx")
        #expect(bytes.count < 10_000)
        var failures = 0
        for end in 0..<bytes.count {
            do { _ = try ONNXModelFile.parse(Array(bytes[..<end])) } catch is ONNXError { failures += 1 }
        }
        #expect(failures > bytes.count / 2)
        #expect(M.error(Array(bytes.prefix(bytes.count - 1))) != nil)
    }

    @Test func randomByteFlipsThrowOrParse() throws {
        let original = try M.fixture("op_gemm_transb.onnx")
        var rng = SystemRandomNumberGenerator.Seeded(seed: 42)
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do { _ = try ONNXModelFile.parse(bytes) } catch is ONNXError {}
        }
    }

    @Test func refusesWrongWireTypesAndGarbage() throws {
        // A known field with the wrong wire type: field 7 (graph) as a varint
        // or a fixed32 after a valid opset import.
        let opset: [UInt8] = [0x42, 0x02, 0x10, 0x11]  // opset_import { version: 17 }
        let wrongGraph = ONNXError.malformed("field 7 of a ModelProto has wire type 0, which does not match its declared type")
        #expect(M.error(opset + [0x38, 0x01]) == wrongGraph)
        #expect(M.error(opset + [0x3D, 0, 0, 0, 0])?.description.contains("field 7 of a ModelProto has wire type 5") == true)
        // Inside the graph: a node's op_type (field 4) as a varint.
        var model = M.model()
        var node = model.graph.node[0]
        node.unknownFields = try ONNXProto_NodeProto(serializedBytes: [0x20, 0x05] as [UInt8]).unknownFields
        model.graph.node[0] = node
        #expect(try M.error(model) == .malformed("field 4 of a NodeProto has wire type 0, which does not match its declared type"))
        // Unknown fields (not in Tern's subset) are fine: field 99 as a varint.
        #expect(M.error(try M.bytes(M.model()) + [0x98, 0x06, 0x01]) == nil)
        // Invalid wire types (6, 7) and lengths past the end are malformed.
        #expect(M.error(opset + [0x3E, 0x01]) == .malformed("the protobuf data is malformed (wrong wire type or bad field)"))
        #expect(M.error(opset + [0x3F]) == .malformed("the protobuf data is malformed (wrong wire type or bad field)"))
        if case .malformed? = M.error(opset + [0x3A, 0x7F, 0x00]) {} else { Issue.record("length past the end") }
        if case .malformed? = M.error([0x3A, 0x10, 0x00]) {} else { Issue.record("truncated graph") }
        if case .malformed? = M.error([0xFF, 0xFF, 0xFF]) {} else { Issue.record("bad tag") }
        // A valid empty message: no opset, no graph.
        #expect(M.error([]) == .unsupported("the model imports no version of the default operator set (ai.onnx)"))
    }

    @Test func refusesDeclaredSizesThatDisagreeWithTheData() throws {
        let short = M.floats("bias", [1, 2, 3, 4, 5], dims: [2, 3])
        #expect(try M.error(M.model(initializers: [short])) == .invalidTensor(name: "bias", reason: "FLOAT [2, 3] needs 6 elements, float_data has 5"))
        var raw = ONNXProto_TensorProto(); raw.name = "bias"; raw.dataType = 1; raw.dims = [2]; raw.rawData = Data(count: 7)
        #expect(try M.error(M.model(initializers: [raw])) == .invalidTensor(name: "bias", reason: "FLOAT [2] needs 8 bytes of raw_data, found 7"))
        var wrongField = ONNXProto_TensorProto(); wrongField.name = "bias"; wrongField.dataType = 1; wrongField.dims = [2]; wrongField.int64Data = [1, 2]
        #expect(try M.error(M.model(initializers: [wrongField])) == .invalidTensor(name: "bias", reason: "FLOAT data must be in float_data or raw_data, found int64_data"))
        var range = ONNXProto_TensorProto(); range.name = "bias"; range.dataType = 2; range.dims = [1]; range.int32Data = [256]
        #expect(try M.error(M.model(initializers: [range])) == .invalidTensor(name: "bias", reason: "UINT8 element 0 is 256, outside 0...255"))
        var both = M.floats("bias", [1, 2], dims: [2]); both.rawData = Data(count: 8)
        if case .invalidTensor? = try M.error(M.model(initializers: [both])) {} else { Issue.record("two data fields") }
    }

    @Test func refusesAbsurdDimensionsWithoutAllocating() throws {
        var huge = ONNXProto_TensorProto(); huge.name = "bias"; huge.dataType = 1; huge.dims = [1 << 40, 1 << 40]
        guard case let .invalidTensor(name, reason)? = try M.error(M.model(initializers: [huge])) else { Issue.record("no error"); return }
        #expect(name == "bias" && reason.contains("more than"))
        huge.dims = [Int64.max, Int64.max, 0]
        if case .invalidTensor? = try M.error(M.model(initializers: [huge])) {} else { Issue.record("overflowing dims") }
        huge.dims = [1 << 20, 1 << 10]  // within the element cap, far beyond the file
        guard case let .invalidTensor(_, reason2)? = try M.error(M.model(initializers: [huge])) else { Issue.record("no error"); return }
        #expect(reason2.contains("more than the file could hold"))
        huge.dims = [2, -1]
        #expect(try M.error(M.model(initializers: [huge])) == .invalidTensor(name: "bias", reason: "negative dimension -1 in [2, -1]"))
        var input = M.valueInfo("x", .float32, [nil, 2]); input.type.tensorType.shape.dim[1].dimValue = -3
        #expect(try M.error(M.model(inputs: [input])) == .invalidGraph("graph input 'x' has dimension -3"))
    }

    @Test func refusesExternalData() throws {
        var external = ONNXProto_TensorProto(); external.name = "bias"; external.dataType = 1; external.dims = [2]
        var location = ONNXProto_StringStringEntryProto(); location.key = "location"; location.value = "/etc/passwd"
        external.externalData = [location]
        external.dataLocation = .external
        let error = try #require(try M.error(M.model(initializers: [external])))
        #expect(error.description.contains("tensor 'bias' keeps its data in an external file"))
        external.dataLocation = .default
        if case .unsupported? = try M.error(M.model(initializers: [external])) {} else { Issue.record("external_data without location flag") }
    }

    @Test func readsFloat16AndWideUnsignedTensors() throws {
        // FLOAT16 as raw bytes or as bit patterns in int32_data; UINT16 likewise; UINT32/UINT64 in uint64_data.
        var raw = ONNXProto_TensorProto(); raw.name = "raw"; raw.dataType = DType.float16.onnxCode; raw.dims = [1]; raw.rawData = Data([0x00, 0x3C])
        var bits = ONNXProto_TensorProto(); bits.name = "bits"; bits.dataType = DType.float16.onnxCode; bits.dims = [2]; bits.int32Data = [0x3C00, 0xC000]
        var u16 = ONNXProto_TensorProto(); u16.name = "u16"; u16.dataType = DType.uint16.onnxCode; u16.dims = [1]; u16.int32Data = [65535]
        var u32 = ONNXProto_TensorProto(); u32.name = "u32"; u32.dataType = DType.uint32.onnxCode; u32.dims = [1]; u32.uint64Data = [1 << 31]
        var u64 = ONNXProto_TensorProto(); u64.name = "u64"; u64.dataType = DType.uint64.onnxCode; u64.dims = [1]; u64.uint64Data = [UInt64.max]
        let graph = try ONNXModelFile.parse(M.bytes(M.model(initializers: [M.floats("bias", [1, -1], dims: [2]), raw, bits, u16, u32, u64])))
        #expect(graph.initializers["raw"]?.dtype == .float16 && graph.initializers["raw"]?.bytes == [0x00, 0x3C])
        #expect(graph.initializers["bits"]?.bytes == [0x00, 0x3C, 0x00, 0xC0])
        #expect(graph.initializers["u16"]?.bytes == [0xFF, 0xFF])
        #expect(graph.initializers["u32"]?.bytes == [0, 0, 0, 0x80])
        #expect(graph.initializers["u64"]?.bytes == [UInt8](repeating: 0xFF, count: 8))
        var outOfRange = bits; outOfRange.int32Data = [0x10000, 0]
        #expect(try M.error(M.model(initializers: [M.floats("bias", [0, 0], dims: [2]), outOfRange]))
            == .invalidTensor(name: "bits", reason: "FLOAT16 element 0 is 65536, outside 0...65535"))
    }

    @Test func refusesUnsupportedDataTypes() throws {
        var s = ONNXProto_TensorProto(); s.name = "bias"; s.dataType = 8; s.dims = [1]; s.stringData = [Data("a".utf8)]
        #expect(try M.error(M.model(initializers: [s])) == .unsupported("tensor 'bias' has data type STRING (Tern reads FLOAT, FLOAT16, DOUBLE, the integer types and BOOL)"))
        var c = ONNXProto_TensorProto(); c.name = "bias"; c.dataType = 14; c.dims = [1]
        #expect(try M.error(M.model(initializers: [c]))?.description.contains("tensor 'bias' has data type COMPLEX64") == true)
        var bf = ONNXProto_TensorProto(); bf.name = "bias"; bf.dataType = 16; bf.dims = [1]
        #expect(try M.error(M.model(initializers: [bf])) == .unsupported("tensor 'bias' has data type BFLOAT16 (Tern reads FLOAT, FLOAT16, DOUBLE, the integer types and BOOL)"))
    }

    @Test func refusesCycles() throws {
        let model = M.model(nodes: [
            M.node("Add", ["x", "t"], ["s"], name: "a"),
            M.node("Relu", ["s"], ["t"], name: "b"),
            M.node("Relu", ["s"], ["y"], name: "c"),
        ])
        #expect(try M.error(model)?.description.contains("cycle") == true)
        let selfLoop = M.model(nodes: [M.node("Relu", ["y"], ["y"], name: "loop")], initializers: [])
        #expect(try M.error(selfLoop) == .invalidGraph("the nodes form a cycle through node 'loop' (Relu), which depends on its own output"))
        // Out of file order but acyclic is fine.
        let unordered = M.model(nodes: [M.node("Relu", ["s"], ["y"]), M.node("Add", ["x", "bias"], ["s"])])
        #expect(try M.error(unordered) == nil)
    }

    @Test func refusesOpsetsAndDomains() throws {
        #expect(try M.error(M.model(opsets: [("", 12)])) == .unsupported("opset 12 of the default domain is not supported (Tern reads opsets 13 to 21)"))
        if case .unsupported? = try M.error(M.model(opsets: [("", 22)])) {} else { Issue.record("opset 22") }
        if case .unsupported? = try M.error(M.model(opsets: [("com.microsoft", 1)])) {} else { Issue.record("no default opset") }
        var custom = M.node("FusedGemm", ["x", "bias"], ["y"], name: "fused")
        custom.domain = "com.microsoft"
        #expect(try M.error(M.model(nodes: [custom], opsets: [("", 17), ("com.microsoft", 1)]))
            == .unsupported("node 'fused' (FusedGemm) is from domain 'com.microsoft'; Tern runs only the default ONNX operator set"))
    }

    @Test func refusesSubgraphs() throws {
        var branch = ONNXProto_AttributeProto(); branch.name = "then_branch"; branch.type = .graph
        let subgraph: [UInt8] = try M.model().graph.serializedBytes()
        branch.g = Data(subgraph)
        let model = M.model(nodes: [M.node("If", ["x"], ["y"], name: "choose", attributes: [branch])])
        #expect(try M.error(model) == .unsupported("attribute 'then_branch' of node 'choose' (If) is a subgraph; Tern does not run control flow (If, Loop, Scan)"))
        branch.clearType()
        #expect(try M.error(M.model(nodes: [M.node("If", ["x"], ["y"], name: "choose", attributes: [branch])]))?.description.contains("subgraph") == true)
    }

    @Test func refusesBrokenStructure() throws {
        let twice = M.model(nodes: [M.node("Relu", ["x"], ["y"], name: "a"), M.node("Relu", ["x"], ["y"], name: "b")], initializers: [])
        #expect(try M.error(twice) == .invalidGraph("value 'y' is produced by node 'a' (Relu) and again by node 'b' (Relu)"))
        let overwrite = M.model(nodes: [M.node("Relu", ["x"], ["bias"], name: "a"), M.node("Relu", ["bias"], ["y"], name: "b")])
        #expect(try M.error(overwrite) == .invalidGraph("value 'bias' is produced by an initializer and again by node 'a' (Relu)"))
        let missing = M.model(nodes: [M.node("Add", ["x", "nope"], ["y"], name: "add")])
        #expect(try M.error(missing) == .invalidGraph("node 'add' (Add) reads 'nope', which no graph input, initializer or node produces"))
        let unproduced = M.model(outputs: [M.valueInfo("y", .float32, [nil, 2]), M.valueInfo("z", .float32, [1])])
        #expect(try M.error(unproduced) == .invalidGraph("graph output 'z' is not produced by any node, input or initializer"))
        #expect(try M.error(M.model(outputs: [])) == .invalidGraph("the graph has no outputs"))
        var untyped = M.valueInfo("x", .float32, [1]); untyped.clearType()
        #expect(try M.error(M.model(inputs: [untyped])) == .invalidGraph("graph input 'x' declares no type"))
        var sequence = M.valueInfo("x", .float32, [1]); sequence.type.sequenceType = Data()
        if case .unsupported? = try M.error(M.model(inputs: [sequence])) {} else { Issue.record("sequence input") }
        // Optional inputs and outputs ("") are allowed.
        let optional = M.model(nodes: [M.node("Add", ["x", "bias"], ["s"]), M.node("Dropout", ["s", ""], ["y", ""])])
        #expect(try M.error(optional) == nil)
    }

    @Test func refusesMissingFilesAndUnreadablePaths() {
        #expect(throws: ONNXError.unreadable(path: "/nonexistent/model.onnx", reason: "no such file or not accessible")) {
            try ONNXModelFile.parse(contentsOf: "/nonexistent/model.onnx")
        }
    }
}

extension SystemRandomNumberGenerator {
    /// A small seeded generator (SplitMix64) for reproducible fuzzing.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
