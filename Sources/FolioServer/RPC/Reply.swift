import FolioWire

/// A method's successful result: a JSON value built in Swift, or JSON text produced by
/// PostgreSQL that goes into the response without being parsed again.
enum Reply: Sendable {
    case json(JSON)
    case text(String)
}
