import TernFormats
import TernTensor

/// An ONNX graph served like any other model: its declared inputs and
/// outputs, its weights' size, a bound on what a prediction allocates, and
/// a run on ``AnyTensor``s.
extension ONNXModel: ServableModel {
    /// The platform name in V2 model metadata.
    public var platform: String { "onnx" }

    /// The declared inputs; a symbolic dimension is nil, and an input that
    /// declares no shape has no dimensions listed.
    public var inputs: [TensorInfo] { inputInfos.map(Self.tensorInfo) }
    public var outputs: [TensorInfo] { outputInfos.map(Self.tensorInfo) }

    static func tensorInfo(_ info: ONNXValueInfo) -> TensorInfo {
        TensorInfo(name: info.name, dtype: info.dtype, shape: info.shape?.map { dim -> Int? in
            if case let .fixed(n) = dim { return n }
            return nil
        } ?? [])
    }

    /// The initializers' bytes (the weights, as stored in the file).
    public var memoryBytes: Int { parameterBytes }

    /// Nil: a graph cannot say in advance how its tensors grow with the
    /// batch, so every tensor it computes is checked against
    /// ``PredictionLimits/maxElements`` before it is allocated instead.
    public func predictionBytes(batch: Int) -> Int? { nil }

    /// All-zero inputs (see ``zeroInputs()``).
    public var warmUpInputs: [String: AnyTensor]? { zeroInputs() }

    /// Runs the graph under the ``PredictionLimits/maxElements`` bound in
    /// force (servers bind their per-request budget around the call); every output.
    /// - Throws: ``ModelInputError`` for inputs the graph does not accept
    ///   or a node that fails on them (a tensor over the limit among them).
    public func predict(_ inputs: [String: AnyTensor]) throws -> [String: AnyTensor] {
        do {
            return try executor.run(inputs)
        } catch let error as ONNXRuntimeError {
            throw ModelInputError(error.description)
        }
    }
}
