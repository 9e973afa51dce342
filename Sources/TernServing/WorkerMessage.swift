import Foundation
import TernNN

/// One line of `tern worker`'s standard output: the wire format between a
/// training worker and the ``JobRunner`` that launched it. Each message is a
/// single JSON object on its own line, for example
/// `{"event":"batch","epoch":1,"step":120,"steps":250,"loss":0.31,"accuracy":0.9}`.
///
/// Non-finite numbers (a diverged loss) are written as `null` and read back
/// as `nan`, so a line is always valid JSON.
public enum WorkerMessage: Equatable, Sendable {
    /// Running means over the epoch so far; metric names are top-level keys.
    case batch(JobProgress)
    /// An epoch's final metrics.
    case epoch(EpochRecord)
    /// Training finished and the artifact was written.
    case done(metrics: [String: Double])
    /// Training stopped on request (SIGTERM) between batches.
    case cancelled
    /// Training failed; the message names no file-system path.
    case error(String)

    /// Keys a batch line uses for itself, never taken as metric names.
    static let batchKeys: Set<String> = ["event", "epoch", "step", "steps"]

    /// The message as one line of JSON, without the trailing newline.
    public var jsonLine: String {
        switch self {
        case let .batch(p):
            var fields: [(String, JSONText)] = [("event", .string("batch")), ("epoch", .int(p.epoch)), ("step", .int(p.step)), ("steps", .int(p.steps))]
            for (name, value) in p.metrics.sorted(by: { $0.key < $1.key }) where !Self.batchKeys.contains(name) {
                fields.append((name, .number(value)))
            }
            return JSONText.object(fields)
        case let .epoch(record):
            return JSONText.object([
                ("event", .string("epoch")), ("epoch", .int(record.epoch)),
                ("metrics", .raw(JSONText.metrics(record.metrics))), ("seconds", .number(record.seconds)),
            ])
        case let .done(metrics):
            return JSONText.object([("event", .string("done")), ("metrics", .raw(JSONText.metrics(metrics)))])
        case .cancelled:
            return JSONText.object([("event", .string("cancelled"))])
        case let .error(message):
            return JSONText.object([("event", .string("error")), ("message", .string(message))])
        }
    }

    /// Parses one output line; nil for anything that is not a known message
    /// (a worker's stray output is ignored, never trusted).
    public init?(line: some StringProtocol) {
        guard let data = String(line).data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let event = object["event"] as? String else { return nil }
        switch event {
        case "batch":
            guard let epoch = Self.int(object["epoch"]), let step = Self.int(object["step"]),
                  let steps = Self.int(object["steps"]) else { return nil }
            var metrics: [String: Double] = [:]
            for (key, value) in object where !Self.batchKeys.contains(key) {
                metrics[key] = Self.double(value)
            }
            self = .batch(JobProgress(epoch: epoch, step: step, steps: steps, metrics: metrics))
        case "epoch":
            guard let epoch = Self.int(object["epoch"]) else { return nil }
            let metrics = Self.metrics(object["metrics"])
            self = .epoch(EpochRecord(epoch: epoch, metrics: metrics, seconds: Self.double(object["seconds"])))
        case "done":
            self = .done(metrics: Self.metrics(object["metrics"]))
        case "cancelled":
            self = .cancelled
        case "error":
            self = .error((object["message"] as? String) ?? "the worker failed")
        default:
            return nil
        }
    }

    private static func int(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let d = number.doubleValue
        guard d.isFinite, d >= 0, d <= 1e12, d == d.rounded() else { return nil }
        return Int(d)
    }

    private static func double(_ value: Any?) -> Double {
        (value as? NSNumber)?.doubleValue ?? .nan
    }

    private static func metrics(_ value: Any?) -> [String: Double] {
        guard let object = value as? [String: Any] else { return [:] }
        var out: [String: Double] = [:]
        for (key, value) in object { out[key] = double(value) }
        return out
    }
}

/// Progress within an epoch: running means after `step` of `steps` batches.
public struct JobProgress: Equatable, Sendable {
    public var epoch: Int
    public var step: Int
    public var steps: Int
    public var metrics: [String: Double]

    public init(epoch: Int, step: Int, steps: Int, metrics: [String: Double]) {
        self.epoch = epoch
        self.step = step
        self.steps = steps
        self.metrics = metrics
    }
}

/// A minimal JSON writer for flat messages with exact control over
/// non-finite numbers (written as `null`).
enum JSONText {
    case string(String)
    case int(Int)
    case number(Double)
    case raw(String)

    var text: String {
        switch self {
        case let .string(s): return JSONText.quote(s)
        case let .int(i): return String(i)
        case let .number(d): return d.isFinite ? "\(d)" : "null"
        case let .raw(r): return r
        }
    }

    static func object(_ fields: [(String, JSONText)]) -> String {
        "{" + fields.map { quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
    }

    static func metrics(_ metrics: [String: Double]) -> String {
        object(metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
