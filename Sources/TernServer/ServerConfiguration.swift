import Foundation

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
    /// An admin key given at start-up (`TERN_ADMIN_KEY`), stored if new.
    public var bootstrapAdminKey: String?

    public init() {}

    public var isLoopback: Bool {
        host == "127.0.0.1" || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
