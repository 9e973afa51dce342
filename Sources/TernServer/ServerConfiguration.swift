import Foundation
import TernServing

/// Everything `tern serve` can be told, with the defaults users get from no flags.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Holds `registry.sqlite` and `artifacts/`.
    public var dataDirectory = URL(fileURLWithPath: ".tern")
    /// Inference routes without a key (management routes always need one).
    public var allowAnonymousPredict = false
    /// Largest request body accepted (413 past it).
    public var maxBodyBytes = 256 << 20
    /// Largest JSON inference body (413 past it).
    public var maxJSONBodyBytes = 64 << 20
    /// Nesting depth limit for JSON bodies.
    public var maxJSONDepth = 64
    /// Largest tensor accepted, in elements.
    public var maxTensorElements = 1 << 26
    /// The `tern` executable that runs training jobs as `tern worker`.
    public var workerExecutable: URL?
    /// Wall-clock limit per training job.
    public var jobTimeLimit: Duration = .seconds(3600)
    /// Address-space limit per training job, in MiB.
    public var jobMemoryLimitMB = 8192
    /// Jobs run at once.
    public var jobConcurrency = 1
    /// A connection that sends and receives nothing for this long is closed
    /// (idle keep-alive connections and silent sockets; nginx keeps 75 s).
    public var idleTimeout: Duration = .seconds(60)
    /// A request head must arrive within this of the connection opening (or
    /// of the previous answer), its body within `requestBodyTimeout` of the head.
    public var requestHeadTimeout: Duration = .seconds(30)
    public var requestBodyTimeout: Duration = .seconds(300)
    /// Bytes of model parameters kept loaded at once (nil: no limit); past
    /// it the least recently used versions no alias points at are unloaded,
    /// and loaded again when a request needs them.
    public var memoryBudgetBytes: Int?
    /// Predictions run at once (nil: one per core) and callers waiting for
    /// a slot before 503s (see ``InferenceLimiter``).
    public var maxConcurrentPredictions: Int?
    public var maxQueuedPredictions = 256
    /// Bytes one request's prediction may allocate (`--max-request-work-mb`,
    /// see ``WorkBudget``); also bounds constant folding when an ONNX model
    /// is uploaded.
    public var maxRequestWorkBytes = WorkBudget.defaultBytes
    /// Connections open at once; past it, new ones wait in the listen
    /// backlog. Kept well under the process's file limit.
    public var maxConnections = 4096
    /// Connections open at once from one address; a further one is answered
    /// 429 and closed, so one client cannot starve the others (or the probes).
    public var maxConnectionsPerIP = 256
    /// Requests answered at once for one API key, or one address for
    /// requests without a key; past it, 429 with `Retry-After`. Health
    /// probes are not counted.
    public var maxInFlightPerClient = 64
    /// An admin key given at start-up (`TERN_ADMIN_KEY`), stored if new.
    public var bootstrapAdminKey: String?

    public init() {}

    public var isLoopback: Bool {
        host == "127.0.0.1" || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
