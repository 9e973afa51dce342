import Foundation
import TernNN
import TernRegistry

/// Live news of a training job, as streamed by ``JobRunner/events(id:)``.
public enum JobEvent: Equatable, Sendable {
    /// Running metrics within an epoch (at most about ten a second).
    case progress(JobProgress)
    /// An epoch ended; its metrics are also in the job's history.
    case epoch(EpochRecord)
    /// The job reached a final state; always the last event of a stream.
    case finished(JobRecord)
}

/// Errors of job submission and control. Messages name the offending
/// request field and never carry file-system paths.
public enum JobError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A request field is malformed or does not fit the dataset.
    case invalidField(String, String)
    /// The job or the dataset does not exist.
    case notFound(String)
    /// The job already reached a final state.
    case alreadyFinished(id: String, state: JobState)

    public var description: String {
        switch self {
        case let .invalidField(field, reason): return "\(field): \(reason)"
        case let .notFound(what): return "\(what) not found"
        case let .alreadyFinished(id, state): return "job \(id) already \(state.rawValue)"
        }
    }

    /// The request field at fault, if any.
    public var field: String? {
        if case let .invalidField(field, _) = self { return field }
        return nil
    }
}

/// How a worker process ended.
public enum WorkerExit: Equatable, Sendable {
    /// It exited with this status.
    case exited(Int32)
    /// A signal killed it.
    case signaled(Int32)
}

/// The JSON text of an epoch history, tolerant of non-finite metrics.
enum HistoryCoding {
    static func encode(_ history: [EpochRecord]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(history), let text = String(data: data, encoding: .utf8) else { return "[]" }
        return text
    }
}
