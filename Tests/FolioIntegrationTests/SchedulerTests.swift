import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// The daily scheduler in foliod: two servers on one database, both checking every
/// 100 ms, run each tenant's day (recurring.run then reminder.run) exactly once.
@Suite(.timeLimit(.minutes(5))) struct SchedulerTests {
    /// A server that makes the tenants of a test (the scheduler off), so they can be
    /// backdated before a scheduling server first looks at them.
    static let schedulerOff = ["--scheduler-interval-ms", "0"]

    @Test func twoServersRunEachTenantsDayOnce() throws {
        let cluster = try PrivateCluster()
        // Tenants made today are first visited tomorrow; these are backdated below, before
        // the scheduling servers start (a server remembers when to look at a tenant next).
        let setup = try ServerProcess(database: cluster.database, arguments: Self.schedulerOff)
        defer { setup.stop() }
        var tenants: [String] = []
        for _ in 0..<3 {
            let tenant = try setup.makeTenant("sched", settings: [
                "reminder_levels": [["level": 1, "days_past_due": 0, "fee": "2.00", "message": "Please pay."]],
            ])
            let inv = Invoicing(client: try setup.connect(), tenant: tenant)
            let customer = try inv.customer("Scheduled", terms: 0)
            _ = try inv.draft(customer: customer, [("Old work", "1", "100.00", nil)], extra: ["issue": true, "issue_date": "2026-01-02"])
            _ = try inv.call("recurring.create", ["customer_id": JSON(customer), "interval": "monthly", "start_date": "2026-01-05",
                                                  "count": 2, "lines": [["description": "Retainer", "qty": "1", "unit_price": "10.00"]]])
            tenants.append(tenant)
        }
        let fresh = try setup.makeTenant("schedfresh")
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        try db.execute("UPDATE folio.tenants SET created_at = now() - interval '2 days' WHERE slug LIKE 'sched\\_%' AND slug <> '\(fresh)'")
        setup.stop()
        let arguments = ["--scheduler-time", "00:00", "--scheduler-interval-ms", "100", "--pool-size", "3"]
        let first = try ServerProcess(database: cluster.database, arguments: arguments)
        defer { first.stop() }
        let second = try ServerProcess(database: cluster.database, arguments: arguments)
        defer { second.stop() }

        for tenant in tenants {
            let client = Invoicing(client: try second.connect(), tenant: tenant)
            let done = try eventually(60) {
                let runs = try client.call("scheduler.list")["items"]?.arrayValue ?? []
                return runs.count == 2 && runs.allSatisfy { $0["finished_at"]?.stringValue != nil }
            }
            try #require(done, "scheduler did not run \(tenant); logs:\n\(first.log())\n\(second.log())")
        }
        func visits(_ tenant: String) -> Int {
            (first.log() + second.log()).components(separatedBy: "\n")
                .filter { $0.contains("scheduler: visiting tenant") && $0.contains("tenant=\(tenant)") }.count
        }
        usleep(500_000)   // the visit after the runs, which learns the next check
        let visitsBefore = tenants.map(visits)
        #expect(visitsBefore.allSatisfy { $0 > 0 }, "no visits logged")
        usleep(1_500_000)   // many more passes of both servers
        // The day is done: no server looks at these tenants again before the next check
        // (their next scheduler time, at most an hour away), however often it passes.
        #expect(tenants.map(visits) == visitsBefore, "visited again: \(visitsBefore) -> \(tenants.map(visits))")
        for tenant in tenants {
            let client = Invoicing(client: try second.connect(), tenant: tenant)
            let runs = try client.call("scheduler.list")["items"]?.arrayValue ?? []
            #expect(runs.map { $0["job"] } == ["recurring.run", "reminder.run"])
            #expect(runs.allSatisfy { $0["error"] == .null && $0["attempts"] == 1 })
            #expect(runs.allSatisfy { $0["day"] == runs[0]["day"] })
            #expect(runs.first?["counts"]?["generated"] == 2)
            #expect(runs.last?["counts"]?["created"] == 1)
            // What they made: two periods, one reminder with its fee invoice, each once.
            #expect(try client.call("recurring.list")["items"]?.arrayValue?.first?["status"] == "completed")
            let reminders = try client.call("reminder.list")["items"]?.arrayValue ?? []
            #expect(reminders.count == 1)
            #expect(reminders.first?["fee_invoice_number"]?.stringValue != nil)
            #expect(try client.call("invoice.list")["items"]?.arrayValue?.count == 1 + 2 + 1)
            #expect(try client.call("audit.verify")["ok"] == .bool(true))
            let logged = (first.log() + second.log()).components(separatedBy: "\n")
                .filter { $0.contains("scheduler: job done") && $0.contains("tenant=\(tenant)") }
            #expect(logged.count == 2, "\(logged)")
        }
        // The tenant made today waits for tomorrow.
        #expect(try Invoicing(client: try first.connect(), tenant: fresh).call("scheduler.list")["items"] == .array([]))
    }
    @Test func aFailingJobIsRecordedAndRetriedOnTheNextPass() throws {
        let cluster = try PrivateCluster()
        let setup = try ServerProcess(database: cluster.database, arguments: Self.schedulerOff)
        defer { setup.stop() }
        let tenant = try setup.makeTenant("schedfail", settings: [
            "reminder_levels": [["level": 1, "days_past_due": 0, "message": "Please pay."]],
        ])
        let customer = try Invoicing(client: try setup.connect(), tenant: tenant).customer("Failing", terms: 0)
        _ = try Invoicing(client: try setup.connect(), tenant: tenant)
            .draft(customer: customer, [("Work", "1", "10.00", nil)], extra: ["issue": true, "issue_date": "2026-02-02"])
        // Reminders cannot be written until the trigger is dropped: reminder.run fails.
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        try db.execute("""
            CREATE FUNCTION public.refuse_reminders() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'reminders are switched off for this test'; END $$
            """)
        try db.execute("CREATE TRIGGER refuse BEFORE INSERT ON t_\(tenant).reminders FOR EACH ROW EXECUTE FUNCTION public.refuse_reminders()")
        try db.execute("UPDATE folio.tenants SET created_at = now() - interval '2 days' WHERE slug = '\(tenant)'")
        setup.stop()
        let server = try ServerProcess(database: cluster.database, arguments: [
            "--scheduler-time", "00:00", "--scheduler-interval-ms", "100"])
        defer { server.stop() }
        let inv = Invoicing(client: try server.connect(), tenant: tenant)

        func run(_ job: String) throws -> JSON? {
            try inv.call("scheduler.list", ["job": .string(job)])["items"]?.arrayValue?.first
        }
        #expect(try eventually(60) { (try run("reminder.run")?["attempts"]?.int64Value ?? 0) >= 2 },
                "the failed job was not retried; log:\n\(server.log())")
        let failed = try #require(try run("reminder.run"))
        #expect(failed["error"]?.stringValue?.contains("reminders are switched off") == true)
        #expect(failed["finished_at"] == .null)
        #expect(try run("recurring.run")?["error"] == .null)
        #expect(try inv.call("reminder.list")["items"] == .array([]))
        #expect(server.log().contains("scheduler: job failed, retried next pass"))

        try db.execute("DROP TRIGGER refuse ON t_\(tenant).reminders")
        #expect(try eventually(60) { try run("reminder.run")?["finished_at"]?.stringValue != nil })
        let done = try #require(try run("reminder.run"))
        #expect(done["error"] == .null)
        #expect(done["counts"]?["created"] == 1)
        #expect(try inv.call("scheduler.list")["items"]?.arrayValue?.count == 2)
        #expect(try inv.call("reminder.list")["items"]?.arrayValue?.count == 1)
    }

    private static let iso: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")!
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()

    /// A date in a time zone, `days` days on (these zones have no daylight saving time).
    private static func localDate(_ date: Date, _ zone: String, plus days: Int = 0) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = TimeZone(identifier: zone)!
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date.addingTimeInterval(Double(days) * 86_400))
    }

    /// Far from UTC: Pacific/Kiritimati (UTC+14) and Pacific/Honolulu (UTC-10) show the
    /// same time of day a date apart, Pacific/Pago_Pago (UTC-11) an hour earlier. With the
    /// scheduler time between the two clocks (chosen from the real clock), exactly the
    /// tenants whose local time is past it run, for their own local date, and what the runs
    /// make (recurring invoice, reminder, fee invoice) carries that date.
    @Test func eachTenantRunsAtItsLocalTimeForItsLocalDate() throws {
        let kiritimati = "Pacific/Kiritimati", honolulu = "Pacific/Honolulu", pagoPago = "Pacific/Pago_Pago"
        let utc: Calendar = {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar
        }()
        func pagoPagoMinutes(_ date: Date) -> Int {
            let c = utc.dateComponents([.hour, .minute], from: date)
            return ((c.hour! * 60 + c.minute!) - 11 * 60 + 24 * 60) % (24 * 60)
        }
        // The tenants that run must not reach their local midnight before they run: not in
        // the three minutes before 10:00 UTC (midnight in Kiritimati and Honolulu) or 11:00
        // UTC (in Pago Pago); wait until it has passed.
        var now = Date()
        let minutes = pagoPagoMinutes(now)
        if minutes % 60 >= 57 && minutes / 60 >= 22 {
            let seconds = (60 - minutes % 60) * 60 - utc.component(.second, from: now) + 5
            Thread.sleep(forTimeInterval: TimeInterval(seconds))
            now = Date()
        }
        let pago = pagoPagoMinutes(now)
        let time: Int
        let runners: [String]
        if pago < 23 * 60 {
            // Kiritimati and Honolulu at pago + 1 h, past the time; Pago Pago half an hour before it.
            time = pago + 30
            runners = [kiritimati, honolulu]
        } else {
            // Pago Pago at 23:xx, past the time; the others just after midnight, half an hour before it.
            time = pago + 60 - 24 * 60 + 30
            runners = [pagoPago]
        }
        let schedulerTime = String(format: "%02d:%02d", time / 60, time % 60)
        let cluster = try PrivateCluster()
        let setup = try ServerProcess(database: cluster.database, arguments: Self.schedulerOff)
        defer { setup.stop() }

        var tenants: [String: String] = [:]
        var today: [String: String] = [:]
        for zone in [kiritimati, honolulu, pagoPago] {
            let local = Self.localDate(now, zone)
            today[zone] = local
            let tenant = try setup.makeTenant("schedtz", settings: [
                "timezone": .string(zone), "reminder_grace_days": 0,
                "reminder_levels": [["level": 1, "days_past_due": 0, "fee": "1.00", "message": "Please pay."]],
            ])
            let inv = Invoicing(client: try setup.connect(), tenant: tenant)
            // The server's "today" for the tenant is the local date too.
            #expect(try inv.call("reminder.run")["as_of"] == .string(local), "\(zone)")
            let customer = try inv.customer("Far away", terms: 0)
            _ = try inv.draft(customer: customer, [("Old work", "1", "100.00", nil)],
                              extra: ["issue": true, "issue_date": .string(Self.localDate(now, zone, plus: -10))])
            // Due on the local date exactly: made only when the run's as_of is that date (or later).
            _ = try inv.call("recurring.create", ["customer_id": JSON(customer), "interval": "weekly", "start_date": .string(local),
                                                  "payment_terms_days": 14,   // not reminded in the same run
                                                  "lines": [["description": "Retainer", "qty": "1", "unit_price": "10.00"]]])
            tenants[zone] = tenant
        }
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        try db.execute("UPDATE folio.tenants SET created_at = now() - interval '2 days' WHERE slug LIKE 'schedtz\\_%'")
        setup.stop()
        let server = try ServerProcess(database: cluster.database, arguments: [
            "--scheduler-time", schedulerTime, "--scheduler-interval-ms", "100"])
        defer { server.stop() }

        for zone in runners {
            let inv = Invoicing(client: try server.connect(), tenant: tenants[zone]!)
            let done = try eventually(60) {
                let runs = try inv.call("scheduler.list")["items"]?.arrayValue ?? []
                return runs.count == 2 && runs.allSatisfy { $0["finished_at"]?.stringValue != nil }
            }
            try #require(done, "\(zone) did not run at \(schedulerTime); log:\n\(server.log())")
        }
        usleep(1_500_000)   // many more passes
        let utcToday = Self.localDate(now, "UTC")
        var runDays: [String: String] = [:]
        for zone in [kiritimati, honolulu, pagoPago] {
            let inv = Invoicing(client: try server.connect(), tenant: tenants[zone]!)
            let local = today[zone]!
            let runs = try inv.call("scheduler.list")["items"]?.arrayValue ?? []
            let schedule = try #require(try inv.call("recurring.list")["items"]?.arrayValue?.first)
            let reminders = try inv.call("reminder.list")["items"]?.arrayValue ?? []
            guard runners.contains(zone) else {
                // Its local time is before the scheduler time: nothing ran, nothing was made.
                #expect(runs.isEmpty, "\(zone) ran before its local \(schedulerTime): \(runs)")
                #expect(reminders.isEmpty)
                #expect(schedule["periods_generated"] == 0)
                continue
            }
            #expect(runs.map { $0["job"] } == ["recurring.run", "reminder.run"], "\(zone)")
            #expect(runs.allSatisfy { $0["day"] == .string(local) && $0["error"] == .null && $0["attempts"] == 1 },
                    "\(zone): runs for \(runs.map { $0["day"] ?? .null }), local date \(local), UTC \(utcToday)")
            runDays[zone] = runs.first?["day"]?.stringValue
            #expect(runs.first?["counts"]?["generated"] == 1, "\(zone)")
            #expect(runs.last?["counts"]?["created"] == 1, "\(zone)")
            // The recurring invoice: the period starting on the local date, issued on it.
            let made = try inv.call("recurring.get", ["id": schedule["id"]!])["invoices"]?.arrayValue ?? []
            #expect(made.map { $0["period_start"] } == [.string(local)], "\(zone)")
            if let id = made.first?["invoice_id"] {
                #expect(try inv.call("invoice.get", ["id": id])["issue_date"] == .string(local), "\(zone)")
            }
            // The reminder: as of the local date, 10 days overdue, its fee invoice dated that day.
            #expect(reminders.count == 1)
            #expect(reminders.first?["as_of"] == .string(local), "\(zone)")
            #expect(reminders.first?["days_overdue"] == 10, "\(zone)")
            let fee = try #require(reminders.first?["fee_invoice_number"]?.stringValue)
            #expect(try inv.call("invoice.get", ["number": .string(fee)])["issue_date"] == .string(local), "\(zone)")
            #expect(try inv.call("audit.verify")["ok"] == .bool(true))
        }
        // Local, not UTC's, dates: Kiritimati's and Honolulu's runs (at the same moment) are a
        // day apart, and at least one run is for a date other than UTC's.
        if runners.count == 2 {
            let dayAfterHonolulus = Self.localDate(try #require(Self.iso.date(from: runDays[honolulu] ?? "")), "UTC", plus: 1)
            #expect(runDays[kiritimati] == dayAfterHonolulus, "\(runDays)")
        }
        #expect(runDays.values.contains { $0 != utcToday }, "runs for \(runDays), UTC date \(utcToday)")
    }
}
