import FolioWire
import Logging
import NIOCore

/// One client connection: identifies the caller from the socket's peer credentials,
/// answers each frame (a request or a batch), and lets responses go out in whatever
/// order they complete, so a pipelining client is never held up by a slow request.
final class RPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let limiter: ConnectionLimiter
    private let inFlight: InFlightRequests
    private let adminUIDs: Set<UInt32>
    private let idleTimeout: TimeAmount
    private let logger: Logger
    private var caller: Caller?
    /// Frames that arrived before the peer credentials were known.
    private var waiting: [InboundFrame] = []
    private var pending = 0
    private var needsFlush = false
    /// When a frame last arrived or a response left; the idle check compares against it
    /// (cheaper than a timer or promise per request).
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?

    init(dispatcher: Dispatcher, limiter: ConnectionLimiter, inFlight: InFlightRequests, adminUIDs: Set<UInt32>,
         idleTimeout: TimeAmount, logger: Logger) {
        self.dispatcher = dispatcher
        self.limiter = limiter
        self.inFlight = inFlight
        self.adminUIDs = adminUIDs
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    /// Closes the connection once it has been idle for the idle timeout with no request
    /// still being worked on; otherwise looks again when the timeout could next expire.
    private func scheduleIdleCheck(context: ChannelHandlerContext, in delay: TimeAmount) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            let idle = NIODeadline.now() - handler.lastActivity
            if idle >= handler.idleTimeout && handler.pending == 0 {
                context.close(promise: nil)
            } else {
                handler.scheduleIdleCheck(context: context, in: max(handler.idleTimeout - idle, .milliseconds(100)))
            }
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        scheduleIdleCheck(context: context, in: idleTimeout)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        PeerCredentials.of(context.channel).whenComplete { result in
            let (handler, context) = loopBound.value
            switch result {
            case .success(let credentials):
                handler.identified(credentials, context: context)
            case .failure(let error):
                handler.logger.warning("cannot read peer credentials", metadata: ["error": "\(error)"])
                context.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    private func identified(_ credentials: PeerCredentials, context: ChannelHandlerContext) {
        guard limiter.acquire(credentials.uid) else {
            logger.notice("connection limit reached", metadata: ["uid": "\(credentials.uid)"])
            write(RPCResponse.failure(id: nil, error: .busy("too many connections for uid \(credentials.uid)", reason: "too_many_connections")),
                  context: context, flush: true)
            context.close(promise: nil)
            return
        }
        caller = Caller(uid: credentials.uid, isAdmin: adminUIDs.contains(credentials.uid))
        let frames = waiting
        waiting = []
        frames.forEach { handle($0, context: context) }
        flushIfNeeded(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        if let caller { limiter.release(caller.uid) }
        caller = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        let frame = unwrapInboundIn(data)
        guard caller != nil else {
            waiting.append(frame)
            return
        }
        handle(frame, context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func handle(_ frame: InboundFrame, context: ChannelHandlerContext) {
        switch frame {
        case .payload(let buffer):
            handlePayload(buffer, context: context)
        case .empty:
            write(RPCResponse.failure(id: nil, error: .invalidRequest("empty frame", reason: "empty_frame")), context: context, flush: false)
        case .oversize(let announced):
            write(RPCResponse.failure(id: nil, error: .invalidRequest(
                "frame of \(announced) bytes exceeds the limit", reason: "frame_too_large")), context: context, flush: true)
            context.close(promise: nil)
        case .deadlineExceeded:
            write(RPCResponse.failure(id: nil, error: .invalidRequest(
                "frame not completed within the deadline", reason: "frame_deadline")), context: context, flush: true)
            context.close(promise: nil)
        }
    }

    private func handlePayload(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        let json: JSON
        do {
            json = try buffer.withUnsafeReadableBytes { try JSONParser.parse($0) }
        } catch {
            write(RPCResponse.failure(id: nil, error: .parse("parse error: \(error)")), context: context, flush: false)
            return
        }
        guard case .array(let elements) = json else {
            switch dispatchOne(json, context: context) {
            case .now(let bytes): bytes.map { write($0, context: context, flush: false) }
            case .later(let future): later(future.map { $0.map { [$0] } }, batch: false, context: context)
            }
            return
        }
        guard !elements.isEmpty else {
            write(RPCResponse.failure(id: nil, error: .invalidRequest("empty batch")), context: context, flush: false)
            return
        }
        // Each element runs on its own (its own transaction); the answers go out together.
        let futures = elements.map { element -> EventLoopFuture<[UInt8]?> in
            switch dispatchOne(element, context: context) {
            case .now(let bytes): context.eventLoop.makeSucceededFuture(bytes)
            case .later(let future): future
            }
        }
        later(EventLoopFuture.whenAllSucceed(futures, on: context.eventLoop).map { $0.compactMap { $0 } }, batch: true, context: context)
    }

    private func dispatchOne(_ json: JSON, context: ChannelHandlerContext) -> Dispatcher.Outcome {
        switch RPCRequest.validate(json) {
        case .failure(let failure):
            return .now(RPCResponse.failure(id: failure.id, error: failure.error))
        case .success(let request):
            return dispatcher.dispatch(request, caller: caller!, on: context.eventLoop)
        }
    }

    /// Writes the responses of work still under way once it completes.
    private func later(_ future: EventLoopFuture<[[UInt8]]?>, batch: Bool, context: ChannelHandlerContext) {
        pending += 1
        inFlight.begin()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.whenComplete { result in
            let (handler, context) = loopBound.value
            handler.pending -= 1
            handler.inFlight.end()
            guard case .success(let responses?) = result, !responses.isEmpty || !batch else { return }
            if batch {
                var array: [UInt8] = [UInt8(ascii: "[")]
                for (i, response) in responses.enumerated() {
                    if i > 0 { array.append(UInt8(ascii: ",")) }
                    array.append(contentsOf: response)
                }
                array.append(UInt8(ascii: "]"))
                handler.write(array, context: context, flush: true)
            } else if let response = responses.first {
                handler.write(response, context: context, flush: true)
            }
        }
    }

    private func write(_ payload: [UInt8], context: ChannelHandlerContext, flush: Bool) {
        guard context.channel.isActive else { return }
        lastActivity = .now()
        var buffer = context.channel.allocator.buffer(capacity: Frame.headerSize + payload.count)
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
        context.write(wrapOutboundOut(buffer), promise: nil)
        if flush {
            context.flush()
        } else {
            needsFlush = true
        }
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }
}
