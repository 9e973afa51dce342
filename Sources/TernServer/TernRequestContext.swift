import Hummingbird
import NIOCore
import TernRegistry

/// The per-request context: Hummingbird's core storage, the caller's API
/// key once the auth middleware has checked it, and a request id for logs.
public struct TernRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The verified key, nil for anonymous requests.
    public var identity: KeyRecord?
    public var requestID: String
    /// The client's socket address (cached by the channel).
    let remoteAddress: SocketAddress?
    /// The client's IP address, for per-address limits: formatted only when
    /// asked (requests with a key never need it).
    public var clientAddress: String { TernServer.clientAddress(remoteAddress) }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        identity = nil
        requestID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    /// Hummingbird's own body decoding limit; routes that read bodies use
    /// ``ServerConfiguration/maxBodyBytes`` through ``collectBody(_:limit:)``.
    public var maxUploadSize: Int { 64 << 20 }

    /// Throws 401 without a key and 403 when its scope is too narrow.
    public func require(_ scope: KeyScope) throws {
        guard let identity else { throw APIError(.unauthorized, "this route needs an API key with scope '\(scope.rawValue)' (Authorization: Bearer <key>)") }
        guard identity.scope.allows(scope) else {
            throw APIError(.forbidden, "the API key '\(identity.id)' has scope '\(identity.scope.rawValue)'; this route needs '\(scope.rawValue)'")
        }
    }
}
