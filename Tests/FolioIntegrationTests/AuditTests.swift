import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Incremental and full audit.verify through the real server: the incremental check looks
/// only at what is new since the last verification (and is much faster than the full one),
/// the full check runs as a job of short steps, and `folio audit verify --full` drives it.
@Suite(.timeLimit(.minutes(5))) struct AuditTests {
    let server = ServerProcess.shared

    /// A tenant with `count` issued invoices (4 clients at once), a payment and a credit note.
    func books(_ prefix: String, invoices count: Int) throws -> Invoicing {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant(prefix))
        let customer = try inv.customer()
        let failures = Shared<[String]>([])
        let tenant = inv.tenant
        concurrently(4) { worker in
            do {
                let mine = Invoicing(client: try server.connect(), tenant: tenant)
                for i in stride(from: worker, to: count, by: 4) {
                    _ = try mine.issue(try mine.draft(customer: customer, [("Work \(i)", "2", "12.50", nil), ("More", "1", "3.10", nil)]).id)
                }
            } catch {
                failures.update { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value.prefix(3))")
        _ = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "28.10", "received_on": "2026-01-01",
                                            "method": "cash", "allocations": [["invoice_id": 1, "amount": "28.10"]]])
        _ = try inv.call("credit_note.create", ["invoice_id": 2, "reason": "discount", "amount": "5.00"])
        return inv
    }

    /// What the incremental check costs is measured by deploy/bench --aging (README); here it
    /// is the behaviour: only rows past the marks are checked.
    @Test func incrementalChecksOnlyWhatIsNew() throws {
        let inv = try books("incr", invoices: 2000)
        let first = try inv.call("audit.verify")
        #expect(first["ok"] == .bool(true), "\(first)")
        #expect(first["mode"] == "incremental")
        #expect(first["checked"]?["invoice/0"] == .object(["from": 1, "to": 2000]), "\(first)")

        // Nothing new: nothing checked.
        let idle = try inv.call("audit.verify")
        #expect(idle["ok"] == .bool(true))
        #expect(idle["checked"] == .object([:]), "\(idle)")

        // Three new invoices and a payment: exactly those are checked.
        let customer = try inv.customer("Later")
        var newIds: [Int64] = []
        for i in 1...3 { newIds.append(try inv.issue(try inv.draft(customer: customer, [("New \(i)", "1", "9.99", nil)]).id).id) }
        _ = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "9.99", "received_on": "2026-01-02",
                                            "method": "cash", "allocations": [["invoice_id": JSON(newIds[0]), "amount": "9.99"]]])
        let incremental = try inv.call("audit.verify")
        #expect(incremental["ok"] == .bool(true), "\(incremental)")
        let series = try #require(incremental["checked"]?.objectValue?.members.first { $0.key.hasPrefix("invoice/") }?.value)
        #expect(series["to"]?.int64Value.map { $0 - (series["from"]?.int64Value ?? 0) + 1 } == 3, "\(incremental)")
        #expect(incremental["checked"]?["payments"] == .object(["from": 2, "to": 2]), "\(incremental)")

        let full = try inv.call("audit.verify", ["full": true])
        #expect(full["ok"] == .bool(true), "\(full)")
        #expect(full["mode"] == "full")
    }

    @Test func incrementalFindsDamageToNewDocumentsAndKeepsReportingIt() throws {
        let inv = try books("incrdmg", invoices: 20)
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
        let customer = try inv.customer("New")
        let fresh = try inv.issue(try inv.draft(customer: customer, [("New", "1", "10.00", nil)]).id)
        let db = try Database.superuser()
        try db.execute("""
            SET search_path = t_\(inv.tenant); SET session_replication_role = replica;
            UPDATE invoice_lines SET description = 'forged' WHERE invoice_id = \(fresh.id);
            SET session_replication_role = origin
            """)
        for _ in 1...2 {  // the marks do not move past a problem
            let verify = try inv.call("audit.verify")
            #expect(verify["ok"] == .bool(false))
            #expect(verify["problems"]?.arrayValue?.contains { $0["kind"] == "hash" && $0["id"]?.int64Value == fresh.id } == true,
                    "\(verify)")
        }
    }

    @Test func damageToVerifiedRowsNeedsTheFullCheck() throws {
        let inv = try books("incrold", invoices: 10)
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
        let db = try Database.superuser()
        try db.execute("""
            SET search_path = t_\(inv.tenant); SET session_replication_role = replica;
            UPDATE invoice_lines SET description = 'forged' WHERE invoice_id = 3;
            SET session_replication_role = origin
            """)
        // Documented: a change to an already verified document is the full check's to find.
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
        let full = try inv.call("audit.verify", ["full": true])
        #expect(full["ok"] == .bool(false))
        #expect(full["problems"]?.arrayValue?.contains { $0["kind"] == "hash" && $0["id"] == 3 } == true, "\(full)")
        // The incremental run then shows the outcome of the last full one.
        let after = try inv.call("audit.verify")
        #expect(after["last_full"]?["ok"] == .bool(false), "\(after)")
    }

    @Test func fullCheckRunsAsAJobOfShortSteps() throws {
        let inv = try books("job", invoices: 200)
        let db = try Database.superuser()
        try db.execute("""
            SET search_path = t_\(inv.tenant); SET session_replication_role = replica;
            UPDATE payments SET unapplied = unapplied + 1;
            SET session_replication_role = origin
            """)
        var job = try inv.call("audit.verify_start")
        let id = try #require(job["id"])
        #expect(job["state"] == "running")
        #expect(job["done"] == 0)
        #expect((job["total"]?.int64Value ?? 0) > 400)
        var steps = 0
        var percents: [Int64] = []
        while job["state"] != "done" {
            job = try inv.call("audit.verify_step", ["id": id])
            percents.append(job["percent"]?.int64Value ?? -1)
            steps += 1
            #expect(steps < 100)
            if steps >= 100 { break }
        }
        #expect(percents == percents.sorted(), "\(percents)")
        #expect(percents.last == 100)
        let result = try #require(job["result"])
        #expect(result["ok"] == .bool(false))
        #expect(result["mode"] == "full")
        #expect(result["problems"]?.arrayValue?.contains { $0["kind"] == "payment_mismatch" } == true, "\(result)")
        #expect(try inv.call("audit.verify_status", ["id": id]) == job)
        // Stepping a finished job changes nothing but the step count.
        #expect(try inv.call("audit.verify_step", ["id": id])["result"] == result)
        do {
            _ = try inv.call("audit.verify_status", ["id": 999_999])
            Issue.record("an unknown job was found")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.notFound)
        }
    }

    @Test func cliShowsProgressAndTheResultOfTheFullCheck() throws {
        let inv = try books("jobcli", invoices: 30)
        let cli = CLI(socketPath: server.socketPath)
        let ok = try cli.run(["--tenant", inv.tenant, "audit", "verify", "--full"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.hasPrefix("OK (full:"), "\(ok.stdout)")
        #expect(ok.stderr.contains("verifying: 100%"), "\(ok.stderr)")

        let db = try Database.superuser()
        try db.execute("""
            SET search_path = t_\(inv.tenant); SET session_replication_role = replica;
            UPDATE invoices SET total = total + 1, subtotal = subtotal + 1 WHERE id = 5;
            SET session_replication_role = origin
            """)
        let bad = try cli.run(["--tenant", inv.tenant, "audit", "verify", "--full"])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("totals"), "\(bad.stdout)")
        let quick = try cli.run(["--tenant", inv.tenant, "audit", "verify"])
        #expect(quick.status == 0, "\(quick.stdout)")
        #expect(quick.stdout.hasPrefix("OK (0 new"), "\(quick.stdout)")
        #expect(quick.stdout.contains("the last full verification"), "\(quick.stdout)")
    }
}
