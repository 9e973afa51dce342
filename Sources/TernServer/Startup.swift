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

    let runtime = ModelRuntime(memoryBudget: configuration.memoryBudgetBytes, workBudget: configuration.maxRequestWorkBytes,
                               metricsFactory: metrics.batchingFactory)
    let jobs = JobRunner(
        store: store, artifacts: artifacts, workerExecutable: configuration.workerExecutable,
        scratchDirectory: dir.appendingPathComponent("scratch"), timeLimit: configuration.jobTimeLimit,
        memoryLimitMB: configuration.jobMemoryLimitMB, concurrency: configuration.jobConcurrency, logger: logger)
    let services = ServerServices(configuration: configuration, store: store, artifacts: artifacts,
                                  runtime: runtime, jobs: jobs, logger: logger, metrics: metrics)
    await DeploymentsFile(directory: dir).restore(into: services)
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

/// The set of loaded versions, kept in `deployments.json` so a restarted
/// server serves what it served before.
struct DeploymentsFile: Sendable {
    struct Entry: Codable, Hashable {
        var model: String
        var version: Int
        /// Absent in files written before batching existed (batching off).
        var batching: BatchingConfiguration?
        /// Loaded for an alias swap, or left by one and waiting to be
        /// unloaded: restored only while an alias still points at it, so a
        /// crash in the middle of a swap leaves nothing loaded that nothing
        /// points at. Absent (false) for explicit deployments.
        var aliasBound: Bool?

        enum CodingKeys: String, CodingKey { case model, version, batching, aliasBound = "alias_bound" }
    }
    let url: URL

    init(directory: URL) { url = directory.appendingPathComponent("deployments.json") }

    func read() -> [Entry] {
        guard let data = FileManager.default.contents(atPath: url.path),
              let entries = try? JSONDecoder().decode([Entry].self, from: data) else { return [] }
        return entries
    }

    /// Rewrites the file atomically from the runtime's current state and the
    /// versions that are only loaded for an alias.
    func save(_ runtime: ModelRuntime, aliasBound: Set<AliasBoundVersions.Key> = []) async {
        let entries = await runtime.deployments().map {
            Entry(model: $0.model, version: $0.version, batching: $0.batching.isEnabled ? $0.batching : nil,
                  aliasBound: aliasBound.contains(.init(model: $0.model, version: $0.version)) ? true : nil)
        }
        guard let data = try? JSONEncoder().encode(entries) else { return }
        try? data.write(to: url, options: .atomic)
    }

    func restore(into services: ServerServices) async {
        let entries = read()
        for model in Set(entries.map(\.model)) { await services.refreshPins(model: model) }
        var dropped = false
        for entry in entries {
            if entry.aliasBound == true {
                // A swap was under way: keep the version only if an alias points at it now.
                let aliased = (try? await services.store.aliases(model: entry.model).contains { $0.version == entry.version }) ?? false
                guard aliased else {
                    services.logger.info("not restoring a version an alias swap left", metadata: ["model": "\(entry.model)", "version": "\(entry.version)"])
                    dropped = true
                    continue
                }
                await services.aliasBound.insert(model: entry.model, version: entry.version)
            }
            do {
                let record = try await services.store.version(model: entry.model, version: entry.version)
                let bytes = try services.artifacts.read(record.artifactSHA256)
                _ = try await services.runtime.load(model: entry.model, version: entry.version, artifact: bytes,
                                                    batching: entry.batching ?? .disabled)
                services.logger.info("restored deployment", metadata: ["model": "\(entry.model)", "version": "\(entry.version)"])
            } catch {
                let reason = (error as? RegistryError)?.description ?? "the artifact could not be loaded"
                services.logger.error("could not restore deployment; not ready until it is loaded or undeployed",
                                      metadata: ["model": "\(entry.model)", "version": "\(entry.version)", "error": "\(reason)"])
                await services.readiness.restoreFailed(model: entry.model, version: entry.version, reason: reason)
            }
        }
        if dropped { await services.saveDeployments() }
    }
}
