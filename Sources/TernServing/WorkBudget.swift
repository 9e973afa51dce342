import TernFormats

/// A request asked for more work than one prediction may allocate.
public enum WorkBudgetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `what` would need `bytes` (Int.max: more than can be counted), above `limit`.
    case exceeded(what: String, bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case let .exceeded(what, bytes, limit):
            let needed = bytes == .max ? "more memory than can be counted" : "\(WorkBudget.mebibytes(bytes)) MiB"
            return "\(what) would need \(needed), above this server's limit of \(WorkBudget.mebibytes(limit)) MiB per request (--max-request-work-mb); send fewer rows per request"
        }
    }
}

/// The memory one request's prediction may allocate (`tern serve
/// --max-request-work-mb`). A model that reports what a batch costs
/// (``ServableModel/predictionBytes(batch:)``, as Tern networks and table
/// models do) runs a batch over the budget in chunks that fit, and only a
/// request whose output alone, or whose single sample, is over the budget
/// is refused. A model that cannot say in advance (an ONNX graph) checks
/// each tensor it computes against ``maxFloats`` elements instead
/// (``PredictionLimits/maxElements``), before allocating it.
public struct WorkBudget: Sendable, Equatable {
    /// 1 GiB: four times the largest accepted input tensor (64 Mi elements).
    public static let defaultBytes = 1 << 30

    public let bytes: Int

    public init(bytes: Int) { self.bytes = max(1 << 20, bytes) }

    /// Most float32 elements one computed tensor may hold.
    public var maxFloats: Int { bytes / MemoryLayout<Float>.size }

    /// Samples per chunk for a prediction on `batch` samples of `model`
    /// (`batch` itself when the model cannot say what a sample costs).
    /// - Throws: ``WorkBudgetError/exceeded(what:bytes:limit:)`` when the
    ///   output of the whole batch, or one sample's work, is over the budget.
    public func chunkSize(_ model: any ServableModel, batch: Int) throws -> Int {
        guard let perSample = model.predictionBytes(batch: 1) else { return max(1, batch) }
        let units = model.outputs.reduce(0) { $0 + ($1.sampleCount ?? 0) * $1.dtype.byteSize } / MemoryLayout<Float>.size
        let outputBytes = TernModel.floatBytes(units, times: batch)
        guard outputBytes <= bytes else {
            throw WorkBudgetError.exceeded(what: "the output of \(batch) rows × \(units) units", bytes: outputBytes, limit: bytes)
        }
        guard perSample <= bytes else {
            throw WorkBudgetError.exceeded(what: "one sample through this model", bytes: perSample, limit: bytes)
        }
        return max(1, bytes / max(1, perSample))
    }

    static func mebibytes(_ bytes: Int) -> Int { (bytes + (1 << 20) - 1) >> 20 }
}
