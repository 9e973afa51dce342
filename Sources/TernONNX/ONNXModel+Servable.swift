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

    /// An upper bound on what one run allocates besides the weights, at
    /// the ``ONNXLimits/maxElements`` bound where it is asked (the caller
    /// binds the same limit around ``predict(_:)``): at most
    /// ``ONNXExecutor/peakLiveValues`` values are held at once, and a step
    /// holds at most three temporaries more (index maps, im2col columns,
    /// widened FLOAT16 copies); each is refused above `maxElements` elements
    /// and no element or index takes more than 8 bytes. A graph cannot say
    /// in advance how its tensors grow with the batch, so the bound does
    /// not depend on `batch`. Saturates at `Int.max`.
    public func predictionBytes(batch: Int) -> Int {
        let tensors = executor.peakLiveValues + 3
        let (perTensor, o1) = ONNXLimits.maxElements.multipliedReportingOverflow(by: 8)
        let (total, o2) = perTensor.multipliedReportingOverflow(by: tensors)
        return o1 || o2 ? .max : total
    }

    /// Runs the graph under the ``ONNXLimits/maxElements`` bound in force
    /// (servers bind their per-request budget around the call); every output.
    /// - Throws: ``ONNXRuntimeError`` for inputs the graph does not accept
    ///   or a node that fails (a tensor over the limit among them).
    public func predict(_ inputs: [String: AnyTensor]) throws -> [String: AnyTensor] {
        try executor.run(inputs)
    }
}
