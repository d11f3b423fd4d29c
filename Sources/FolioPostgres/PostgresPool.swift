import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bounded set of connections, each used by one worker thread at a time, so
/// blocking libpq calls never run on an event loop. Connections are opened lazily
/// and replaced after the database restarts: a lost connection fails its request
/// with a connection error, and every idle connection older than the loss is
/// dropped so the next requests reconnect at once.
///
/// Tenant affinity: a request names the tenant it works for, and the pool hands it
/// that tenant's home connection when idle (else the next idle one after it), so
/// each backend serves a stable share of the tenants and keeps their catalog
/// entries and plans warm. A connection that has served `tenantsPerConnection`
/// distinct tenants is closed after its request and opened again fresh: what a
/// backend caches per tenant stays bounded however many tenants exist.
public final class PostgresPool: Sendable {
    public let size: Int
    public let tenantsPerConnection: Int
    private let conninfo: String
    private let threads: NIOThreadPool
    private let logger: Logger
    private let setupSQL: String
    private let state: NIOLockedValueBox<State>

    /// One connection place: its connection (nil until first use or after a recycle),
    /// whether a worker holds it, and the tenants it has served since it was opened.
    private struct Slot {
        var connection: PostgresConnection?
        var generation = 0
        var busy = false
        var tenants: Set<String> = []
    }

    private struct State {
        var slots: [Slot]
        var generation = 0
    }

    /// - Parameters:
    ///   - setupSQL: run once on every new connection (session settings such as timeouts).
    ///   - tenantsPerConnection: distinct tenants a connection serves before it is replaced.
    public init(conninfo: String, size: Int, tenantsPerConnection: Int = 100, setupSQL: String = "", logger: Logger) {
        self.conninfo = conninfo
        self.size = size
        self.tenantsPerConnection = tenantsPerConnection
        self.setupSQL = setupSQL
        self.logger = logger
        self.threads = NIOThreadPool(numberOfThreads: size)
        self.state = NIOLockedValueBox(State(slots: Array(repeating: Slot(), count: size)))
        threads.start()
    }

    /// Runs `body` with a connection on a worker thread and completes on `eventLoop`.
    /// `tenant` picks the connection (affinity); nil takes any idle one.
    public func run<T: Sendable>(
        on eventLoop: EventLoop, tenant: String? = nil,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) -> EventLoopFuture<T> {
        threads.runIfActive(eventLoop: eventLoop) { [self] in
            let (index, connection, generation) = try checkOut(tenant: tenant)
            do {
                let value = try body(connection)
                checkIn(index, connection, generation: generation)
                return value
            } catch let error as PostgresError where error.kind == .connection {
                connectionLost(error, slot: index)
                throw error
            } catch {
                checkIn(index, connection, generation: generation)
                throw error
            }
        }
    }

    /// Stops the worker threads after queued work finishes, then closes every connection.
    public func shutdown() async {
        try? await threads.shutdownGracefully()
        state.withLockedValue { state in
            for i in state.slots.indices { state.slots[i].connection = nil }
        }
    }

    /// The tenant's home slot if idle, else the first idle slot after it. There is
    /// always one: at most `size` workers hold slots at a time.
    private func checkOut(tenant: String?) throws -> (Int, PostgresConnection, Int) {
        let home = tenant.map { Self.home(of: $0, among: size) } ?? 0
        let (index, reused, generation) = state.withLockedValue { state -> (Int, PostgresConnection?, Int) in
            var index = home
            for step in 0..<size where !state.slots[(home + step) % size].busy {
                index = (home + step) % size
                break
            }
            state.slots[index].busy = true
            var slot = state.slots[index]
            if slot.connection != nil, slot.generation != state.generation {
                slot.connection = nil
                slot.tenants = []
            }
            if let tenant { slot.tenants.insert(tenant) }
            state.slots[index] = slot
            return (index, slot.connection, state.generation)
        }
        if let reused { return (index, reused, generation) }
        do {
            let connection = try PostgresConnection(conninfo: conninfo)
            if !setupSQL.isEmpty { try connection.execute(setupSQL) }
            logger.debug("database connection opened", metadata: ["pid": "\(connection.backendPID)", "slot": "\(index)"])
            state.withLockedValue { $0.slots[index].connection = connection; $0.slots[index].generation = generation }
            return (index, connection, generation)
        } catch {
            state.withLockedValue { $0.slots[index].busy = false; $0.slots[index].tenants = [] }
            throw error
        }
    }

    private func checkIn(_ index: Int, _ connection: PostgresConnection, generation: Int) {
        state.withLockedValue { state in
            var slot = state.slots[index]
            slot.busy = false
            if !connection.isHealthy || generation != state.generation || slot.tenants.count >= tenantsPerConnection {
                slot.connection = nil
                slot.tenants = []
            }
            state.slots[index] = slot
        }
    }

    private func connectionLost(_ error: PostgresError, slot index: Int) {
        logger.warning("database connection lost", metadata: ["error": "\(error.description)"])
        state.withLockedValue { state in
            state.generation += 1
            state.slots[index].busy = false
            for i in state.slots.indices where !state.slots[i].busy {
                state.slots[i].connection = nil
                state.slots[i].tenants = []
            }
        }
    }

    /// A stable slot for a tenant (FNV-1a of the slug): the same on every run.
    static func home(of tenant: String, among count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in tenant.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }
}
