import FolioPostgres

/// Who is calling: the uid from the socket's peer credentials, whether that uid
/// administers the server, and the connection's handle in the pool (fairness key,
/// cancellation when it goes).
public struct Caller: Sendable {
    public var uid: UInt32
    public var isAdmin: Bool
    public var client: PoolClient
}
