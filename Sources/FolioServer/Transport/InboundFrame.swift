import NIOCore

/// What the frame decoder delivers to the connection handler.
enum InboundFrame {
    /// A complete frame's payload.
    case payload(ByteBuffer)
    /// A frame announcing length zero (malformed, answered, the connection stays open).
    case empty
    /// A frame announcing more than the limit; the connection is answered and closed.
    case oversize(announced: UInt32)
    /// A frame did not complete within the frame deadline; the connection is closed.
    case deadlineExceeded
}
