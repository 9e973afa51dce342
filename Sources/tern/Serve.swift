import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import TernServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Tern server: registry, training jobs and inference (KServe V2, TF Serving REST).",
        discussion: "Example: TERN_ADMIN_KEY=$(tern keys create --local --print-only) tern serve --port 8080")

    @Option(help: "Address to listen on (default: $TERN_HOST or 127.0.0.1).") var host: String?
    @Option(help: "Port (default: $TERN_PORT or 8080).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Registry database and artifacts (default: $TERN_HOME or ./.tern).") var dataDir: String?
    @Flag(name: .customLong("allow-anonymous-predict"), help: "Serve inference without an API key.") var allowAnonymousPredict = false
    @Option(name: .customLong("max-body-mb"), help: "Largest request body in MiB.") var maxBodyMB = 256
    @Option(name: .customLong("memory-budget-mb"),
            help: "MiB of model weights kept loaded; past it, least recently used versions no alias points at are unloaded (reloaded on their next request).")
    var memoryBudgetMB: Double?
    @Option(name: .customLong("job-time-limit"), help: "Seconds a training job may run.") var jobTimeLimit = 3600
    @Option(name: .customLong("idle-timeout"), help: "Seconds after which a connection with no traffic is closed.") var idleTimeout = 60.0
    @Option(name: .customLong("request-head-timeout"), help: "Seconds a request's head may take to arrive.") var requestHeadTimeout = 30.0
    @Option(name: .customLong("request-body-timeout"), help: "Seconds a request's body may take to arrive after its head.") var requestBodyTimeout = 300.0
    @Option(name: .customLong("job-memory-limit-mb"), help: "Address-space limit of a training job in MiB.") var jobMemoryLimitMB = 8192
    @Option(name: .customLong("max-request-work-mb"),
            help: "Memory one request's prediction may use in MiB; larger batches run in chunks, larger outputs are refused (413).")
    var maxRequestWorkMB = 1024
    @Option(name: .customLong("max-connections"), help: "Connections open at once; past it new ones wait to be accepted.") var maxConnections = 4096
    @Option(name: .customLong("max-connections-per-ip"), help: "Connections open at once from one address; past it, 429.") var maxConnectionsPerIP = 256
    @Option(name: .customLong("max-in-flight-per-client"),
            help: "Requests answered at once for one API key (or one address without a key); past it, 429.")
    var maxInFlightPerClient = 64

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var config = ServerConfiguration()
        config.host = host ?? env["TERN_HOST"] ?? config.host
        if let p = port ?? env["TERN_PORT"].flatMap(Int.init) { config.port = p }
        guard (0...65535).contains(config.port) else { throw CLIError("--port must be between 0 and 65535") }
        config.dataDirectory = URL(fileURLWithPath: dataDir ?? env["TERN_HOME"] ?? ".tern")
        config.allowAnonymousPredict = allowAnonymousPredict || env["TERN_ALLOW_ANONYMOUS_PREDICT"] == "1"
        config.maxBodyBytes = maxBodyMB << 20
        config.jobTimeLimit = .seconds(jobTimeLimit)
        guard idleTimeout > 0, idleTimeout <= 86_400 else { throw CLIError("--idle-timeout must be between 0 and 86400 seconds") }
        config.idleTimeout = .milliseconds(Int64(idleTimeout * 1000))
        for (name, value) in [("--request-head-timeout", requestHeadTimeout), ("--request-body-timeout", requestBodyTimeout)] {
            guard value > 0, value <= 86_400 else { throw CLIError("\(name) must be between 0 and 86400 seconds") }
        }
        config.requestHeadTimeout = .milliseconds(Int64(requestHeadTimeout * 1000))
        config.requestBodyTimeout = .milliseconds(Int64(requestBodyTimeout * 1000))
        config.jobMemoryLimitMB = jobMemoryLimitMB
        guard (16...(1 << 24)).contains(maxRequestWorkMB) else { throw CLIError("--max-request-work-mb must be between 16 and 16777216") }
        config.maxRequestWorkBytes = maxRequestWorkMB << 20
        for (name, value) in [("--max-connections", maxConnections), ("--max-connections-per-ip", maxConnectionsPerIP),
                              ("--max-in-flight-per-client", maxInFlightPerClient)] {
            guard (1...1_000_000).contains(value) else { throw CLIError("\(name) must be between 1 and 1000000") }
        }
        config.maxConnections = maxConnections
        config.maxConnectionsPerIP = maxConnectionsPerIP
        config.maxInFlightPerClient = maxInFlightPerClient
        if let memoryBudgetMB {
            guard memoryBudgetMB > 0, memoryBudgetMB < 1e9 else { throw CLIError("--memory-budget-mb must be a positive number of MiB") }
            config.memoryBudgetBytes = Int(memoryBudgetMB * 1_048_576)
        }
        config.bootstrapAdminKey = env["TERN_ADMIN_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        config.workerExecutable = currentExecutable()

        var logger = Logger(label: "tern")
        logger.logLevel = env["TERN_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let metrics = PrometheusMetricsFactory()
        MetricsSystem.bootstrap(metrics)
        let app = try await buildApplication(config, logger: logger, metrics: ServerMetrics(registry: metrics.registry))
        try await app.runService()
    }
}

/// The running binary, so training jobs run as `<this> worker`.
func currentExecutable() -> URL {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        return URL(fileURLWithPath: path)
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
}
