import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import TernRegistry
import TernServing

/// Errors that stop the server from starting.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String
}

/// Opens the store (running migrations), the artifact store and the
/// runtime; stores the bootstrap admin key; clears what an interrupted run
/// left behind; reloads the deployments of the previous run; starts the job
/// runner (which marks jobs that were running as failed).
public func makeServices(_ configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics()) async throws -> ServerServices {
    let dir = configuration.dataDirectory
    do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    } catch {
        throw StartupError(description: "cannot create the data directory '\(dir.lastPathComponent)'")
    }
    let store = try SQLiteRegistryStore(path: dir.appendingPathComponent("registry.sqlite"))
    let artifacts = try ArtifactStore(root: dir.appendingPathComponent("artifacts"))

    if let text = configuration.bootstrapAdminKey {
        guard let id = APIKeys.id(of: text) else {
            throw StartupError(description: "TERN_ADMIN_KEY is not a Tern key (tern_<12 hex>_<48 hex>; make one with `tern keys create --local`)")
        }
        if try await store.key(id: id) == nil {
            try await store.createKey(KeyRecord(id: id, name: "bootstrap-admin", scope: .admin, hash: APIKeys.hash(text), createdAt: Date()))
        }
    }
    if !configuration.isLoopback {
        let admins = try await store.keys().filter { $0.scope == .admin && $0.revokedAt == nil }
        guard !admins.isEmpty else {
            throw StartupError(description: "refusing to listen on \(configuration.host) with no admin key: set TERN_ADMIN_KEY or create one with `tern keys create --scope admin --local`")
        }
    }
    // Blobs written before a crash but never committed to a row.
    artifacts.removeUnreferenced(keeping: try await store.referencedArtifacts())

    let runtime = ModelRuntime(
        maxConcurrentPredictions: configuration.maxConcurrentPredictions ?? ProcessInfo.processInfo.activeProcessorCount,
        maxQueuedPredictions: configuration.maxQueuedPredictions, memoryBudget: configuration.memoryBudgetBytes,
        workBudget: configuration.maxRequestWorkBytes, metricsFactory: metrics.batchingFactory)
    let registrar = Registrar(store: store, artifacts: artifacts, logger: logger)
    let deployments = Deployments(store: store, artifacts: artifacts, runtime: runtime, logger: logger)
    let jobs = JobRunner(
        registrar: registrar, workerExecutable: configuration.workerExecutable,
        scratchDirectory: dir.appendingPathComponent("scratch"), timeLimit: configuration.jobTimeLimit,
        memoryLimitMB: configuration.jobMemoryLimitMB, concurrency: configuration.jobConcurrency, logger: logger)
    let services = ServerServices(configuration: configuration, deployments: deployments, registrar: registrar,
                                  jobs: jobs, logger: logger, metrics: metrics)
    // Deployments live in the store; a deployments.json of an older server is imported once.
    await deployments.restore(legacyFile: dir.appendingPathComponent("deployments.json"))
    await jobs.start()
    return services
}

/// The whole server: services plus router, listening where configured.
public func buildApplication(
    _ configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics()
) async throws -> some ApplicationProtocol {
    let services = try await makeServices(configuration, logger: logger, metrics: metrics)
    func amount(_ d: Duration) -> TimeAmount { .nanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000) }
    let (head, body) = (amount(configuration.requestHeadTimeout), amount(configuration.requestBodyTimeout))
    return Application(
        router: buildRouter(services),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [
                ConnectionLimitHandler(counter: services.connections),
                EarlyResponseHandler(),
                RequestTimeoutHandler(headTimeout: head, bodyTimeout: body),
                ExpectContinueHandler(maxBodyBytes: configuration.maxBodyBytes),
            ],
            idleTimeout: amount(configuration.idleTimeout))),
        // A backlog as deep as the connection cap (the kernel trims it to
        // somaxconn): a burst of connects waits to be accepted instead of
        // overflowing, which would delay every other client's SYN by a second.
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tern",
                             backlog: configuration.maxConnections,
                             availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
        logger: logger)
}
