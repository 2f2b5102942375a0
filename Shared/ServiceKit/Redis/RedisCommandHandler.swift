import NIOCore
import Synchronization

/// A command on its way to Redis: its encoding, the promise its reply completes, and its deadline.
struct RedisRequest: Sendable {
    var bytes: ByteBuffer
    var promise: EventLoopPromise<RESPValue>
    var deadline: NIODeadline
}

/// Pipelines commands on one connection: writes go out as they come, replies complete promises in order.
///
/// Writes issued in the same event-loop tick share one flush, so 100 concurrent callers cost a handful of
/// syscalls rather than 100. A periodic sweep fails the connection when the oldest command is overdue:
/// with pipelining every later reply is stuck behind it, so the connection is reset rather than reused.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<(promise: EventLoopPromise<RESPValue>, deadline: NIODeadline)>(
        initialCapacity: 32
    )
    private var flushScheduled = false
    private var failure: RedisError?
    private var sweep: RepeatedTask?
    private let sweepInterval: TimeAmount
    private let health: ConnectionHealth

    init(sweepInterval: TimeAmount, health: ConnectionHealth) {
        self.sweepInterval = sweepInterval
        self.health = health
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startSweep(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startSweep(context: context)
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        pending.append((request.promise, request.deadline))
        context.write(wrapOutboundOut(request.bytes), promise: promise)
        guard !flushScheduled else { return }
        flushScheduled = true
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            loopBoundSelf.value.flushScheduled = false
            loopBoundContext.value.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard let command = pending.popFirst() else {
            failAll(.protocolError("a reply arrived with no command waiting for it"), context: context)
            return
        }
        command.promise.succeed(reply)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed, context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll((error as? RedisError) ?? .connectionFailed(String(describing: error)), context: context)
    }

    private func startSweep(context: ChannelHandlerContext) {
        guard sweep == nil else { return }
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        sweep = context.eventLoop.scheduleRepeatedTask(initialDelay: sweepInterval, delay: sweepInterval) { _ in
            loopBoundSelf.value.failIfOverdue(context: loopBoundContext.value)
        }
    }

    private func failIfOverdue(context: ChannelHandlerContext) {
        guard let oldest = pending.first, oldest.deadline < .now() else { return }
        failAll(.timeout, context: context)
    }

    /// Fails every waiting command with `error`, refuses new ones and closes the connection.
    private func failAll(_ error: RedisError, context: ChannelHandlerContext) {
        if failure == nil {
            failure = error
            health.markFailed()
        }
        sweep?.cancel()
        sweep = nil
        while let command = pending.popFirst() {
            command.promise.fail(error)
        }
        if context.channel.isActive { context.close(promise: nil) }
    }
}

/// Whether a connection has failed, readable from any thread: the pool must not hand out a connection whose
/// handler already refuses commands while its close is still in flight.
final class ConnectionHealth: Sendable {
    private let failed = Atomic<Bool>(false)

    func markFailed() { failed.store(true, ordering: .releasing) }
    var isFailed: Bool { failed.load(ordering: .acquiring) }
}
