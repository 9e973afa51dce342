import Foundation
import Logging
import TernRegistry
import TernServing

/// The server's shared parts, built once by ``buildApplication(_:)`` and
/// handed to every route group.
public struct ServerServices: Sendable {
    public let configuration: ServerConfiguration
    public let store: any RegistryStore
    public let artifacts: ArtifactStore
    public let runtime: ModelRuntime
    public let jobs: JobRunner
    public let logger: Logger
    public let metrics: ServerMetrics
    /// Heavy checks on uploads (decompressing and parsing datasets, parsing
    /// artifacts): one at a time on a worker thread, a few waiting, 503
    /// past that, so they never hold the request threads or health checks.
    let checks = InferenceLimiter(maxConcurrent: 1, maxQueued: 8)
    /// Parsing large JSON bodies: on worker threads, as many at once as
    /// there are cores, a bounded queue behind them (503 past it).
    let decoding = InferenceLimiter(maxQueued: 64)
    /// Requests in flight per API key or address.
    let inFlight: ClientCounter
    /// Connections open per address.
    let connections: ClientCounter
    /// What this server serves: resolution, deployments, alias swaps.
    public let deployments: Deployments
    /// Stores blobs and registers versions (uploads and jobs alike).
    public let registrar: Registrar

    public init(configuration: ServerConfiguration, deployments: Deployments, registrar: Registrar, jobs: JobRunner,
                logger: Logger, metrics: ServerMetrics = ServerMetrics()) {
        self.configuration = configuration
        inFlight = ClientCounter(limit: configuration.maxInFlightPerClient)
        connections = ClientCounter(limit: configuration.maxConnectionsPerIP)
        store = deployments.store
        artifacts = deployments.artifacts
        runtime = deployments.runtime
        self.deployments = deployments
        self.registrar = registrar
        self.jobs = jobs
        self.logger = logger
        self.metrics = metrics
    }
}

extension ServerServices {
    /// Throws 401/403 unless anonymous prediction is allowed or the key has `predict`.
    func requirePredict(_ context: TernRequestContext) throws {
        if !configuration.allowAnonymousPredict { try context.require(.predict) }
    }
}
