import Foundation
import SwiftProtobuf
import TernFormats
import TernTensor
import TernNN
import TernData

extension TernModel {
    /// The ONNX opset the exporter targets, and the IR version that goes with it.
    public static let onnxExportOpset = 17
    static let onnxExportIRVersion: Int64 = 8

    /// The model as an ONNX file (a binary `ModelProto`, opset 17): the
    /// preprocessing (a Cast of uint8 inputs to float, then the rescale as
    /// Mul and Add) and the network in inference mode, computing what
    /// ``predict(_:)-(Tensor<UInt8>)`` computes.
    ///
    /// The graph takes `input`, shape `[N] + spec.input.shape` (uint8 or
    /// float as the spec says, `N` symbolic), and gives `output`, `[N, units]`.
    /// Tern's images are channels-last (NHWC) while ONNX's Conv and pooling
    /// are channels-first: the graph transposes to NCHW before them and back
    /// before flatten, dense, softmax and the output, so the values and the
    /// flatten order match Tern's. Dropout is left out (identity at inference).
    ///
    /// - Throws: ``ONNXError/exportUnsupported(_:)`` for table models and for
    ///   layers or shapes the exporter does not handle, naming the layer.
    public func onnxBytes() throws -> [UInt8] {
        let model = try onnxModelProto()
        do {
            return try model.serializedBytes()
        } catch {
            throw ONNXError.exportUnsupported("protobuf encoding failed (\(error))")
        }
    }

    func onnxModelProto() throws -> ONNXProto_ModelProto {
        guard spec.input.format == .tensor, tabular == nil, spec.pipeline.isEmpty else {
            throw ONNXError.exportUnsupported("model '\(spec.name)' is a table model; its tabular pipeline has no ONNX form")
        }
        var b = ONNXExportBuilder(parameters: Dictionary(network.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }))

        // The input and preprocessing.
        let sample = spec.input.shape.dimensions
        var input = ONNXProto_ValueInfoProto()
        input.name = "input"
        input.type = ONNXExportBuilder.tensorType(spec.input.dtype == .uint8 ? .uint8 : .float32, dims: [nil] + sample.map { $0 })
        var x = "input"
        if spec.input.dtype == .uint8 {
            x = b.node("Cast", "preprocessing/Cast", [x], attributes: [ONNXExportBuilder.int("to", Int64(DType.float32.onnxCode))])
        }
        for (i, step) in spec.preprocessing.enumerated() {
            switch step {
            case let .rescale(scale, offset):
                let stem = "preprocessing/rescale" + (i == 0 ? "" : "_\(i)")
                let s = b.initializer("\(stem)/scale", floats: [scale], dims: [])
                x = b.node("Mul", "\(stem)/Mul", [x, s])
                if offset != 0 {
                    let o = b.initializer("\(stem)/offset", floats: [offset], dims: [])
                    x = b.node("Add", "\(stem)/Add", [x, o])
                }
            }
        }

        // The layers. `shape` is Tern's per-sample shape (channels last);
        // `nchw` says whether the current ONNX value is transposed to NCHW.
        var shape = network.inputShape.dimensions
        var nchw = false
        func toNCHW(_ layer: String) {
            if !nchw { x = b.node("Transpose", "\(layer)/ToNCHW", [x], attributes: [ONNXExportBuilder.ints("perm", [0, 3, 1, 2])]); nchw = true }
        }
        func toNHWC(_ layer: String) {
            if nchw { x = b.node("Transpose", "\(layer)/ToNHWC", [x], attributes: [ONNXExportBuilder.ints("perm", [0, 2, 3, 1])]); nchw = false }
        }
        for (index, layerSpec) in network.specs.enumerated() {
            let name = network.specNames[index]
            let output = network.specOutputShapes[index].dimensions
            switch layerSpec {
            case let .dense(units, activation, useBias):
                guard shape.count == 1 else {
                    throw ONNXError.exportUnsupported("layer '\(name)' (dense) takes per-sample shape \(shape); only flat inputs are exported")
                }
                let kernel = try b.parameter("\(name)/kernel", layer: name)
                let k = b.initializer("\(name)/kernel", floats: kernel.scalars, dims: [shape[0], units])
                var inputs = [x, k]
                if useBias {
                    let bias = try b.parameter("\(name)/bias", layer: name)
                    inputs.append(b.initializer("\(name)/bias", floats: bias.scalars, dims: [units]))
                }
                x = b.node("Gemm", "\(name)/Gemm", inputs)
                if activation == .softmax { toNHWC(name) }
                x = b.activation(activation, x, layer: name)
            case .flatten:
                if shape.count == 3 { toNHWC(name) }
                x = b.node("Flatten", "\(name)/Flatten", [x], attributes: [ONNXExportBuilder.int("axis", 1)])
            case let .conv2D(filters, kernelSize, strides, padding, activation, useBias):
                guard shape.count == 3 else {
                    throw ONNXError.exportUnsupported("layer '\(name)' (conv2d) takes per-sample shape \(shape), not (height, width, channels)")
                }
                toNCHW(name)
                let (kh, kw, inC) = (kernelSize[0], kernelSize[1], shape[2])
                let kernel = try b.parameter("\(name)/kernel", layer: name).scalars
                // Tern's kernel is (kH, kW, inC, outC); ONNX wants (outC, inC, kH, kW).
                var oihw = [Float](repeating: 0, count: kernel.count)
                for y in 0..<kh { for xx in 0..<kw { for c in 0..<inC { for o in 0..<filters {
                    oihw[((o * inC + c) * kh + y) * kw + xx] = kernel[((y * kw + xx) * inC + c) * filters + o]
                } } } }
                var inputs = [x, b.initializer("\(name)/kernel", floats: oihw, dims: [filters, inC, kh, kw])]
                if useBias {
                    let bias = try b.parameter("\(name)/bias", layer: name)
                    inputs.append(b.initializer("\(name)/bias", floats: bias.scalars, dims: [filters]))
                }
                x = b.node("Conv", "\(name)/Conv", inputs, attributes: [
                    ONNXExportBuilder.ints("kernel_shape", [kh, kw]),
                    ONNXExportBuilder.ints("strides", strides),
                    ONNXExportBuilder.ints("pads", ONNXExportBuilder.pads(shape, window: [kh, kw], strides: strides, padding: padding)),
                ])
                if activation == .softmax { toNHWC(name) }
                x = b.activation(activation, x, layer: name)
            case let .maxPooling2D(poolSize, strides, padding), let .averagePooling2D(poolSize, strides, padding):
                guard shape.count == 3 else {
                    throw ONNXError.exportUnsupported("layer '\(name)' (\(layerSpec.typeName)) takes per-sample shape \(shape), not (height, width, channels)")
                }
                toNCHW(name)
                let isMax: Bool
                if case .maxPooling2D = layerSpec { isMax = true } else { isMax = false }
                let strides = strides ?? poolSize
                var attributes = [
                    ONNXExportBuilder.ints("kernel_shape", poolSize),
                    ONNXExportBuilder.ints("strides", strides),
                    ONNXExportBuilder.ints("pads", ONNXExportBuilder.pads(shape, window: poolSize, strides: strides, padding: padding)),
                ]
                // Tern averages over the real elements of a window only.
                if !isMax { attributes.append(ONNXExportBuilder.int("count_include_pad", 0)) }
                x = b.node(isMax ? "MaxPool" : "AveragePool", "\(name)/\(isMax ? "MaxPool" : "AveragePool")", [x], attributes: attributes)
            case .dropout:
                break
            case let .batchNormalization(_, epsilon):
                // Tern normalises the last axis; ONNX's BatchNormalization axis 1.
                if shape.count == 3 { toNCHW(name) } else if shape.count != 1 {
                    throw ONNXError.exportUnsupported("layer '\(name)' (batch_normalization) takes per-sample shape \(shape); only flat or image inputs are exported")
                }
                let c = shape[shape.count - 1]
                let inputs = try ["gamma", "beta", "moving_mean", "moving_variance"].map { p in
                    b.initializer("\(name)/\(p)", floats: try b.parameter("\(name)/\(p)", layer: name).scalars, dims: [c])
                }
                x = b.node("BatchNormalization", "\(name)/BatchNormalization", [x] + inputs,
                           attributes: [ONNXExportBuilder.float("epsilon", epsilon)])
            case let .activation(activation):
                if activation == .softmax { toNHWC(name) }
                x = b.activation(activation, x, layer: name)
            }
            shape = output
        }
        toNHWC("output")
        b.nameOutput(x, "output")

        var outputInfo = ONNXProto_ValueInfoProto()
        outputInfo.name = "output"
        outputInfo.type = ONNXExportBuilder.tensorType(.float32, dims: [nil] + shape.map { $0 })

        var graph = ONNXProto_GraphProto()
        graph.name = spec.name
        graph.node = b.nodes
        graph.initializer = b.initializers
        graph.input = [input]
        graph.output = [outputInfo]

        var model = ONNXProto_ModelProto()
        model.irVersion = TernModel.onnxExportIRVersion
        model.producerName = "tern"
        model.producerVersion = TernModel.formatVersion
        var opset = ONNXProto_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(TernModel.onnxExportOpset)
        model.opsetImport = [opset]
        model.graph = graph
        return model
    }
}

/// Collects nodes and initializers while the exporter walks the layers.
struct ONNXExportBuilder {
    let parameters: [String: Tensor<Float>]
    var nodes: [ONNXProto_NodeProto] = []
    var initializers: [ONNXProto_TensorProto] = []
    var usedNames = Set<String>()

    init(parameters: [String: Tensor<Float>]) { self.parameters = parameters }

    func parameter(_ name: String, layer: String) throws -> Tensor<Float> {
        guard let value = parameters[name] else {
            throw ONNXError.exportUnsupported("layer '\(layer)' has no parameter '\(name)'")
        }
        return value
    }

    /// Adds a node whose single output is named after it; returns that name.
    mutating func node(_ opType: String, _ name: String, _ inputs: [String], attributes: [ONNXProto_AttributeProto] = []) -> String {
        var unique = name, n = 1
        while !usedNames.insert(unique).inserted { unique = "\(name)_\(n)"; n += 1 }
        var node = ONNXProto_NodeProto()
        node.name = unique
        node.opType = opType
        node.input = inputs
        node.output = ["\(unique):0"]
        node.attribute = attributes
        nodes.append(node)
        return node.output[0]
    }

    /// Makes `value` available as `name`: renames the last node's output, or
    /// adds an Identity when no node produces it (a network of dropouts only).
    mutating func nameOutput(_ value: String, _ name: String) {
        if let last = nodes.indices.last, nodes[last].output == [value] {
            nodes[last].output = [name]
        } else {
            var node = ONNXProto_NodeProto()
            node.name = "output/Identity"
            node.opType = "Identity"
            node.input = [value]
            node.output = [name]
            nodes.append(node)
        }
    }

    mutating func initializer(_ name: String, floats: [Float], dims: [Int]) -> String {
        var t = ONNXProto_TensorProto()
        t.name = name
        t.dataType = DType.float32.onnxCode
        t.dims = dims.map { Int64($0) }
        t.rawData = Data(littleEndianBytes(floats.map(\.bitPattern)))
        initializers.append(t)
        return name
    }

    mutating func activation(_ activation: Activation, _ x: String, layer: String) -> String {
        switch activation {
        case .linear: return x
        case .relu: return node("Relu", "\(layer)/Relu", [x])
        case .sigmoid: return node("Sigmoid", "\(layer)/Sigmoid", [x])
        case .tanh: return node("Tanh", "\(layer)/Tanh", [x])
        case .leakyRelu:
            return node("LeakyRelu", "\(layer)/LeakyRelu", [x], attributes: [Self.float("alpha", Activation.leakyReluAlpha)])
        case .softmax:
            // Over the last axis (the caller has put the value back to channels-last).
            return node("Softmax", "\(layer)/Softmax", [x], attributes: [Self.int("axis", -1)])
        case .gelu:
            // Exact GELU, 0.5 · x · (1 + erf(x / √2)), in opset-17 operators.
            let root2 = initializer("\(layer)/gelu/sqrt2", floats: [Float(2).squareRoot()], dims: [])
            let one = initializer("\(layer)/gelu/one", floats: [1], dims: [])
            let half = initializer("\(layer)/gelu/half", floats: [0.5], dims: [])
            let scaled = node("Div", "\(layer)/gelu/Div", [x, root2])
            let erf = node("Erf", "\(layer)/gelu/Erf", [scaled])
            let plus = node("Add", "\(layer)/gelu/Add", [erf, one])
            let times = node("Mul", "\(layer)/gelu/Mul", [x, plus])
            return node("Mul", "\(layer)/gelu/Mul_half", [times, half])
        }
    }

    /// ONNX `pads` (top, left, bottom, right) for Tern's padding of a
    /// (height, width, channels) input: `same` puts the odd pixel after.
    static func pads(_ shape: [Int], window: [Int], strides: [Int], padding: Padding) -> [Int] {
        guard padding == .same else { return [0, 0, 0, 0] }
        var before = [0, 0], after = [0, 0]
        for axis in 0..<2 {
            let input = shape[axis]
            let out = (input - 1) / strides[axis] + 1
            let total = max((out - 1) * strides[axis] + window[axis] - input, 0)
            before[axis] = total / 2
            after[axis] = total - total / 2
        }
        return [before[0], before[1], after[0], after[1]]
    }

    static func tensorType(_ type: DType, dims: [Int?]) -> ONNXProto_TypeProto {
        var tensor = ONNXProto_TypeProto.Tensor()
        tensor.elemType = type.onnxCode
        var shape = ONNXProto_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = ONNXProto_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            return dim
        }
        tensor.shape = shape
        var t = ONNXProto_TypeProto()
        t.tensorType = tensor
        return t
    }

    static func int(_ name: String, _ value: Int64) -> ONNXProto_AttributeProto {
        var a = ONNXProto_AttributeProto()
        a.name = name
        a.type = .int
        a.i = value
        return a
    }

    static func ints(_ name: String, _ values: [Int]) -> ONNXProto_AttributeProto {
        var a = ONNXProto_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values.map { Int64($0) }
        return a
    }

    static func float(_ name: String, _ value: Float) -> ONNXProto_AttributeProto {
        var a = ONNXProto_AttributeProto()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }
}
