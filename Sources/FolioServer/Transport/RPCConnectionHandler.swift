import FolioPostgres
import FolioWire
import Logging
import NIOCore

/// One client connection: identifies the caller from the socket's peer credentials,
/// answers each frame (a request or a batch), and lets responses go out in whatever
/// order they complete, so a pipelining client is never held up by a slow request.
/// It stops reading (`ReadGate`) while `maximumInFlight` requests are unanswered or the
/// unsent output is above the channel's high-water mark, and reads on once below; when
/// the client goes, its queued requests are dropped and running statements cancelled.
final class RPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let limiter: ConnectionLimiter
    private let inFlight: InFlightRequests
    private let adminUIDs: Set<UInt32>
    private let idleTimeout: TimeAmount
    private let maximumInFlight: Int
    private let logger: Logger
    private var caller: Caller?
    /// Frames that arrived before the peer credentials were known (reads are held
    /// until then, so at most one read's worth).
    private var waiting: [InboundFrame] = []
    /// Requests read and not answered yet (a batch counts its elements).
    private var pending = 0
    /// Whether the frame decoder is held (no reading, no decoding).
    private var held = false
    /// The error that ends the connection once the answers still owed are out
    /// (an oversize frame or a missed frame deadline).
    private var closingWith: [UInt8]?
    private var needsFlush = false
    /// When a frame last arrived or a response left; the idle check compares against it
    /// (cheaper than a timer or promise per request).
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?

    init(dispatcher: Dispatcher, limiter: ConnectionLimiter, inFlight: InFlightRequests, adminUIDs: Set<UInt32>,
         idleTimeout: TimeAmount, maximumInFlight: Int, logger: Logger) {
        self.maximumInFlight = maximumInFlight
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

    /// Holds or releases reading to match the connection's state; cheap when nothing changes.
    private func updateGate(context: ChannelHandlerContext) {
        let hold = caller == nil || closingWith != nil || pending >= maximumInFlight || !context.channel.isWritable
        guard hold != held else { return }
        held = hold
        context.triggerUserOutboundEvent(hold ? ReadGate.hold : ReadGate.release, promise: nil)
        if !hold { flushIfNeeded(context: context) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        updateGate(context: context)
        context.fireChannelWritabilityChanged()
    }

    func channelActive(context: ChannelHandlerContext) {
        updateGate(context: context)
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
        caller = Caller(uid: credentials.uid, isAdmin: adminUIDs.contains(credentials.uid),
                        client: PoolClient(uid: credentials.uid))
        let frames = waiting
        waiting = []
        frames.forEach { handle($0, context: context) }
        flushIfNeeded(context: context)
        updateGate(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        if let caller {
            limiter.release(caller.uid)
            caller.client.disconnect()
        }
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
        updateGate(context: context)
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
            close(with: RPCResponse.failure(id: nil, error: .invalidRequest(
                "frame of \(announced) bytes exceeds the limit", reason: "frame_too_large")), context: context)
        case .deadlineExceeded:
            close(with: RPCResponse.failure(id: nil, error: .invalidRequest(
                "frame not completed within the deadline", reason: "frame_deadline")), context: context)
        }
    }

    /// Ends the connection after a bad frame: the requests read before it are answered
    /// first, then `error` goes out, and the connection closes once that is written.
    private func close(with error: [UInt8], context: ChannelHandlerContext) {
        closingWith = error
        updateGate(context: context)
        closeIfAnswered(context: context)
    }

    private func closeIfAnswered(context: ChannelHandlerContext) {
        guard let error = closingWith, pending == 0, context.channel.isActive else { return }
        closingWith = nil
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(frame(error, context: context)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
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
            case .later(let future): later(future.map { $0.map { [$0] } }, batch: false, requests: 1, context: context)
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
        later(EventLoopFuture.whenAllSucceed(futures, on: context.eventLoop).map { $0.compactMap { $0 } },
              batch: true, requests: elements.count, context: context)
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
    private func later(_ future: EventLoopFuture<[[UInt8]]?>, batch: Bool, requests: Int, context: ChannelHandlerContext) {
        pending += requests
        inFlight.begin()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.whenComplete { result in
            let (handler, context) = loopBound.value
            handler.pending -= requests
            handler.inFlight.end()
            defer {
                handler.updateGate(context: context)
                handler.closeIfAnswered(context: context)
            }
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
        context.write(wrapOutboundOut(frame(payload, context: context)), promise: nil)
        if flush {
            context.flush()
        } else {
            needsFlush = true
        }
    }

    private func frame(_ payload: [UInt8], context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: Frame.headerSize + payload.count)
        buffer.writeInteger(UInt32(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if needsFlush {
            needsFlush = false
            context.flush()
        }
    }
}
