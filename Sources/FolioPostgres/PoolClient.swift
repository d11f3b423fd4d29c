import Dispatch
import NIOConcurrencyHelpers

/// The client connection pooled requests come from. With the tenant, its uid is the
/// pool's fairness key; once the client has gone its queued work is dropped and its
/// running statements are cancelled (nobody is left to read their answers).
public final class PoolClient: @unchecked Sendable {
    public let uid: UInt32
    private let lock = NIOLock()
    private var gone = false
    /// Database connections running one of this client's requests right now.
    private var running: [PostgresConnection] = []

    public init(uid: UInt32) { self.uid = uid }

    /// Whether the client has disconnected.
    public var isGone: Bool { lock.withLock { gone } }

    /// On a worker thread, before a request of this client runs on `connection`:
    /// false when the client has gone (the request is skipped).
    func begin(on connection: PostgresConnection) -> Bool {
        lock.withLock {
            guard !gone else { return false }
            running.append(connection)
            return true
        }
    }

    /// On the worker thread, after the request. Waits while a cancel of this very
    /// statement is being sent, so a cancel can never hit the connection's next statement.
    func end(on connection: PostgresConnection) {
        lock.withLock { running.removeAll { $0 === connection } }
    }

    /// The client has disconnected: its queued requests will be skipped and its running
    /// statements are cancelled (PQcancel, sent from a background thread).
    public func disconnect() {
        let busy = lock.withLock { () -> Bool in
            gone = true
            return !running.isEmpty
        }
        guard busy else { return }
        DispatchQueue.global().async { [self] in
            lock.withLock { running.forEach { $0.cancelRunningStatement() } }
        }
    }
}
