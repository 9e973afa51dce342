import ArgumentParser
import Foundation

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with the model registry of a server.",
        subcommands: [ModelsList.self, ModelsShow.self, ModelsUpload.self, ModelsAlias.self, ModelsDelete.self])
}

struct ModelsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List models.")
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let reply = try await client.client().request(.GET, "/api/v1/models").json
        for m in reply["models"] as? [[String: Any]] ?? [] {
            let aliases = (m["aliases"] as? [String: Any] ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            print("\(m["name"] as? String ?? "?")  latest \(m["latest_version"].map { "\($0)" } ?? "-")  \(aliases)")
        }
    }
}

struct ModelsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a model, or one version (JSON).")
    @Argument var name: String
    @Option(help: "A version number or alias.") var version: String?
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let path = version.map { "/api/v1/models/\(name)/versions/\($0)" } ?? "/api/v1/models/\(name)"
        try printJSON(try await client.client().request(.GET, path).json)
    }
}

struct ModelsUpload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload", abstract: "Upload a model artifact (.tern) as the next version.",
        discussion: "Example: tern models upload mnist mnist.tern")
    @Argument var name: String
    @Argument var artifact: String
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let api = try client.client()
        let bytes = try readFile(artifact)
        // The registry wants the model to exist first (as MLflow does); create it on first upload.
        do {
            _ = try await api.request(.GET, "/api/v1/models/\(name)")
        } catch let error as CLIError where error.description.contains("HTTP 404") {
            _ = try await api.request(.POST, "/api/v1/models", json: ["name": name])
        }
        let reply = try await api.request(.POST, "/api/v1/models/\(name)/versions", body: bytes).json
        print("uploaded \(name) version \(reply["version"] ?? "?") (sha256 \((reply["artifact_sha256"] as? String ?? "").prefix(16)))")
    }
}

struct ModelsAlias: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias", abstract: "Point an alias (e.g. production) at a version, or delete it.",
        discussion: "Example: tern models alias mnist production 3")
    @Argument var name: String
    @Argument var alias: String
    @Argument(help: "The version; omit with --delete.") var version: Int?
    @Flag var delete = false
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let api = try client.client()
        if delete {
            _ = try await api.request(.DELETE, "/api/v1/models/\(name)/aliases/\(alias)")
            print("deleted alias \(alias) of \(name)")
        } else {
            guard let version else { throw CLIError("give the version the alias should point at") }
            _ = try await api.request(.PUT, "/api/v1/models/\(name)/aliases/\(alias)", json: ["version": version])
            print("\(name)@\(alias) -> version \(version)")
        }
    }
}

struct ModelsDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a model, or one version.")
    @Argument var name: String
    @Option var version: Int?
    @Flag(help: "Delete even while deployed.") var force = false
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let path = version.map { "/api/v1/models/\(name)/versions/\($0)" } ?? "/api/v1/models/\(name)\(force ? "?force=true" : "")"
        _ = try await client.client().request(.DELETE, path)
        print("deleted \(name)\(version.map { " version \($0)" } ?? "")")
    }
}

struct Deploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a model version (or alias) into the server's runtime, or unload it.",
        discussion: """
            With neither --version nor --alias: the production alias if the model has one, else its newest version.
            Examples: tern deploy mnist
                      tern deploy mnist --version 3          (or --version production: a number or an alias)
                      tern deploy mnist --alias production --max-queue-delay-us 200 --max-batch-size 32
            """)
    @Argument var name: String
    @Option(help: "A version number or an alias (default: the production alias, else the newest version).") var version: String?
    @Option(help: "An alias (the same as --version ALIAS).") var alias: String?
    @Flag(help: "Unload instead of load.") var unload = false
    @Option(help: "Batch concurrent requests, waiting at most this long (microseconds) for a batch to fill; 0 = off.")
    var maxQueueDelayUs: Int?
    @Option(help: "Most samples in one batch (with --max-queue-delay-us).") var maxBatchSize: Int?
    @Option(help: "Batch sizes that leave at once, comma-separated (e.g. 8,16,32).") var preferredBatchSizes: String?
    @Option(help: "Requests that may wait for a batch before the server answers 503.") var maxQueueSize: Int?
    @OptionGroup var client: ClientOptions
    func run() async throws {
        let api = try client.client()
        if unload {
            guard let version, Int(version) != nil else { throw CLIError("--unload needs --version N (a number)") }
            _ = try await api.request(.DELETE, "/api/v1/deployments/\(name)/\(version)")
            print("unloaded \(name) version \(version)")
            return
        }
        var body: [String: Any] = ["model": name]
        if let version { body["version"] = Int(version).map { $0 as Any } ?? version }
        if let alias { body["alias"] = alias }
        if version != nil && alias != nil { throw CLIError("give --version or --alias, not both") }
        var batching: [String: Any] = [:]
        if let maxQueueDelayUs { batching["max_queue_delay_microseconds"] = maxQueueDelayUs }
        if let maxBatchSize { batching["max_batch_size"] = maxBatchSize }
        if let maxQueueSize { batching["max_queue_size"] = maxQueueSize }
        if let preferredBatchSizes {
            let sizes = preferredBatchSizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard sizes.allSatisfy({ $0 != nil }) else {
                throw CLIError("--preferred-batch-sizes takes integers separated by commas, got '\(preferredBatchSizes)'")
            }
            batching["preferred_batch_sizes"] = sizes.map { $0! }
        }
        if !batching.isEmpty { body["batching"] = batching }
        let reply = try await api.request(.POST, "/api/v1/deployments", json: body).json
        let how = (reply["selected_by"] as? String).map { $0 == "version" ? "" : ", the \($0)" } ?? ""
        print("loaded \(name) version \(reply["version"] ?? "?") (\(reply["state"] ?? "?")\(how))")
    }
}
