import TernTensor

/// 2-D convolution over NHWC inputs (Keras `Conv2D`, channels last), kernel
/// (kH, kW, inC, filters), computed as an im2col matrix times the kernel.
/// The activation is a separate ``ActivationLayer``.
public struct Conv2D: Layer {
    public let name: String
    public let filters: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    public let useBias: Bool
    private var inputShape: Shape = []

    public init(name: String, filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], padding: Padding = .valid, useBias: Bool = true) {
        self.name = name
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.useBias = useBias
    }

    private func geometry(batch: Int) throws -> Conv2DGeometry {
        try Conv2DGeometry(batch: batch, inH: inputShape[0], inW: inputShape[1], inC: inputShape[2],
                           kH: kernelSize[0], kW: kernelSize[1], outC: filters,
                           strideH: strides[0], strideW: strides[1], padding: padding)
    }

    public mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter]) {
        guard inputShape.rank == 3 else {
            throw NNError.incompatibleShape(
                layer: name, reason: "conv2d expects (height, width, channels) per sample, got \(inputShape)"
                    + (inputShape.rank == 2 ? "; declare the input as \(Shape(inputShape.dimensions + [1]))" : ""))
        }
        self.inputShape = inputShape
        let g: Conv2DGeometry
        do { g = try geometry(batch: 1) } catch let e as TensorError { throw NNError.incompatibleShape(layer: name, reason: e.description) }
        let fanIn = g.kH * g.kW * g.inC, fanOut = g.kH * g.kW * filters
        var parameters = [Parameter(name: "\(name)/kernel", value: Initializers.glorotUniform(
            shape: g.kernelShape, fanIn: fanIn, fanOut: fanOut, rng: &rng))]
        if useBias { parameters.append(Parameter(name: "\(name)/bias", value: Tensor(zeros: [filters]))) }
        return (g.outputShape.droppingFirst, parameters)
    }

    /// The im2col matrix: one row of `kH·kW·inC` per output position.
    public var inferenceScratchPerSample: Int {
        guard let g = try? geometry(batch: 1) else { return 0 }
        return g.colsRows * g.colsColumns
    }

    public func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float> {
        try trainingPass(input, parameters: parameters, offset: offset).output
    }

    private func trainingPass(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> (output: Tensor<Float>, cols: Tensor<Float>) {
        let g = try geometry(batch: input.shape[0])
        guard input.shape == g.inputShape else {
            throw TensorError.shapeMismatch(op: "\(name) forward", expected: g.inputShape, actual: input.shape)
        }
        var cols = Tensor<Float>(uninitialized: [g.colsRows, g.colsColumns])
        input.withUnsafeBufferPointer { x in cols.withUnsafeMutableBufferPointer { im2col(input: x.baseAddress!, geometry: g, into: $0.baseAddress!) } }
        var output = Tensor<Float>(uninitialized: g.outputShape)
        cols.withUnsafeBufferPointer { c in
            parameters[offset].value.withUnsafeBufferPointer { k in
                output.withUnsafeMutableBufferPointer { y in
                    if useBias {
                        parameters[offset + 1].value.withUnsafeBufferPointer { b in
                            for row in 0..<g.colsRows { (y.baseAddress! + row * filters).update(from: b.baseAddress!, count: filters) }
                        }
                    }
                    gemm(transposeA: false, transposeB: false, m: g.colsRows, n: filters, k: g.colsColumns,
                         a: c.baseAddress!, lda: g.colsColumns, b: k.baseAddress!, ldb: filters,
                         c: y.baseAddress!, ldc: filters, accumulate: useBias)
                }
            }
        }
        return (output, cols)
    }

    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        let (output, cols) = try trainingPass(input, parameters: parameters, offset: offset)
        return (output, LayerCache(tensors: [cols], indices: [Int32(input.shape[0])]))
    }

    public func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>? {
        let cols = cache.tensors[0]
        let g = try geometry(batch: Int(cache.indices[0]))
        cols.withUnsafeBufferPointer { c in
            gradOutput.withUnsafeBufferPointer { dy in
                gradients[offset].withUnsafeMutableBufferPointer { dk in
                    // dK (kHkWC × F) = colsᵀ · dy
                    gemm(transposeA: true, transposeB: false, m: g.colsColumns, n: filters, k: g.colsRows,
                         a: c.baseAddress!, lda: g.colsColumns, b: dy.baseAddress!, ldb: filters,
                         c: dk.baseAddress!, ldc: filters)
                }
                if useBias {
                    gradients[offset + 1].withUnsafeMutableBufferPointer { db in
                        columnSums(dy.baseAddress!, rows: g.colsRows, columns: filters, into: db.baseAddress!)
                    }
                }
            }
        }
        guard needsInputGradient else { return nil }
        var dcols = Tensor<Float>(uninitialized: [g.colsRows, g.colsColumns])
        gradOutput.withUnsafeBufferPointer { dy in
            parameters[offset].value.withUnsafeBufferPointer { k in
                dcols.withUnsafeMutableBufferPointer { dc in
                    // dcols (rows × kHkWC) = dy (rows × F) · Kᵀ
                    gemm(transposeA: false, transposeB: true, m: g.colsRows, n: g.colsColumns, k: filters,
                         a: dy.baseAddress!, lda: filters, b: k.baseAddress!, ldb: filters,
                         c: dc.baseAddress!, ldc: g.colsColumns)
                }
            }
        }
        var gradInput = Tensor<Float>(zeros: g.inputShape)
        dcols.withUnsafeBufferPointer { dc in
            gradInput.withUnsafeMutableBufferPointer { col2imAccumulate(cols: dc.baseAddress!, geometry: g, into: $0.baseAddress!) }
        }
        return gradInput
    }
}
