import Foundation
import TernNN
import TernRegistry
import TernServing
import TernSupport

/// The body of `POST /api/v1/jobs`. Unknown keys are refused.
struct JobSubmission: Decodable {
    var model: String
    /// The spec as a JSON object (or its text as a string).
    var spec: RegistryJSON
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


    init(from decoder: any Decoder) throws {
        let open = try decoder.container(keyedBy: JSONKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = open.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw JobError.invalidField(unknown, "unknown field (allowed: \(known.sorted().joined(separator: ", ")))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        spec = try c.decode(RegistryJSON.self, forKey: .spec)
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
    var spec: RegistryJSON
    var history: RegistryJSON
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
        spec = RegistryJSON(parsing: job.spec)
        history = RegistryJSON(parsing: job.history)
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
    static func value(_ event: JobEvent) -> RegistryJSON {
        switch event {
        case let .progress(p):
            return ["epoch": .int(p.epoch), "step": .int(p.step), "steps": .int(p.steps), "metrics": RegistryJSON(p.metrics)]
        case let .epoch(e):
            return ["epoch": .int(e.epoch), "metrics": RegistryJSON(e.metrics), "seconds": .double(e.seconds)]
        case let .finished(job):
            return RegistryJSON(parsing: encode(JobView(job)))
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
