import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// The daily scheduler in foliod: two servers on one database, both checking every
/// 100 ms, run each tenant's day (recurring.run then reminder.run) exactly once.
@Suite(.timeLimit(.minutes(5))) struct SchedulerTests {
    @Test func twoServersRunEachTenantsDayOnce() throws {
        let cluster = try PrivateCluster()
        let arguments = ["--scheduler-time", "00:00", "--scheduler-interval-ms", "100", "--pool-size", "3"]
        let first = try ServerProcess(database: cluster.database, arguments: arguments)
        defer { first.stop() }
        let second = try ServerProcess(database: cluster.database, arguments: arguments)
        defer { second.stop() }

        // Tenants made today are first visited tomorrow; these are backdated below.
        var tenants: [String] = []
        for _ in 0..<3 {
            let tenant = try first.makeTenant("sched", settings: [
                "reminder_levels": [["level": 1, "days_past_due": 0, "fee": "2.00", "message": "Please pay."]],
            ])
            let inv = Invoicing(client: try first.connect(), tenant: tenant)
            let customer = try inv.customer("Scheduled", terms: 0)
            _ = try inv.draft(customer: customer, [("Old work", "1", "100.00", nil)], extra: ["issue": true, "issue_date": "2026-01-02"])
            _ = try inv.call("recurring.create", ["customer_id": JSON(customer), "interval": "monthly", "start_date": "2026-01-05",
                                                  "count": 2, "lines": [["description": "Retainer", "qty": "1", "unit_price": "10.00"]]])
            tenants.append(tenant)
        }
        let fresh = try first.makeTenant("schedfresh")
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        try db.execute("UPDATE folio.tenants SET created_at = now() - interval '2 days' WHERE slug LIKE 'sched\\_%' AND slug <> '\(fresh)'")

        for tenant in tenants {
            let client = Invoicing(client: try second.connect(), tenant: tenant)
            let done = try eventually(60) {
                let runs = try client.call("scheduler.list")["items"]?.arrayValue ?? []
                return runs.count == 2 && runs.allSatisfy { $0["finished_at"]?.stringValue != nil }
            }
            try #require(done, "scheduler did not run \(tenant); logs:\n\(first.log())\n\(second.log())")
        }
        usleep(1_500_000)   // many more passes of both servers
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
        let server = try ServerProcess(database: cluster.database, arguments: [
            "--scheduler-time", "00:00", "--scheduler-interval-ms", "100"])
        defer { server.stop() }
        let tenant = try server.makeTenant("schedfail", settings: [
            "reminder_levels": [["level": 1, "days_past_due": 0, "message": "Please pay."]],
        ])
        let inv = Invoicing(client: try server.connect(), tenant: tenant)
        let customer = try inv.customer("Failing", terms: 0)
        _ = try inv.draft(customer: customer, [("Work", "1", "10.00", nil)], extra: ["issue": true, "issue_date": "2026-02-02"])
        // Reminders cannot be written until the trigger is dropped: reminder.run fails.
        let db = try PostgresConnection(conninfo: cluster.superuserDatabase)
        try db.execute("""
            CREATE FUNCTION public.refuse_reminders() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'reminders are switched off for this test'; END $$
            """)
        try db.execute("CREATE TRIGGER refuse BEFORE INSERT ON t_\(tenant).reminders FOR EACH ROW EXECUTE FUNCTION public.refuse_reminders()")
        try db.execute("UPDATE folio.tenants SET created_at = now() - interval '2 days' WHERE slug = '\(tenant)'")

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
}
