import FolioWire
import NIOCore

/// Everything `foliod serve` can be told, with the contract's defaults.
public struct ServerConfiguration: Sendable {
    public var socketPath = "/run/folio/folio.sock"
    /// Permission bits of the socket file (who may connect at all).
    public var socketMode: UInt32 = 0o660
    /// libpq connection string; empty means libpq's PG* environment variables.
    public var database = ""
    public var poolSize = 8
    /// Distinct tenants a pooled database connection serves before it is replaced, so a
    /// backend's per-tenant caches stay bounded however many tenants exist.
    public var tenantsPerConnection = 120
    /// How many tenants, the first a pooled connection serves, get their own compiled
    /// copies of the hottest functions (plans that survive tenant switches); the others
    /// share one copy.
    public var warmTenants = 16
    /// Spare tenant schemas kept ready so tenant.create only renames one (0: none).
    public var spareTenants = 4
    public var adminUIDs: Set<UInt32> = []
    public var maximumFrameBytes = Frame.defaultMaximumRequestBytes
    public var idleTimeout = TimeAmount.seconds(60)
    public var frameDeadline = TimeAmount.seconds(10)
    public var maximumConnectionsPerUID = 64
    /// Requests of one connection read and not yet answered; past it the connection is
    /// not read until an answer goes out (a batch counts its elements).
    public var maximumInFlightPerConnection = 64
    /// Unsent response bytes of one connection past which it is not read until the
    /// client has taken them down to half.
    public var maximumUnsentBytes = 256 * 1024
    /// Requests of one (uid, tenant) flow in the pool workers' queues at once; the rest
    /// wait in the flow's own queue (nil: pool size - 1).
    public var poolShare: Int?
    /// Longest a SIGTERM waits for in-flight requests before closing connections anyway.
    public var drainTimeout = TimeAmount.seconds(25)
    public var statementTimeout = "15s"
    public var lockTimeout = "5s"
    /// The sendmail-compatible command that gets each e-mail on stdin.
    public var sendmailCommand = "/usr/sbin/sendmail -t -i"
    /// From address of e-mail when the tenant has no e-mail address of its own.
    public var mailFrom = "folio@folio.local"
    /// How often the outbox sender looks for due e-mail.
    public var dispatchInterval = TimeAmount.seconds(5)
    /// Every this many passes the outbox sender visits every tenant (see `OutboxWatch`).
    public var dispatchSweepPasses = 60
    /// First retry delay after a failed delivery (doubles per attempt, at most 6 hours).
    public var dispatchBackoffBase = TimeAmount.minutes(1)
    /// Local time of day ("HH:MM", tenant's time zone) after which the daily collections
    /// jobs (recurring.run, reminder.run) run for a tenant.
    public var schedulerTime = "06:00"
    /// How often the scheduler looks for tenants whose day is due (zero: never).
    public var schedulerInterval = TimeAmount.seconds(60)

    public init() {}
}
