import FolioWire
import NIOCore

/// Splits the byte stream into length-prefixed frames. It rejects an oversize length
/// as soon as the header arrives, before buffering the body, and enforces a deadline
/// from a frame's first byte to its last however slowly the bytes trickle in
/// (an idle timeout alone resets on every byte). While the connection handler holds
/// it (`ReadGate`) it neither decodes nor asks the socket for more bytes, and its
/// deadline does not run (the wait is the server's, not the client's).
final class FrameDecoder: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maximumBytes: Int
    private let deadline: TimeAmount
    private var buffer: ByteBuffer?
    private var deadlineTask: Scheduled<Void>?
    private var stopped = false
    private var held = false
    /// A read the channel asked for while held, passed on once released.
    private var readWanted = false

    init(maximumBytes: Int, deadline: TimeAmount) {
        self.maximumBytes = maximumBytes
        self.deadline = deadline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !stopped else { return }
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        decodeFrames(context: context)
    }

    private func decodeFrames(context: ChannelHandlerContext) {
        while !stopped, !held, var current = buffer {
            guard let length = current.getInteger(at: current.readerIndex, as: UInt32.self) else { break }
            if length == 0 {
                current.moveReaderIndex(forwardBy: Frame.headerSize)
                store(current)
                cancelDeadline()
                context.fireChannelRead(wrapInboundOut(.empty))
                continue
            }
            if length > maximumBytes {
                stopped = true
                buffer = nil
                cancelDeadline()
                context.fireChannelRead(wrapInboundOut(.oversize(announced: length)))
                return
            }
            guard current.readableBytes >= Frame.headerSize + Int(length) else { break }
            current.moveReaderIndex(forwardBy: Frame.headerSize)
            let payload = current.readSlice(length: Int(length))!
            store(current)
            cancelDeadline()
            context.fireChannelRead(wrapInboundOut(.payload(payload)))
        }
        if let buffer, buffer.readableBytes > 0, deadlineTask == nil, !stopped, !held {
            armDeadline(context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if held {
            readWanted = true
        } else {
            context.read()
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let gate = event as? ReadGate else {
            return context.triggerUserOutboundEvent(event, promise: promise)
        }
        promise?.succeed()
        switch gate {
        case .hold:
            held = true
            cancelDeadline()
        case .release:
            held = false
            decodeFrames(context: context)
            if !held, readWanted {
                readWanted = false
                context.read()
            }
        }
    }

    /// Keeps the unread rest, dropping the buffer once it is empty.
    private func store(_ rest: ByteBuffer) {
        buffer = rest.readableBytes > 0 ? rest : nil
    }

    private func armDeadline(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadlineTask = context.eventLoop.scheduleTask(in: deadline) {
            let (decoder, context) = loopBound.value
            decoder.deadlineTask = nil
            decoder.stopped = true
            decoder.buffer = nil
            context.fireChannelRead(decoder.wrapInboundOut(.deadlineExceeded))
        }
    }

    private func cancelDeadline() {
        deadlineTask?.cancel()
        deadlineTask = nil
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        context.fireChannelInactive()
    }
}
