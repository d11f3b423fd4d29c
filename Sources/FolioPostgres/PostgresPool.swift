import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A bounded set of connections, each owned by one worker thread with its own queue, so
/// blocking libpq calls never run on an event loop. Connections are opened lazily and
/// replaced after the database restarts: a lost connection fails its request with a
/// connection error, and every other connection older than the loss is replaced before
/// its next request.
///
/// Tenant affinity: a request names the tenant it works for and is queued on that
/// tenant's home worker (a hash of the slug), unless that queue is longer than the
/// shortest by more than `spillover` jobs, then on the shortest. So each backend serves a
/// stable share of the tenants and keeps their catalog entries and plans warm, while a
/// busy tenant cannot stall the pool. A connection that has served
/// `tenantsPerConnection` distinct tenants is closed after its request and opened again
/// fresh: what a backend caches per tenant stays bounded however many tenants exist.
/// The first `warmTenants` tenants a connection serves are its warm ones
/// (`PostgresConnection.servesWarmTenant` tells the request): the server gives only
/// those per-tenant copies of its hottest functions, which bounds their memory.
public final class PostgresPool: Sendable {
    public let size: Int
    public let tenantsPerConnection: Int
    public let warmTenants: Int
    /// How many more queued jobs a tenant's home worker may have than the least loaded
    /// one before the request goes to the least loaded one instead.
    public let spillover = 2
    private let conninfo: String
    private let logger: Logger
    private let setupSQL: String
    private let workers: [PoolWorker]
    /// Bumped when a connection is lost: connections of an older generation are replaced.
    private let generation = NIOLockedValueBox(0)

    /// - Parameters:
    ///   - setupSQL: run once on every new connection (session settings such as timeouts).
    ///   - tenantsPerConnection: distinct tenants a connection serves before it is replaced.
    ///   - warmTenants: how many of the tenants a connection serves, the first ones, are warm.
    public init(conninfo: String, size: Int, tenantsPerConnection: Int = 120, warmTenants: Int = 0,
                setupSQL: String = "", logger: Logger) {
        self.conninfo = conninfo
        self.size = size
        self.tenantsPerConnection = tenantsPerConnection
        self.warmTenants = warmTenants
        self.setupSQL = setupSQL
        self.logger = logger
        self.workers = (0..<size).map { PoolWorker(index: $0) }
        for worker in workers { worker.start(name: "folio-db-\(worker.index)") }
    }

    /// Runs `body` with a connection on a worker thread and completes on `eventLoop`.
    /// `tenant` picks the worker (affinity); nil takes the least loaded one.
    public func run<T: Sendable>(
        on eventLoop: EventLoop, tenant: String? = nil,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        let worker = pick(tenant)
        let queued = worker.enqueue { [self] in
            do {
                promise.succeed(try perform(on: worker, tenant: tenant, body))
            } catch {
                promise.fail(error)
            }
        }
        if !queued { promise.fail(PostgresError(kind: .connection, message: "the connection pool is shut down")) }
        return promise.futureResult
    }

    /// Stops the workers after the work already queued, then closes every connection.
    public func shutdown() async {
        for worker in workers { worker.stop() }
        let workers = self.workers
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                for worker in workers { worker.join() }
                done.resume()
            }
        }
    }

    /// The tenant's home worker unless it is `spillover` jobs busier than the least
    /// loaded one; without a tenant, the least loaded one.
    private func pick(_ tenant: String?) -> PoolWorker {
        var least = workers[0]
        var leastLoad = Int.max
        for worker in workers {
            let load = worker.load
            if load < leastLoad { (least, leastLoad) = (worker, load) }
        }
        guard let tenant else { return least }
        let home = workers[Self.home(of: tenant, among: size)]
        return home.load <= leastLoad + spillover ? home : least
    }

    /// On the worker's thread: its connection (opened, or replaced when it is of an
    /// older generation), then `body`; afterwards the connection is kept unless it broke,
    /// was lost, or has served its share of tenants.
    private func perform<T>(on worker: PoolWorker, tenant: String?, _ body: (PostgresConnection) throws -> T) throws -> T {
        let current = generation.withLockedValue { $0 }
        if worker.connection != nil, worker.generation != current { drop(worker) }
        if worker.connection == nil {
            let connection = try PostgresConnection(conninfo: conninfo)
            if !setupSQL.isEmpty { try connection.execute(setupSQL) }
            logger.debug("database connection opened", metadata: ["pid": "\(connection.backendPID)", "worker": "\(worker.index)"])
            worker.connection = connection
            worker.generation = current
        }
        let connection = worker.connection!
        if let tenant {
            worker.tenants.insert(tenant)
            if worker.warm.count < warmTenants { worker.warm.insert(tenant) }
            connection.servesWarmTenant = worker.warm.contains(tenant)
        } else {
            connection.servesWarmTenant = false
        }
        do {
            let value = try body(connection)
            if !connection.isHealthy || worker.tenants.count >= tenantsPerConnection { drop(worker) }
            return value
        } catch let error as PostgresError where error.kind == .connection {
            logger.warning("database connection lost", metadata: ["error": "\(error.description)"])
            generation.withLockedValue { $0 += 1 }
            drop(worker)
            throw error
        } catch {
            if !connection.isHealthy { drop(worker) }
            throw error
        }
    }

    private func drop(_ worker: PoolWorker) {
        worker.connection = nil
        worker.tenants = []
        worker.warm = []
    }

    /// A stable worker for a tenant (FNV-1a of the slug): the same on every run.
    static func home(of tenant: String, among count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in tenant.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }
}
