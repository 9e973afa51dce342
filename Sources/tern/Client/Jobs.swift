import ArgumentParser
import Foundation
import TernNN

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit and follow training jobs on a server.",
        subcommands: [JobsSubmit.self, JobsShow.self, JobsWatch.self, JobsCancel.self, JobsList.self])
}

struct JobsSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit a spec to train on a stored dataset.",
        discussion: "Example: tern jobs submit Examples/mnist-mlp.json --model mnist --dataset mnist --train train --validation test --watch")
    @Argument var spec: String
    @Option var model: String
    @Option var dataset: String
    @Option(name: .customLong("dataset-version")) var datasetVersion: Int?
    @Option(help: "IDX datasets: training samples, start:end of the images, train, or test[:start:end] of a test part.") var train: String?
    @Option(help: "IDX datasets: validation samples, as --train (e.g. test).") var validation: String?
    @Option(name: .customLong("test-fraction"), help: "CSV datasets: fraction of rows held out for validation (default 0.2).") var testFraction: Double?
    @Option(name: .customLong("split-seed"), help: "CSV datasets: seed of the held-out split (default 1).") var splitSeed: UInt64?
    @Flag(help: "Follow progress until the job ends.") var watch = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let text = try readFile(spec)
        guard let specObject = try? JSONSerialization.jsonObject(with: Data(text)) else {
            throw CLIError("\(URL(fileURLWithPath: spec).lastPathComponent) is not valid JSON")
        }
        var body: [String: Any] = ["model": model, "spec": specObject, "dataset": dataset]
        if let train { body["train"] = train }
        if let validation { body["validation"] = validation }
        if let testFraction { body["test_fraction"] = testFraction }
        if let splitSeed { body["split_seed"] = splitSeed }
        if let datasetVersion { body["dataset_version"] = datasetVersion }
        let api = try client.client()
        let job = try await api.request(.POST, "/api/v1/jobs", json: body).json
        let id = job["id"] as? String ?? "?"
        print("job \(id) \(job["state"] as? String ?? "")")
        if watch { try await watchJob(api, id) }
    }
}

struct JobsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a job (JSON).")
    @Argument var id: String
    @OptionGroup var client: ClientOptions
    func run() async throws { try printJSON(try await client.client().request(.GET, "/api/v1/jobs/\(id)").json) }
}

struct JobsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs.")
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let reply = try await client.client().request(.GET, "/api/v1/jobs").json
        for j in reply["jobs"] as? [[String: Any]] ?? [] {
            print("\(j["id"] as? String ?? "?")  \(j["model"] as? String ?? "?")  \(j["state"] as? String ?? "?")")
        }
    }
}

struct JobsWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "watch", abstract: "Follow a job with a Keras-style progress bar.")
    @Argument var id: String
    @OptionGroup var client: ClientOptions
    func run() async throws { try await watchJob(try client.client(), id) }
}

struct JobsCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job.")
    @Argument var id: String
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let job = try await client.client().request(.POST, "/api/v1/jobs/\(id)/cancel").json
        print("job \(id) \(job["state"] as? String ?? "")")
    }
}

/// Streams a job's events and draws them like `tern train`; fails (exit 1)
/// when the job does not succeed.
func watchJob(_ api: APIClient, _ id: String) async throws {
    let printer = ProgressPrinter(quiet: false)
    var final: [String: Any] = [:]
    // Progress lines are throttled and a late subscriber misses some, so
    // announce each epoch on its first event and remember its step count.
    var announced = 0, steps = 0
    func announce(_ epoch: Int, firstStep: Bool) {
        if epoch > announced {
            announced = epoch
            if !firstStep { print("Epoch \(epoch)") }
        }
    }
    try await api.events("/api/v1/jobs/\(id)/events") { event, data in
        func metrics(_ object: Any?) -> [String: Double] {
            (object as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        switch event {
        case "progress":
            let values = metrics(data).filter { !["epoch", "step", "steps"].contains($0.key) }
            let epoch = data["epoch"] as? Int ?? 0, step = data["step"] as? Int ?? 0
            steps = data["steps"] as? Int ?? steps
            announce(epoch, firstStep: step == 1)
            printer.handle(.batchEnd(epoch: epoch, step: step, steps: steps, metrics: orderedMetrics(values)))
        case "epoch":
            let record = EpochRecord(epoch: data["epoch"] as? Int ?? 0, metrics: metrics(data["metrics"]),
                                     seconds: (data["seconds"] as? NSNumber)?.doubleValue ?? 0)
            announce(record.epoch, firstStep: false)
            printer.handle(.epochEnd(record, steps: steps))
        case "finished":
            final = data
            return false
        default:
            break
        }
        return true
    }
    let state = final["state"] as? String ?? "unknown"
    if state == "succeeded" {
        print("job \(id) succeeded: \(final["model"] as? String ?? "?") version \(final["result_version"] ?? "?")")
    } else {
        throw CLIError("job \(id) \(state)\((final["error"] as? String).map { ": \($0)" } ?? "")")
    }
}
