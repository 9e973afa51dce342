import TernFormats
import TernONNX

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
/// --max-request-work-mb`). A native or table model reports what a batch
/// costs (``TernModel/predictionBytes(batch:)``): a batch over the budget
/// runs in chunks that fit, and only a request whose output alone, or whose
/// single sample, is over the budget is refused. An ONNX graph cannot say
/// in advance, so each tensor it computes is bounded instead
/// (``ONNXLimits/maxElements``), checked before it is allocated.
public struct WorkBudget: Sendable, Equatable {
    /// 1 GiB: four times the largest accepted input tensor (64 Mi elements).
    public static let defaultBytes = 1 << 30

    public let bytes: Int

    public init(bytes: Int) { self.bytes = max(1 << 20, bytes) }

    /// Most FLOAT elements one ONNX tensor may hold.
    public var maxFloats: Int { bytes / MemoryLayout<Float>.size }

    /// Samples per chunk for a prediction on `batch` samples of `model`.
    /// - Throws: ``WorkBudgetError/exceeded(what:bytes:limit:)`` when the
    ///   output of the whole batch, or one sample's work, is over the budget.
    public func chunkSize(_ model: TernModel, batch: Int) throws -> Int {
        let units = model.network.outputShape.count
        let outputBytes = TernModel.floatBytes(units, times: batch)
        guard outputBytes <= bytes else {
            throw WorkBudgetError.exceeded(what: "the output of \(batch) rows × \(units) units", bytes: outputBytes, limit: bytes)
        }
        let perSample = model.predictionBytes(batch: 1)
        guard perSample <= bytes else {
            throw WorkBudgetError.exceeded(what: "one sample through this model", bytes: perSample, limit: bytes)
        }
        return max(1, bytes / max(1, perSample))
    }

    /// Checks that turning `rows` table rows into `model`'s feature matrix
    /// (one copy while transforming, one to predict on) fits the budget.
    /// - Throws: ``WorkBudgetError/exceeded(what:bytes:limit:)``.
    public func checkFeatures(_ model: TernModel, rows: Int) throws {
        let width = model.network.inputShape.count
        let needed = TernModel.floatBytes(2 * width, times: rows)
        guard needed <= bytes else {
            throw WorkBudgetError.exceeded(what: "the features of \(rows) rows × \(width) columns", bytes: needed, limit: bytes)
        }
    }

    static func mebibytes(_ bytes: Int) -> Int { (bytes + (1 << 20) - 1) >> 20 }
}
