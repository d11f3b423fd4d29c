import FolioPostgres
import FolioWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The daily collections jobs: every `interval` it visits each tenant whose next check is
/// due (on the tenant's home pooled connection, under the tenant's role, like
/// `OutboxSender`) and, once the tenant's local time is past `time`, runs `recurring.run`
/// then `reminder.run` for the tenant's local day (`scheduler_due` / `scheduler_run` in
/// Schema/code/scheduler_runs.sql). A visit learns when to look next: the tenant's next
/// scheduler time, at most an hour away; a new tenant (or a restarted server) is visited
/// at once, a failed or contended job again on the next pass.
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
    /// Tenant slug -> when to visit it next.
    private let nextCheck = NIOLockedValueBox<[String: Date]>([:])

    init(pool: PostgresPool, logger: Logger, time: String) {
        self.pool = pool
        self.logger = logger
        self.time = time
    }

    /// Runs every `interval` (after a first short delay) until the event loop shuts down.
    func schedule(on eventLoop: EventLoop, every interval: TimeAmount) {
        eventLoop.scheduleRepeatedAsyncTask(initialDelay: min(interval, .seconds(2)), delay: interval) { _ in
            runOnce(on: eventLoop).map { _ in () }.recover { error in
                logger.warning("scheduler pass failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass over the tenants whose check is due, one after the other; returns how
    /// many jobs ran.
    @discardableResult
    func runOnce(on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        pool.run(on: eventLoop) { db -> [(slug: String, createdAt: String)] in
            let now = Date()
            let later = nextCheck.withLockedValue { $0.filter { $0.value > now } }
            return try db.query(PostgresStatement("SELECT slug, created_at::text FROM folio.tenants ORDER BY id")).rows
                .compactMap { row in row[0].map { ($0, row[1] ?? "-infinity") } }
                .filter { later[$0.slug] == nil }
        }.flatMap { (tenants: [(slug: String, createdAt: String)]) -> EventLoopFuture<Int> in
            let createdAt = Dictionary(tenants, uniquingKeysWith: { first, _ in first })
            return pool.visitInTurn(tenants.map(\.slug), on: eventLoop) { db, tenant in
                runDue(db, tenant: tenant, createdAt: createdAt[tenant] ?? "-infinity")
            }
        }
    }

    /// Runs the tenant's due jobs in order, each in its own transaction, and notes when to
    /// look next; never throws.
    private func runDue(_ db: PostgresConnection, tenant: String, createdAt: String) -> Int {
        logger.debug("scheduler: visiting tenant", metadata: ["tenant": "\(tenant)"])
        let enter = TenantEntry.job("scheduler", tenant: tenant).statement(on: db)
        let due: [JSON]
        var next = Date()   // the next pass, unless nothing was due
        defer { nextCheck.withLockedValue { $0[tenant] = next } }
        do {
            let results = try db.pipeline([
                enter,
                PostgresStatement("SELECT scheduler_due($1, $2::timestamptz)::text", [time, createdAt],
                                  prepareAs: "folio_scheduler_due"),
            ])
            let answer = try JSONParser.parse(results[1].scalar ?? "{}")
            due = answer["jobs"]?.arrayValue ?? []
            if case .number(let text)? = answer["next_check"], let seconds = Double(text), due.isEmpty {
                next = Date(timeIntervalSince1970: seconds)
            }
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
