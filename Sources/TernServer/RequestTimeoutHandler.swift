import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request takes too long to arrive: the head
/// must be complete within `headTimeout` of the connection opening (or of
/// the previous response's end, on a kept-alive connection), and the body
/// within `bodyTimeout` of the head. No timer runs while a request is being
/// answered. Stops slow senders that keep a connection busy without ever
/// finishing a request; silent connections are the idle timeout's.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    /// When the connection is closed unless the request phase ends first
    /// (nil while a request is answered).
    private var deadline: NIODeadline?
    /// At most one timer at a time. Moving the deadline does not reschedule
    /// it (that would cost a timer per request part); when it fires early
    /// it schedules itself again for the deadline then current.
    private var timer: Scheduled<Void>?

    init(headTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, headTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if deadline == nil, timer == nil { arm(context, headTimeout) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, bodyTimeout)
        case .body: break
        case .end: deadline = nil  // the request is in; answering it has no deadline here
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, headTimeout) }  // waiting for the next request
        context.write(data, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) { stop() }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }

    private func stop() {
        deadline = nil
        timer?.cancel()
        timer = nil
    }

    private func arm(_ context: ChannelHandlerContext, _ delay: TimeAmount) {
        let at = NIODeadline.now() + delay
        deadline = at
        if timer == nil { schedule(context, at: at) }
    }

    private func schedule(_ context: ChannelHandlerContext, at: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: at) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            guard let deadline = handler.deadline else { return }  // a request is being answered
            if deadline <= .now() {
                context.close(promise: nil)
            } else {
                handler.schedule(context, at: deadline)
            }
        }
    }
}
