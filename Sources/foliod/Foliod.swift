import Foundation
import ArgumentParser
import FolioPostgres
import FolioServer
import Logging
import ServiceLifecycle

@main
struct Foliod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "foliod",
        abstract: "The Folio invoicing server.",
        version: FolioServer.version,
        subcommands: [Serve.self, Migrate.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by the subcommands.
struct CommonOptions: ParsableArguments {
    @Option(help: "libpq connection string (default: $FOLIO_DATABASE, else libpq's PG* environment).")
    var database: String?

    @Option(help: "Folder holding the SQL migrations (control/ and tenant/).")
    var schemaDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    var conninfo: String { database ?? ProcessInfo.processInfo.environment["FOLIO_DATABASE"] ?? "" }

    func makeLogger(_ label: String) -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }

    func loadSchema() throws -> SchemaFiles {
        try SchemaFiles(directory: schemaDir ?? SchemaFiles.defaultDirectory())
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve requests on the Unix socket (the default).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Unix socket path.")
    var socket: String = ProcessInfo.processInfo.environment["FOLIO_SOCKET"] ?? "/run/folio/folio.sock"

    @Option(help: "Permission bits of the socket file, octal.")
    var socketMode: String = "0660"

    @Option(name: .customLong("admin-uid"), help: "A uid with administrator rights (repeatable); uid 0 and the server's own uid always are.")
    var adminUIDs: [UInt32] = []

    @Option(help: "Database connections (and worker threads).")
    var poolSize: Int = 8

    @Option(help: "Distinct tenants a database connection serves before it is replaced (bounds PostgreSQL's memory).")
    var tenantsPerConnection: Int = 120

    @Option(help: "Tenants per database connection that get their own plans of the hottest functions (about 1 MB each; default: 16, at most --tenants-per-connection).")
    var warmTenants: Int?

    @Option(help: "Spare tenant schemas kept ready, so tenant.create only renames one (0: none).")
    var spareTenants: Int = 4

    @Option(help: "Largest request frame in bytes (64 to 4294967295).")
    var maxFrameBytes: Int = 1 << 20

    @Option(help: "Seconds a connection may sit idle before it is closed.")
    var idleTimeout: Int64 = 60

    @Option(help: "Seconds from a frame's first byte by which it must be complete.")
    var frameDeadline: Int64 = 10

    @Option(help: "Concurrent connections allowed per uid.")
    var maxConnectionsPerUid: Int = 64

    @Option(help: "Requests of one connection in flight (read, not yet answered); past it the connection is not read.")
    var maxInFlight: Int = 64

    @Option(help: "Unsent response bytes of one connection past which it is not read until half of them are taken (at least 4096).")
    var maxUnsentBytes: Int = 256 * 1024

    @Option(help: "Requests of one uid for one tenant in the database workers' queues at once (1 to pool size; default: pool size - 1).")
    var poolShare: Int?

    @Option(help: "Longest statement, a PostgreSQL duration such as 15s, 500ms or 2min.")
    var statementTimeout: String = "15s"

    @Option(help: "Longest wait for a lock, a PostgreSQL duration such as 5s or 800ms.")
    var lockTimeout: String = "5s"

    @Option(help: "Mailer command (sendmail interface; gets each message on stdin).")
    var sendmail: String = "/usr/sbin/sendmail -t -i"

    @Option(help: "From address of e-mail for tenants without an e-mail address.")
    var mailFrom: String = "folio@folio.local"

    @Option(help: "Milliseconds between passes of the e-mail outbox sender.")
    var dispatchIntervalMs: Int64 = 5000

    @Option(help: "Every this many passes the outbox sender visits every tenant; in between only the tenants whose outbox announced new mail or has a retry due.")
    var dispatchSweepPasses: Int = 60

    @Option(help: "Milliseconds before the first retry of a failed e-mail (doubles per attempt, at most 6 hours).")
    var dispatchBackoffMs: Int64 = 60000

    @Option(help: "Local time (HH:MM, each tenant's time zone) after which the daily recurring.run and reminder.run run.")
    var schedulerTime: String = "06:00"

    @Option(help: "Milliseconds between the scheduler's checks for tenants whose day is due (0: scheduler off).")
    var schedulerIntervalMs: Int64 = 60000

    func validate() throws {
        guard UInt32(socketMode, radix: 8) != nil else { throw ValidationError("--socket-mode must be octal, e.g. 0660") }
        guard poolSize >= 1 else { throw ValidationError("--pool-size must be at least 1") }
        guard tenantsPerConnection >= 1 else { throw ValidationError("--tenants-per-connection must be at least 1") }
        guard spareTenants >= 0 else { throw ValidationError("--spare-tenants must not be negative") }
        if let warmTenants {
            guard warmTenants >= 0 else { throw ValidationError("--warm-tenants must not be negative") }
            guard warmTenants <= tenantsPerConnection else {
                throw ValidationError("--warm-tenants (\(warmTenants)) must not exceed --tenants-per-connection (\(tenantsPerConnection)): "
                                      + "a connection serves no more tenants than that")
            }
        }
        guard maxFrameBytes >= 64 else { throw ValidationError("--max-frame-bytes must be at least 64") }
        guard maxFrameBytes <= Int(UInt32.max) else {
            throw ValidationError("--max-frame-bytes must be at most \(UInt32.max) (a frame's length has 32 bits)")
        }
        guard idleTimeout >= 1 else { throw ValidationError("--idle-timeout must be at least 1 (seconds)") }
        guard frameDeadline >= 1 else { throw ValidationError("--frame-deadline must be at least 1 (seconds)") }
        guard maxConnectionsPerUid >= 1 else { throw ValidationError("--max-connections-per-uid must be at least 1") }
        guard maxInFlight >= 1 else { throw ValidationError("--max-in-flight must be at least 1") }
        guard maxUnsentBytes >= Self.minimumUnsentBytes else {
            throw ValidationError("--max-unsent-bytes must be at least \(Self.minimumUnsentBytes)")
        }
        if let poolShare {
            guard poolShare >= 1 else { throw ValidationError("--pool-share must be at least 1") }
            guard poolShare <= poolSize else {
                throw ValidationError("--pool-share (\(poolShare)) must not exceed --pool-size (\(poolSize))")
            }
        }
        for (option, value) in [("--statement-timeout", statementTimeout), ("--lock-timeout", lockTimeout)] {
            guard let ms = Self.milliseconds(ofDuration: value), ms >= 1, ms <= Double(Int32.max) else {
                throw ValidationError("\(option) must be a duration from 1ms to \(Int32.max)ms such as 15s, 500ms or 2min "
                                      + "(units us, ms, s, min, h, d; none: ms), not \"\(value)\"")
            }
        }
        guard dispatchIntervalMs >= 10 else { throw ValidationError("--dispatch-interval-ms must be at least 10") }
        guard dispatchSweepPasses >= 1 else { throw ValidationError("--dispatch-sweep-passes must be at least 1") }
        guard Self.isTimeOfDay(schedulerTime) else { throw ValidationError("--scheduler-time must be HH:MM, e.g. 06:00") }
        guard schedulerIntervalMs == 0 || schedulerIntervalMs >= 10 else {
            throw ValidationError("--scheduler-interval-ms must be 0 (off) or at least 10")
        }
        guard dispatchBackoffMs >= 0 else { throw ValidationError("--dispatch-backoff-ms must not be negative") }
    }

    func run() async throws {
        let logger = common.makeLogger("foliod")
        var configuration = ServerConfiguration()
        configuration.socketPath = socket
        configuration.socketMode = UInt32(socketMode, radix: 8)!
        configuration.database = common.conninfo
        configuration.adminUIDs = Set(adminUIDs)
        configuration.poolSize = poolSize
        configuration.tenantsPerConnection = tenantsPerConnection
        configuration.spareTenants = spareTenants
        configuration.warmTenants = warmTenants ?? min(16, tenantsPerConnection)
        configuration.maximumFrameBytes = maxFrameBytes
        configuration.idleTimeout = .seconds(idleTimeout)
        configuration.frameDeadline = .seconds(frameDeadline)
        configuration.maximumConnectionsPerUID = maxConnectionsPerUid
        configuration.maximumInFlightPerConnection = maxInFlight
        configuration.maximumUnsentBytes = maxUnsentBytes
        configuration.poolShare = poolShare
        configuration.statementTimeout = statementTimeout
        configuration.lockTimeout = lockTimeout
        configuration.sendmailCommand = sendmail
        configuration.mailFrom = mailFrom
        configuration.dispatchInterval = .milliseconds(dispatchIntervalMs)
        configuration.dispatchSweepPasses = dispatchSweepPasses
        configuration.dispatchBackoffBase = .milliseconds(dispatchBackoffMs)
        configuration.schedulerTime = schedulerTime
        configuration.schedulerInterval = .milliseconds(schedulerIntervalMs)
        let server = FolioServer(configuration: configuration, schema: try common.loadSchema(), logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension Serve {
    /// The smallest --max-unsent-bytes: with less, a connection would stop being read behind
    /// one or two ordinary answers.
    static let minimumUnsentBytes = 4096

    /// The milliseconds of a PostgreSQL duration setting (`15s`, `500ms`, `1.5min`, `1500`:
    /// a number, then optionally one of PostgreSQL's time units; none means milliseconds),
    /// or nil when `s` is not one. The server puts the text into `SET statement_timeout`
    /// and `SET lock_timeout` on every pooled connection.
    static func milliseconds(ofDuration s: String) -> Double? {
        let units: [String: Double] = ["us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000]
        let number = s.prefix { ("0"..."9").contains($0) || $0 == "." }
        let unit = s.dropFirst(number.count).drop { $0 == " " }
        guard let first = number.first, first != ".", number.filter({ $0 == "." }).count <= 1, number.last != ".",
              let value = Double(number), let factor = unit.isEmpty ? 1 : units[String(unit)]
        else { return nil }
        return value * factor
    }

    /// Whether `s` is a time of day `HH:MM` (00:00 to 23:59).
    static func isTimeOfDay(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let h = Int(parts[0]), let m = Int(parts[1]) else { return false }
        return (0..<24).contains(h) && (0..<60).contains(m)
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring the control schema and every tenant schema to the latest version (idempotent).")

    @OptionGroup var common: CommonOptions

    func run() throws {
        _ = common.makeLogger("foliod")
        var migrator = Migrator(schema: try common.loadSchema())
        migrator.progress = { print($0) }
        let db = try PostgresConnection(conninfo: common.conninfo)
        try migrator.migrateAll(db)
    }
}
