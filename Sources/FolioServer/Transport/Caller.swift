/// Who is calling: the uid from the socket's peer credentials, and whether that uid administers the server.
public struct Caller: Sendable {
    public var uid: UInt32
    public var isAdmin: Bool
}
