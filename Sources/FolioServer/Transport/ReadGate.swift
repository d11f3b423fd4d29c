/// Outbound user events from the connection handler to the frame decoder: stop reading
/// and decoding frames, or go on. The handler holds a connection while it has as many
/// requests in flight as allowed, while its unsent output is above the high-water mark,
/// before the caller is identified, and once it is closing.
enum ReadGate {
    case hold
    case release
}
