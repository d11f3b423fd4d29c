import FolioMail
import FolioPostgres
import FolioWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The `foliod` service: listens on the Unix socket and serves requests until a
/// graceful shutdown (SIGTERM), which stops accepting, lets in-flight requests finish,
/// then closes every connection and the database pool.
public final class FolioServer: Service {
    public static let version = "0.1.0"

    private let configuration: ServerConfiguration
    private let logger: Logger
    private let pool: PostgresPool
    private let migrator: Migrator
    private let dispatcher: Dispatcher
    private let limiter: ConnectionLimiter
    private let inFlight = InFlightRequests()
    private let connections = NIOLockedValueBox<[ObjectIdentifier: Channel]>([:])
    private let group: MultiThreadedEventLoopGroup

    public init(configuration: ServerConfiguration, schema: SchemaFiles, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        self.pool = PostgresPool(
            conninfo: configuration.database, size: configuration.poolSize,
            tenantsPerConnection: configuration.tenantsPerConnection,
            warmTenants: configuration.warmTenants,
            flowShare: configuration.poolShare,
            setupSQL: """
                SET application_name = 'foliod';
                SET statement_timeout = '\(configuration.statementTimeout)';
                SET lock_timeout = '\(configuration.lockTimeout)';
                SET idle_in_transaction_session_timeout = '60s';
                SET TIME ZONE 'UTC';
                """,
            logger: logger)
        self.migrator = Migrator(schema: schema)
        self.limiter = ConnectionLimiter(limit: configuration.maximumConnectionsPerUID)
        self.dispatcher = Dispatcher(
            pool: pool, administration: TenantAdministration(pool: pool, migrator: migrator),
            logger: logger, version: Self.version)
    }

    public func run() async throws {
        var admins = configuration.adminUIDs
        admins.insert(0)
        admins.insert(getuid())
        let adminUIDs = admins
        let configuration = configuration
        let logger = logger

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.writeBufferWaterMark, value: .init(
                low: configuration.maximumUnsentBytes / 2, high: configuration.maximumUnsentBytes))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        FrameDecoder(maximumBytes: configuration.maximumFrameBytes, deadline: configuration.frameDeadline),
                        RPCConnectionHandler(dispatcher: dispatcher, limiter: limiter, inFlight: inFlight,
                                             adminUIDs: adminUIDs, idleTimeout: configuration.idleTimeout,
                                             maximumInFlight: configuration.maximumInFlightPerConnection, logger: logger),
                    ])
                    track(channel)
                }
            }
        let server = try await bootstrap.bind(unixDomainSocketPath: configuration.socketPath, cleanupExistingSocketFile: true).get()
        chmod(configuration.socketPath, mode_t(configuration.socketMode))
        Housekeeping(pool: pool, logger: logger).schedule(on: group.any(), every: .hours(1))
        SpareSchemaKeeper(pool: pool, migrator: migrator, target: configuration.spareTenants, logger: logger)
            .schedule(on: group.any(), every: .seconds(1))
        OutboxSender(pool: pool, logger: logger, mailer: Mailer(command: configuration.sendmailCommand),
                     watch: OutboxWatch(conninfo: configuration.database, sweepEvery: configuration.dispatchSweepPasses),
                     defaultFrom: configuration.mailFrom, backoffBase: configuration.dispatchBackoffBase)
            .schedule(on: group.any(), every: configuration.dispatchInterval)
        if configuration.schedulerInterval > .zero {
            Scheduler(pool: pool, logger: logger, time: configuration.schedulerTime)
                .schedule(on: group.any(), every: configuration.schedulerInterval)
        }
        logger.info("foliod listening", metadata: [
            "socket": "\(configuration.socketPath)", "version": "\(Self.version)", "pool": "\(configuration.poolSize)",
        ])

        try await withGracefulShutdownHandler {
            try await server.closeFuture.get()
        } onGracefulShutdown: {
            logger.info("shutting down: no new connections, finishing requests in flight")
            server.close(promise: nil)
        }
        await drain()
        await pool.shutdown()
        try? await group.shutdownGracefully()
        unlink(configuration.socketPath)
        logger.info("foliod stopped")
    }

    /// Waits for in-flight requests (bounded by the drain timeout), then closes every connection.
    private func drain() async {
        let drained = inFlight.drained(on: group.any())
        let limit = configuration.drainTimeout
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try? await drained.get() }
            tasks.addTask { try? await Task.sleep(nanoseconds: UInt64(limit.nanoseconds)) }
            await tasks.next()
            tasks.cancelAll()
        }
        let open = connections.withLockedValue { Array($0.values) }
        for channel in open { try? await channel.close() }
    }

    private func track(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { [connections] _ in
            connections.withLockedValue { $0[id] = nil }
        }
    }
}
