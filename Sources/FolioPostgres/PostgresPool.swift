import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bounded set of connections, each used by one worker thread at a time, so
/// blocking libpq calls never run on an event loop. Connections are opened lazily
/// and replaced after the database restarts: a lost connection fails its request
/// with a connection error, and every idle connection older than the loss is
/// dropped so the next requests reconnect at once.
public final class PostgresPool: Sendable {
    public let size: Int
    private let conninfo: String
    private let threads: NIOThreadPool
    private let logger: Logger
    private let setupSQL: String
    private let state: NIOLockedValueBox<State>

    private struct State {
        var idle: [(connection: PostgresConnection, generation: Int)] = []
        var generation = 0
    }

    /// - Parameters:
    ///   - setupSQL: run once on every new connection (session settings such as timeouts).
    public init(conninfo: String, size: Int, setupSQL: String = "", logger: Logger) {
        self.conninfo = conninfo
        self.size = size
        self.setupSQL = setupSQL
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: size)
        self.state = NIOLockedValueBox(State())
        threads.start()
    }

    /// Runs `body` with a connection on a worker thread and completes on `eventLoop`.
    public func run<T: Sendable>(
        on eventLoop: EventLoop,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) -> EventLoopFuture<T> {
        threads.runIfActive(eventLoop: eventLoop) { [self] in
            let (connection, generation) = try checkOut()
            do {
                let value = try body(connection)
                checkIn(connection, generation: generation)
                return value
            } catch let error as PostgresError where error.kind == .connection {
                connectionLost(error)
                throw error
            } catch {
                checkIn(connection, generation: generation)
                throw error
            }
        }
    }

    /// Stops the worker threads after queued work finishes, then closes every connection.
    public func shutdown() async {
        try? await threads.shutdownGracefully()
        state.withLockedValue { $0.idle.removeAll() }
    }

    private func checkOut() throws -> (PostgresConnection, Int) {
        let reused = state.withLockedValue { state -> (PostgresConnection, Int)? in
            while let entry = state.idle.popLast() {
                if entry.generation == state.generation { return (entry.connection, entry.generation) }
            }
            return nil
        }
        if let reused { return reused }
        let generation = state.withLockedValue { $0.generation }
        let connection = try PostgresConnection(conninfo: conninfo)
        if !setupSQL.isEmpty { try connection.execute(setupSQL) }
        logger.debug("database connection opened", metadata: ["pid": "\(connection.backendPID)"])
        return (connection, generation)
    }

    private func checkIn(_ connection: PostgresConnection, generation: Int) {
        guard connection.isHealthy else { return }
        state.withLockedValue { state in
            if generation == state.generation { state.idle.append((connection, generation)) }
        }
    }

    private func connectionLost(_ error: PostgresError) {
        logger.warning("database connection lost", metadata: ["error": "\(error.description)"])
        state.withLockedValue { state in
            state.generation += 1
            state.idle.removeAll()
        }
    }
}
