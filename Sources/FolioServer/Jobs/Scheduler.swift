import FolioPostgres
import FolioWire
import Logging
import NIOCore

/// The daily collections jobs: every `interval` it visits each tenant (on the tenant's
/// home pooled connection, under the tenant's role, like `OutboxSender`) and, once the
/// tenant's local time is past `time`, runs `recurring.run` then `reminder.run` for the
/// tenant's local day (`scheduler_due` / `scheduler_run` in Schema/code/scheduler_runs.sql).
/// Each job runs in its own transaction under a try-advisory lock and the unique
/// (day, job) row, so two servers never run a tenant's day twice; a failed job is logged,
/// recorded (`scheduler_failed`) and retried on the next pass.
struct Scheduler: Sendable {
    let pool: PostgresPool
    let logger: Logger
    /// Local time of day ("HH:MM") after which a tenant's day is run.
    let time: String
    /// Statement timeout of one job (longer than a request's).
    var jobTimeout = "30min"

    /// Runs every `interval` (after a first short delay) until the event loop shuts down.
    func schedule(on eventLoop: EventLoop, every interval: TimeAmount) {
        eventLoop.scheduleRepeatedAsyncTask(initialDelay: min(interval, .seconds(2)), delay: interval) { _ in
            runOnce(on: eventLoop).map { _ in () }.recover { error in
                logger.warning("scheduler pass failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass over every tenant, one after the other; returns how many jobs ran.
    @discardableResult
    func runOnce(on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        pool.run(on: eventLoop) { db in
            try db.query(PostgresStatement("SELECT slug, created_at::text FROM folio.tenants ORDER BY id")).rows
                .compactMap { row in row[0].map { ($0, row[1] ?? "-infinity") } }
        }.flatMap { tenants in
            tenants.reduce(eventLoop.makeSucceededFuture(0)) { soFar, tenant in
                soFar.flatMap { done in
                    pool.run(on: eventLoop, tenant: tenant.0) { db in
                        done + runDue(db, tenant: tenant.0, createdAt: tenant.1)
                    }
                }
            }
        }
    }

    /// Runs the tenant's due jobs in order, each in its own transaction; never throws.
    private func runDue(_ db: PostgresConnection, tenant: String, createdAt: String) -> Int {
        let enter = TenantEntry.job("scheduler", tenant: tenant).statement(on: db)
        let due: [JSON]
        do {
            let results = try db.pipeline([
                enter,
                PostgresStatement("SELECT scheduler_due($1, $2::timestamptz)::text", [time, createdAt],
                                  prepareAs: "folio_scheduler_due"),
            ])
            due = try JSONParser.parse(results[1].scalar ?? "[]").arrayValue ?? []
        } catch {
            logger.warning("scheduler: cannot read due jobs", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            return 0
        }
        var ran = 0
        for item in due {
            guard let job = item["job"]?.stringValue, let day = item["day"]?.stringValue else { continue }
            do {
                let results = try db.pipeline([
                    enter,
                    // A first run over a big tenant (many charge invoices) may take longer than a request may.
                    PostgresStatement("SET LOCAL statement_timeout = '\(jobTimeout)'"),
                    PostgresStatement("SELECT scheduler_run($1, $2::date)::text", [job, day], prepareAs: "folio_scheduler_run"),
                ])
                guard let text = results[2].scalar else { continue }   // another server has it, or it is done
                ran += 1
                let counts = (try? JSONParser.parse(text))?["counts"].map { JSONWriter.string($0) } ?? "{}"
                logger.info("scheduler: job done", metadata: [
                    "tenant": "\(tenant)", "job": "\(job)", "day": "\(day)", "counts": "\(counts)"])
            } catch {
                logger.error("scheduler: job failed, retried next pass", metadata: [
                    "tenant": "\(tenant)", "job": "\(job)", "day": "\(day)", "error": "\(error)"])
                _ = try? db.pipeline([
                    enter,
                    PostgresStatement("SELECT scheduler_failed($1, $2::date, $3)::text", [job, day, "\(error)"],
                                      prepareAs: "folio_scheduler_failed"),
                ])
            }
        }
        return ran
    }
}
