import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection in blocking mode. Not thread-safe: a `PostgresPool` hands
/// each connection to one thread at a time, never to an event-loop thread.
public final class PostgresConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private var prepared: Set<String> = []
    /// libpq's cancel object: lets another thread cancel the statement running here.
    private let canceller: OpaquePointer?

    /// Connects with a libpq connection string (empty: libpq's PG* environment variables).
    public init(conninfo: String) throws(PostgresError) {
        guard let handle = PQconnectdb(conninfo) else {
            throw PostgresError(kind: .connection, message: "out of memory connecting to PostgreSQL")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let error = PostgresError.connection(handle, "cannot connect to PostgreSQL")
            PQfinish(handle)
            throw error
        }
        // Notices (e.g. "already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
        self.canceller = PQgetCancel(handle)
    }

    deinit {
        if let canceller { PQfreeCancel(canceller) }
        PQfinish(handle)
    }

    /// Asks the server to cancel the statement running on this connection (SQLSTATE
    /// 57014 for it). Safe from any thread; blocks for one local round trip.
    func cancelRunningStatement() {
        guard let canceller else { return }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(canceller, &message, Int32(message.count))
    }

    /// False once libpq knows the connection is broken.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// The server's process id, to tell connections apart in logs and tests.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Set by the pool for each request: whether its tenant is one of the first tenants
    /// this connection served (see `PostgresPool.warmTenants`).
    public internal(set) var servesWarmTenant = false

    /// Set by the pool for each request: how long it waited in the pool's queues before
    /// this connection took it (so a deadline can count the wait).
    public internal(set) var queuedNanoseconds: UInt64 = 0

    /// The notifications (NOTIFY) that reached this connection since the last call, oldest
    /// first, without waiting: reads what the socket already holds. A connection that
    /// LISTENs polls this; throws once the connection is lost.
    public func notifications() throws(PostgresError) -> [PostgresNotification] {
        guard PQconsumeInput(handle) == 1 else { throw PostgresError.connection(handle, "connection lost") }
        var received: [PostgresNotification] = []
        while let notice = PQnotifies(handle) {
            received.append(PostgresNotification(channel: String(cString: notice.pointee.relname),
                                                 payload: String(cString: notice.pointee.extra)))
            PQfreemem(notice)
        }
        return received
    }

    /// Runs SQL text through the simple query protocol: one or more statements without
    /// parameters, such as a migration file or `BEGIN`. Returns the last statement's rows.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresResult {
        guard let result = PQexec(handle, sql) else { throw PostgresError.connection(handle, "connection lost") }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result)
        default:
            throw PostgresError(result: result, connectionBad: PQstatus(handle) != CONNECTION_OK)
        }
    }

    /// Runs one parameterized statement.
    @discardableResult
    public func query(_ statement: PostgresStatement) throws(PostgresError) -> PostgresResult {
        try pipeline([statement])[0]
    }

    /// Sends all statements in one round trip (libpq pipeline mode) followed by one Sync,
    /// so outside an explicit transaction they run and commit as one implicit transaction.
    /// Throws the first failure; statements after it are skipped by the server.
    public func pipeline(_ statements: [PostgresStatement]) throws(PostgresError) -> [PostgresResult] {
        guard PQenterPipelineMode(handle) == 1 else { throw PostgresError.connection(handle, "cannot enter pipeline mode") }
        var expected: [String?] = []  // per sent message: the name being prepared, or nil for a query
        var sendFailed = false
        for statement in statements where !sendFailed {
            if let name = statement.preparedName, !prepared.contains(name) {
                if PQsendPrepare(handle, name, statement.sql, Int32(statement.parameters.count), nil) == 1 {
                    expected.append(name)
                } else {
                    sendFailed = true
                    break
                }
            }
            let sent = withCStrings(statement.parameters) { values in
                if let name = statement.preparedName {
                    PQsendQueryPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
                } else {
                    PQsendQueryParams(handle, statement.sql, Int32(values.count), nil, values, nil, nil, 0)
                }
            }
            if sent == 1 { expected.append(nil) } else { sendFailed = true }
        }
        if sendFailed || PQpipelineSync(handle) != 1 || PQflush(handle) != 0 {
            throw PostgresError.connection(handle, "connection lost while sending")
        }

        var results: [PostgresResult] = []
        var failure: PostgresError?
        for preparing in expected {
            guard let result = PQgetResult(handle) else { throw PostgresError.connection(handle, "connection lost") }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                if let preparing { prepared.insert(preparing) } else { results.append(PostgresResult(result)) }
            case PGRES_PIPELINE_ABORTED:
                break
            default:
                if failure == nil { failure = PostgresError(result: result, connectionBad: PQstatus(handle) != CONNECTION_OK) }
            }
            PQclear(result)
            // Each statement's results end with a NULL.
            if let extra = PQgetResult(handle) { PQclear(extra) }
        }
        guard let sync = PQgetResult(handle) else { throw PostgresError.connection(handle, "connection lost") }
        let syncStatus = PQresultStatus(sync)
        PQclear(sync)
        guard syncStatus == PGRES_PIPELINE_SYNC, PQexitPipelineMode(handle) == 1 else {
            throw failure ?? PostgresError.connection(handle, "pipeline out of step")
        }
        if let failure {
            if failure.sqlState == "26000" { prepared.removeAll() }  // a prepared statement vanished
            throw failure
        }
        return results
    }
}

/// Calls `body` with NUL-terminated copies of the values (NULL pointers for SQL NULL).
private func withCStrings<R>(_ values: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = values.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}
