import FolioPostgres
import Logging
import NIOCore

/// Periodic maintenance: purges idempotency keys past their 7-day retention, in the
/// control schema and in every tenant schema (each under its own role, like a request).
struct Housekeeping: Sendable {
    let pool: PostgresPool
    let logger: Logger

    /// Runs once now and then every `interval` until the event loop shuts down.
    func schedule(on eventLoop: EventLoop, every interval: TimeAmount) {
        eventLoop.scheduleRepeatedAsyncTask(initialDelay: .seconds(5), delay: interval) { _ in
            runOnce(on: eventLoop).recover { error in
                logger.warning("housekeeping failed", metadata: ["error": "\(error)"])
            }
        }
    }

    func runOnce(on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        pool.run(on: eventLoop) { db -> (Int, [String]) in
            let purged = try db.query(PostgresStatement(
                "DELETE FROM folio.idempotency_keys WHERE created_at < now() - interval '7 days'")).affectedRows
            let tenants = try db.query(PostgresStatement("SELECT slug FROM folio.tenants ORDER BY id")).rows.compactMap { $0[0] }
            return (purged, tenants)
        }.flatMap { purged, tenants in
            pool.visitInTurn(tenants, on: eventLoop) { db, tenant in
                do {
                    let results = try db.pipeline([
                        TenantEntry.job("housekeeping", tenant: tenant).statement(on: db),
                        PostgresStatement("SELECT idempotency_purge()"),
                    ])
                    return Int(results[1].scalar ?? "0") ?? 0
                } catch {
                    logger.warning("housekeeping: tenant failed", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                    return 0
                }
            }.map { purged + $0 }
        }.map { total in
            if total > 0 { logger.info("purged expired idempotency keys", metadata: ["count": "\(total)"]) }
        }
    }
}
