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
/// Tenant affinity: a request names the tenant it works for and is queued on the least
/// loaded worker where that tenant is warm (its home worker, a hash of the slug, and any
/// that gave it a warm slot), unless that queue is longer than the shortest by more than
/// `spillover` jobs, then on the shortest. So each backend serves a stable share of the
/// tenants and keeps their catalog entries and plans warm, while a busy tenant cannot
/// stall the pool. A connection that has served
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
    /// Measured on 2 cores (deploy/bench, 16 clients): 2 sent a tenant's request to a
    /// connection where it was cold so often that 100 tenants ran at 320 invoices/s; 8 ran
    /// them at 580/s.
    public let spillover = 8
    /// The margin for a flow that already has a request in the workers' queues: its
    /// requests spread over several connections (which then give it warm slots), so one
    /// busy tenant is not served by a single backend, one commit after the other.
    public let burstSpillover = 2
    private let conninfo: String
    private let logger: Logger
    private let setupSQL: String
    private let workers: [PoolWorker]
    /// Bumped when a connection is lost: connections of an older generation are replaced.
    private let generation = NIOLockedValueBox(0)
    /// How many of one (uid, tenant) flow's requests may be in the workers' queues at once.
    public let flowShare: Int
    private let flows = NIOLockedValueBox<[FlowKey: Flow]>([:])
    /// Tenant -> the workers where it has a warm slot (kept by the worker threads).
    private let warmOn = NIOLockedValueBox<[String: Set<Int>]>([:])

    /// Requests of one uid for one tenant: the unit the pool is fair between.
    private struct FlowKey: Hashable {
        let uid: UInt32
        let tenant: String
    }

    /// A flow's requests in the workers' queues, and those waiting for their turn.
    private struct Flow {
        var admitted = 0
        var waiting = CircularBuffer<Job>()
    }

    /// Queued work; `run(nil)` fails it (the pool is shut down).
    private struct Job: Sendable {
        let tenant: String?
        let run: @Sendable (PoolWorker?) -> Void
    }

    /// - Parameters:
    ///   - setupSQL: run once on every new connection (session settings such as timeouts).
    ///   - tenantsPerConnection: distinct tenants a connection serves before it is replaced.
    ///   - warmTenants: how many of the tenants a connection serves, the first ones, are warm.
    ///   - flowShare: requests of one (uid, tenant) flow in the workers' queues at once
    ///     (default: all workers but one).
    public init(conninfo: String, size: Int, tenantsPerConnection: Int = 120, warmTenants: Int = 0,
                flowShare: Int? = nil, setupSQL: String = "", logger: Logger) {
        self.flowShare = max(1, flowShare ?? size - 1)
        self.conninfo = conninfo
        self.size = size
        self.tenantsPerConnection = tenantsPerConnection
        self.warmTenants = warmTenants
        self.setupSQL = setupSQL
        self.logger = logger
        self.workers = (0..<size).map { PoolWorker(index: $0) }
        let workers = self.workers
        for worker in workers {
            worker.steal = { [workers] in
                let now = DispatchTime.now().uptimeNanoseconds
                for other in workers where other !== worker {
                    if let job = other.takeIfStalled(now: now, stalledAfter: Self.stalledAfter) { return job }
                }
                return nil
            }
            worker.start(name: "folio-db-\(worker.index)")
        }
    }

    /// Runs `body` with a connection on a worker thread and completes on `eventLoop`.
    /// `tenant` picks the worker (affinity); nil takes the least loaded one. A `client`'s
    /// request is admitted through its (uid, tenant) flow: at most `flowShare` of a
    /// flow's requests are in the workers' queues at once, the rest wait in the flow's
    /// own queue and follow as its earlier ones finish, so a flood from one flow only
    /// ever sits in front of other flows' requests `flowShare` deep. Once the client has
    /// gone, its requests still waiting fail without running.
    public func run<T: Sendable>(
        on eventLoop: EventLoop, tenant: String? = nil, client: PoolClient? = nil,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        let queuedAt = DispatchTime.now().uptimeNanoseconds
        let flow = client.map { FlowKey(uid: $0.uid, tenant: tenant ?? "") }
        let job = Job(tenant: tenant) { [self] worker in
            defer { if let flow { release(flow) } }
            guard let worker else {
                return promise.fail(PostgresError(kind: .connection, message: "the connection pool is shut down"))
            }
            do {
                promise.succeed(try perform(on: worker, tenant: tenant, client: client, queuedAt: queuedAt, body))
            } catch {
                promise.fail(error)
            }
        }
        if let flow { admit(job, to: flow) } else { submit(job) }
        return promise.futureResult
    }

    /// Queues a flow's job on a worker if the flow has fewer than `flowShare` there,
    /// else in the flow's own queue.
    private func admit(_ job: Job, to flow: FlowKey) {
        let admitted = flows.withLockedValue { flows -> Int? in
            if (flows[flow]?.admitted ?? 0) < flowShare {
                flows[flow, default: Flow()].admitted += 1
                return flows[flow]!.admitted
            }
            flows[flow]!.waiting.append(job)
            return nil
        }
        if let admitted { submit(job, burst: admitted > 1) }
    }

    /// A flow's job finished: its next waiting job, if any, goes to a worker.
    private func release(_ flow: FlowKey) {
        let next = flows.withLockedValue { flows -> Job? in
            // In place (optional chaining on the subscript): no copy of the waiting queue.
            if let job = flows[flow]?.waiting.popFirst() { return job }
            flows[flow]?.admitted -= 1
            if flows[flow]?.admitted == 0 { flows[flow] = nil }
            return nil
        }
        if let next { submit(next, burst: true) }
    }

    /// `burst`: the job's flow has others in the workers' queues.
    private func submit(_ job: Job, burst: Bool = false) {
        let worker = pick(job.tenant, margin: burst ? burstSpillover : spillover)
        if !worker.enqueue({ job.run($0) }) { job.run(nil) }
    }

    /// Stops the workers after the work already queued, then closes every connection.
    public func shutdown() async {
        for worker in workers { worker.stop() }
        let workers = self.workers
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                for worker in workers {
                    worker.join()
                    worker.steal = nil  // it holds every worker
                }
                done.resume()
            }
        }
    }

    /// The least loaded of the workers where the tenant's plans are warm (its home worker
    /// and those that gave it a warm slot), unless that one is `margin` jobs busier than
    /// the least loaded of all, then that one; without a tenant, the least loaded one.
    private func pick(_ tenant: String?, margin: Int) -> PoolWorker {
        let now = DispatchTime.now().uptimeNanoseconds
        let home = tenant.map { Self.home(of: $0, among: size) } ?? -1
        let warm = tenant.flatMap { tenant in warmOn.withLockedValue { $0[tenant] } } ?? []
        var least = workers[0], leastLoad = Int.max
        var best = workers[0], bestLoad = Int.max
        for worker in workers {
            let load = worker.load(now: now, stalledAfter: Self.stalledAfter, stallPenalty: spillover + 1)
            if load < leastLoad { (least, leastLoad) = (worker, load) }
            if worker.index == home || warm.contains(worker.index), load < bestLoad { (best, bestLoad) = (worker, load) }
        }
        guard home >= 0 else { return least }
        return bestLoad <= leastLoad + margin ? best : least
    }

    /// On the worker's thread: its connection (opened, or replaced when it is of an
    /// older generation), then `body`; afterwards the connection is kept unless it broke,
    /// was lost, or has served its share of tenants.
    private func perform<T>(
        on worker: PoolWorker, tenant: String?, client: PoolClient?, queuedAt: UInt64, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        if let client, client.isGone { throw Self.clientGone }
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
        connection.queuedNanoseconds = DispatchTime.now().uptimeNanoseconds &- queuedAt
        if let client {
            guard client.begin(on: connection) else { throw Self.clientGone }
        }
        defer { client?.end(on: connection) }
        if let tenant {
            worker.tenants.insert(tenant)
            if worker.warm.count < warmTenants, worker.warm.insert(tenant).inserted {
                warmOn.withLockedValue { _ = $0[tenant, default: []].insert(worker.index) }
            }
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
        warmOn.withLockedValue { warmOn in
            for tenant in worker.warm {
                warmOn[tenant]?.remove(worker.index)
                if warmOn[tenant]?.isEmpty == true { warmOn[tenant] = nil }
            }
        }
        worker.warm = []
    }

    /// What a request of a client that has gone fails with (nobody reads it).
    static let clientGone = PostgresError(kind: .statement, sqlState: "57014", message: "the client has disconnected")

    /// A job running longer than this is taken for stalled (waiting for a lock, or a
    /// long report): new work avoids its worker, and idle workers take over what is
    /// queued behind it.
    static let stalledAfter: UInt64 = 50_000_000

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
