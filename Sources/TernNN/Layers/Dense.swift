import TernTensor

/// A fully connected layer: `output = input · kernel + bias`, with `kernel`
/// (inputSize, units) as in Keras. The activation is a separate
/// ``ActivationLayer`` placed after it by ``Network``.
public struct Dense: Layer {
    public let name: String
    public let units: Int
    public let useBias: Bool
    public private(set) var inputSize = 0

    public init(name: String, units: Int, useBias: Bool = true) {
        self.name = name
        self.units = units
        self.useBias = useBias
    }

    public mutating func build(inputShape: Shape, rng: inout SeededGenerator) throws -> (output: Shape, parameters: [Parameter]) {
        guard inputShape.rank == 1 else {
            throw NNError.incompatibleShape(
                layer: name, reason: "dense expects a flat input, got \(inputShape); add a flatten layer before it")
        }
        inputSize = inputShape[0]
        var parameters = [Parameter(name: "\(name)/kernel", value: Initializers.glorotUniform(
            shape: [inputSize, units], fanIn: inputSize, fanOut: units, rng: &rng))]
        if useBias { parameters.append(Parameter(name: "\(name)/bias", value: Tensor(zeros: [units]))) }
        return ([units], parameters)
    }

    public func forward(_ input: Tensor<Float>, parameters: [Parameter], offset: Int) throws -> Tensor<Float> {
        let batch = input.shape[0]
        guard input.count == batch * inputSize else {
            throw NNError.incompatibleShape(layer: name, reason: "expected \(inputSize) features per sample, got \(input.shape)")
        }
        let kernel = parameters[offset].value
        var output = Tensor<Float>(uninitialized: [batch, units])
        input.withUnsafeBufferPointer { x in
            kernel.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    if useBias {
                        parameters[offset + 1].value.withUnsafeBufferPointer { b in
                            for row in 0..<batch { (y.baseAddress! + row * units).update(from: b.baseAddress!, count: units) }
                        }
                    }
                    gemm(transposeA: false, transposeB: false, m: batch, n: units, k: inputSize,
                         a: x.baseAddress!, lda: inputSize, b: w.baseAddress!, ldb: units,
                         c: y.baseAddress!, ldc: units, accumulate: useBias)
                }
            }
        }
        return output
    }

    public func trainingForward(
        _ input: Tensor<Float>, parameters: inout [Parameter], offset: Int, rng: inout SeededGenerator
    ) throws -> (output: Tensor<Float>, cache: LayerCache) {
        (try forward(input, parameters: parameters, offset: offset), LayerCache(tensors: [input]))
    }

    public func backward(
        _ gradOutput: Tensor<Float>, cache: LayerCache, parameters: [Parameter], offset: Int,
        gradients: inout [Tensor<Float>], needsInputGradient: Bool
    ) throws -> Tensor<Float>? {
        let input = cache.tensors[0]
        let batch = input.shape[0]
        input.withUnsafeBufferPointer { x in
            gradOutput.withUnsafeBufferPointer { dy in
                gradients[offset].withUnsafeMutableBufferPointer { dw in
                    // dW (in × units) = xᵀ (in × batch) · dy (batch × units)
                    gemm(transposeA: true, transposeB: false, m: inputSize, n: units, k: batch,
                         a: x.baseAddress!, lda: inputSize, b: dy.baseAddress!, ldb: units,
                         c: dw.baseAddress!, ldc: units)
                }
                if useBias {
                    gradients[offset + 1].withUnsafeMutableBufferPointer { db in
                        columnSums(dy.baseAddress!, rows: batch, columns: units, into: db.baseAddress!)
                    }
                }
            }
        }
        guard needsInputGradient else { return nil }
        var gradInput = Tensor<Float>(uninitialized: input.shape)
        gradOutput.withUnsafeBufferPointer { dy in
            parameters[offset].value.withUnsafeBufferPointer { w in
                gradInput.withUnsafeMutableBufferPointer { dx in
                    // dx (batch × in) = dy (batch × units) · Wᵀ (units × in)
                    gemm(transposeA: false, transposeB: true, m: batch, n: inputSize, k: units,
                         a: dy.baseAddress!, lda: units, b: w.baseAddress!, ldb: units,
                         c: dx.baseAddress!, ldc: inputSize)
                }
            }
        }
        return gradInput
    }
}
