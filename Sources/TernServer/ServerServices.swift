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
    /// Recently resolved aliases for inference routes.
    let aliases = AliasCache()
    /// Loads in progress, shared by the requests that wait for them.
    let loads = LoadCoordinator()
    /// Serialises alias moves with the unloading of the versions they leave.
    let aliasMoves = AsyncLock()
    /// Deployments that failed to restore, for the readiness probe.
    let readiness = Readiness()
    /// Versions loaded only for an alias swap (the new one until it is
    /// explicitly deployed, the old one until it is unloaded).
    let aliasBound = AliasBoundVersions()

    public init(configuration: ServerConfiguration, store: any RegistryStore, artifacts: ArtifactStore,
                runtime: ModelRuntime, jobs: JobRunner, logger: Logger, metrics: ServerMetrics = ServerMetrics()) {
        self.configuration = configuration
        inFlight = ClientCounter(limit: configuration.maxInFlightPerClient)
        connections = ClientCounter(limit: configuration.maxConnectionsPerIP)
        self.store = store
        self.artifacts = artifacts
        self.runtime = runtime
        self.jobs = jobs
        self.logger = logger
        self.metrics = metrics
    }
}
