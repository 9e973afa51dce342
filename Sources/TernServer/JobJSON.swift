import Foundation
import TernNN
import TernRegistry
import TernServing

/// Any JSON value, decoded without loss of integers or booleans, so a spec
/// sent as a JSON object can be re-encoded as text for ``JobRunner``.
/// Non-finite numbers encode as `null`.
enum JobJSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case array([JobJSONValue])
    case object([String: JobJSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let u = try? c.decode(UInt64.self) { self = .unsigned(u) } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([JobJSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JobJSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .int(i): try c.encode(i)
        case let .unsigned(u): try c.encode(u)
        case let .double(d): if d.isFinite { try c.encode(d) } else { try c.encodeNil() }
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    /// Parses JSON text; nil when it is not JSON.
    init?(text: String) {
        guard let value = try? JSONDecoder().decode(JobJSONValue.self, from: Data(text.utf8)) else { return nil }
        self = value
    }

    static func metrics(_ metrics: [String: Double]) -> JobJSONValue {
        .object(metrics.mapValues { .double($0) })
    }
}

/// The body of `POST /api/v1/jobs`. Unknown keys are refused.
struct JobSubmission: Decodable {
    var model: String
    /// The spec as a JSON object (or its text as a string).
    var spec: JobJSONValue
    var dataset: String
    var datasetVersion: Int?
    /// Row range of an IDX dataset (`0:8000`); CSV datasets use a held-out split instead.
    var train: String?
    var validation: String?
    /// CSV datasets: the fraction of rows held out for validation and its seed.
    var testFraction: Double?
    var splitSeed: UInt64?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, spec, dataset, datasetVersion = "dataset_version", train, validation
        case testFraction = "test_fraction", splitSeed = "split_seed"
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let open = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = open.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw JobError.invalidField(unknown, "unknown field (allowed: \(known.sorted().joined(separator: ", ")))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        spec = try c.decode(JobJSONValue.self, forKey: .spec)
        dataset = try c.decode(String.self, forKey: .dataset)
        datasetVersion = try c.decodeIfPresent(Int.self, forKey: .datasetVersion)
        train = try c.decodeIfPresent(String.self, forKey: .train)
        validation = try c.decodeIfPresent(String.self, forKey: .validation)
        testFraction = try c.decodeIfPresent(Double.self, forKey: .testFraction)
        splitSeed = try c.decodeIfPresent(UInt64.self, forKey: .splitSeed)
        if let testFraction, !(0..<1).contains(testFraction) { throw JobError.invalidField("test_fraction", "must be in [0, 1)") }
        if let datasetVersion, datasetVersion < 1 { throw JobError.invalidField("dataset_version", "must be 1 or more") }
    }

    /// The spec as JSON text.
    func specText() throws -> String {
        switch spec {
        case let .string(text): return text
        case .object:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let text = String(data: try encoder.encode(spec), encoding: .utf8) else {
                throw JobError.invalidField("spec", "cannot be encoded")
            }
            return text
        default:
            throw JobError.invalidField("spec", "must be a JSON object (the model spec of 'tern train')")
        }
    }
}

/// A job as the API shows it.
struct JobView: Encodable {
    struct Dataset: Encodable { var name: String; var version: Int }
    struct Splits: Encodable { var train: String; var validation: String? }

    var id: String
    var model: String
    var state: String
    var dataset: Dataset
    var splits: Splits
    var spec: JobJSONValue
    var history: JobJSONValue
    var error: String?
    var resultVersion: Int?
    var createdAt: String
    var startedAt: String?
    var finishedAt: String?
    var createdBy: String?

    enum CodingKeys: String, CodingKey {
        case id, model, state, dataset, splits, spec, history, error
        case resultVersion = "result_version", createdAt = "created_at", startedAt = "started_at"
        case finishedAt = "finished_at", createdBy = "created_by"
    }

    init(_ job: JobRecord) {
        id = job.id
        model = job.model
        state = job.state.rawValue
        dataset = Dataset(name: job.datasetName, version: job.datasetVersion)
        splits = Splits(train: job.trainRows, validation: job.validationRows)
        spec = JobJSONValue(text: job.spec) ?? .string(job.spec)
        history = JobJSONValue(text: job.history) ?? .array([])
        error = job.error
        resultVersion = job.resultVersion
        createdAt = Self.timestamp(job.createdAt)
        startedAt = job.startedAt.map(Self.timestamp)
        finishedAt = job.finishedAt.map(Self.timestamp)
        createdBy = job.createdBy
    }

    /// Encodes nil fields as `null` so clients see every key.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(model, forKey: .model)
        try c.encode(state, forKey: .state)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(splits, forKey: .splits)
        try c.encode(spec, forKey: .spec)
        try c.encode(history, forKey: .history)
        try c.encode(error, forKey: .error)
        try c.encode(resultVersion, forKey: .resultVersion)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(createdBy, forKey: .createdBy)
    }

    static func timestamp(_ date: Date) -> String {
        date.ISO8601Format()
    }
}

/// The JSON of one server-sent event's `data:` line.
enum JobEventJSON {
    static func value(_ event: JobEvent) -> JobJSONValue {
        switch event {
        case let .progress(p):
            return .object(["epoch": .int(Int64(p.epoch)), "step": .int(Int64(p.step)), "steps": .int(Int64(p.steps)),
                            "metrics": .metrics(p.metrics)])
        case let .epoch(e):
            return .object(["epoch": .int(Int64(e.epoch)), "metrics": .metrics(e.metrics), "seconds": .double(e.seconds)])
        case let .finished(job):
            return JobJSONValue(text: encode(JobView(job))) ?? .null
        }
    }

    static func name(_ event: JobEvent) -> String {
        switch event {
        case .progress: return "progress"
        case .epoch: return "epoch"
        case .finished: return "finished"
        }
    }

    /// `event: <name>\ndata: <json>\n\n`.
    static func frame(_ event: JobEvent) -> String {
        "event: \(name(event))\ndata: \(encode(value(event)))\n\n"
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
