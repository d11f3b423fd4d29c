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
    public var adminUIDs: Set<UInt32> = []
    public var maximumFrameBytes = Frame.defaultMaximumRequestBytes
    public var idleTimeout = TimeAmount.seconds(60)
    public var frameDeadline = TimeAmount.seconds(10)
    public var maximumConnectionsPerUID = 64
    /// Longest a SIGTERM waits for in-flight requests before closing connections anyway.
    public var drainTimeout = TimeAmount.seconds(25)
    public var statementTimeout = "15s"
    public var lockTimeout = "5s"
    /// Where the SQL migrations live (`Schema/`).
    public var schemaDirectory: String

    public init(schemaDirectory: String) {
        self.schemaDirectory = schemaDirectory
    }
}
