import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// Counts what each client holds at once (connections per address, requests
/// per key or address) against a limit. Shared by every connection's event
/// loop and every request task, so it is a lock around a dictionary.
final class ClientCounter: Sendable {
    let limit: Int
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot for `client`; false (and nothing taken) when it holds `limit` already.
    func acquire(_ client: String) -> Bool {
        counts.withLockedValue { counts in
            let held = counts[client, default: 0]
            guard held < limit else { return false }
            counts[client] = held + 1
            return true
        }
    }

    func release(_ client: String) {
        counts.withLockedValue { counts in
            let held = counts[client, default: 0]
            if held <= 1 { counts[client] = nil } else { counts[client] = held - 1 }
        }
    }

    /// Slots `client` holds now.
    func held(_ client: String) -> Int { counts.withLockedValue { $0[client, default: 0] } }
}

/// A client's address for counting: the IP without the port ("unknown"
/// for a Unix socket or a channel already closed).
func clientAddress(_ address: SocketAddress?) -> String {
    address?.ipAddress ?? "unknown"
}

/// Admits a connection only while its address holds fewer than the
/// per-address limit. A connection over the limit is answered `429 Too Many
/// Requests` (JSON, `Retry-After: 1`, `Connection: close`) on its first
/// request head and closed; one that sends nothing is closed after a second.
/// Either way it never reaches the router, so it costs no handler work.
final class ConnectionLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let counter: ClientCounter
    private var client: String?
    private var refused = false

    init(counter: ClientCounter) { self.counter = counter }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if client == nil, !refused { admit(context) }
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        let address = clientAddress(context.channel.remoteAddress)
        if counter.acquire(address) {
            client = address
            return
        }
        refused = true
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .seconds(1)) { loopBound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard refused else { return context.fireChannelRead(data) }
        guard case .head = unwrapInboundIn(data) else { return }
        let body = ByteBuffer(string: #"{"error":"too many connections from this address (limit \#(counter.limit)); retry shortly"}"#)
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.readableBytes)
        fields[.retryAfter] = "1"
        fields[.connection] = "close"
        // What the router's middleware adds to every other answer.
        fields[.xContentTypeOptions] = "nosniff"
        fields[.cacheControl] = "no-store"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .tooManyRequests, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        leave()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { leave() }

    private func leave() {
        if let client { counter.release(client) }
        client = nil
    }
}

/// Closes the connection after an answer sent before its request's body
/// was read to the end (a 413 from the declared length, a 401, a 404): the
/// rest of the body is never read, however much the client declared.
/// Without it the server would read (and discard) the whole body to reach
/// the next request on the connection.
final class EarlyResponseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A request head arrived and its end has not.
    private var readingRequest = false
    /// An answer went out before its request ended: nothing more is read.
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head: readingRequest = true
        case .body: break
        case .end: readingRequest = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data), readingRequest else {
            return context.write(data, promise: promise)
        }
        closing = true
        let written = promise ?? context.eventLoop.makePromise()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
        context.writeAndFlush(data, promise: written)
    }
}

/// Honours `Expect: 100-continue` (RFC 9110, 10.1.1): a client that waits
/// before sending its body is told to go on with `100 Continue` when the
/// declared length is within the body limit. Past it nothing is sent, and
/// the router's early 413 (``DeclaredLengthMiddleware``) answers before any
/// of the body is read.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let maxBodyBytes: Int

    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case let .head(request) = unwrapInboundIn(data),
           let expect = request.headerFields[.expect], expect.lowercased() == "100-continue" {
            let declared = request.headerFields[.contentLength].flatMap { Int($0) } ?? 0
            if declared <= maxBodyBytes {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        }
        context.fireChannelRead(data)
    }
}

/// Bounds the requests one client has in flight: a request with a key
/// counts against the key, one without against its address. Past
/// ``ServerConfiguration/maxInFlightPerClient`` it is answered 429 with
/// `Retry-After: 1` at once. Health probes and metrics are never counted,
/// so they answer however busy a client keeps the server.
struct InFlightLimitMiddleware: RouterMiddleware {
    typealias Context = TernRequestContext
    let counter: ClientCounter

    static let uncounted: Set<String> = ["/v2/health/live", "/v2/health/ready", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if InFlightLimitMiddleware.uncounted.contains(request.uri.path) { return try await next(request, context) }
        let client = context.identity.map { "key:\($0.id)" } ?? "ip:\(context.clientAddress)"
        guard counter.acquire(client) else {
            throw APIError(.tooManyRequests, "too many requests in flight for this \(context.identity == nil ? "address" : "API key") (limit \(counter.limit)); retry shortly",
                           headers: [.retryAfter: "1"])
        }
        defer { counter.release(client) }
        return try await next(request, context)
    }
}
