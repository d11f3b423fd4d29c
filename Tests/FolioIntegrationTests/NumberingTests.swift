import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Gapless numbering under concurrency, rollbacks and crashes.
@Suite(.timeLimit(.minutes(5))) struct NumberingTests {
    /// Installs, as superuser, a trigger that fails the issuing transaction after the number
    /// was assigned whenever the invoice's notes say so: the number must be given back.
    private func injectFailureAfterNumbering(_ tenant: String) throws {
        let db = try Database.superuser()
        try db.execute("""
            CREATE FUNCTION t_\(tenant).fail_after_numbering() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.number IS NOT NULL AND NEW.notes = 'fail after numbering' THEN
                    RAISE EXCEPTION 'injected failure after numbering';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER fail_after_numbering AFTER UPDATE ON t_\(tenant).invoices
                FOR EACH ROW EXECUTE FUNCTION t_\(tenant).fail_after_numbering();
            """)
    }

    private func numbers(_ tenant: String) throws -> [String] {
        try Database.column(try Database.superuser(),
            "SELECT number FROM t_\(tenant).invoices WHERE number IS NOT NULL ORDER BY number").compactMap { $0 }
    }

    @Test func sixteenConcurrentClientsGetExactlyOneToEightHundred() throws {
        let server = ServerProcess.shared
        let tenant = try server.makeTenant("num")
        let other = try server.makeTenant("num")
        try injectFailureAfterNumbering(tenant)
        let setup = Invoicing(client: try server.connect(), tenant: tenant)
        let customer = try setup.customer()
        let otherSide = Invoicing(client: try server.connect(), tenant: other)
        _ = try otherSide.issue(try otherSide.draft(customer: try otherSide.customer(), [("Other", "1", "5.00", nil)]).id)

        let acknowledged = Shared<[String]>([])
        let failures = Shared<[String]>([])
        concurrently(16) { worker in
            do {
                let inv = Invoicing(client: try server.connect(), tenant: tenant)
                for i in 0..<50 {
                    let id = try inv.draft(customer: customer, [("Work \(worker)/\(i)", "1", "10.00", nil)]).id
                    // Every fifth attempt first fails after taking a number, and is rolled back.
                    if i % 5 == 0 {
                        _ = try inv.call("invoice.update", ["id": JSON(id), "notes": "fail after numbering"])
                        if (try? inv.issue(id)) != nil { failures.update { $0.append("injected failure did not fail") } }
                        _ = try inv.call("invoice.update", ["id": JSON(id), "notes": nil])
                    }
                    let number = try inv.issue(id)["number"]!.stringValue!
                    acknowledged.update { $0.append(number) }
                }
            } catch {
                failures.update { $0.append("worker \(worker): \(error)") }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value.prefix(3))")
        let expected = (1...800).map { String(format: "INV-%06d", $0) }
        #expect(acknowledged.value.sorted() == expected)
        #expect(try numbers(tenant) == expected)
        #expect(try numbers(other) == ["INV-000001"])
        let verify = try setup.call("audit.verify")
        #expect(verify["ok"] == .bool(true), "\(verify)")
    }

    @Test func numbersSurviveSigkillOfTheServer() throws {
        let server = try ServerProcess()
        let tenant = try server.makeTenant("kill")
        let customer = try Invoicing(client: try server.connect(), tenant: tenant).customer()
        let acknowledged = Shared<Set<String>>([])
        let stop = Shared(false)
        let errors = Shared<[String]>([])

        // Killer: SIGKILL the server twice while clients are issuing, restarting it each time.
        let killer = Thread {
            for _ in 0..<2 {
                usleep(700_000)
                server.stop(signal: SIGKILL)
                usleep(200_000)
                do { try server.start() } catch { errors.update { $0.append("restart: \(error)") } }
            }
            usleep(500_000)
            stop.update { $0 = true }
        }
        killer.start()
        concurrently(8) { worker in
            var pending: Int64?
            while !stop.value {
                do {
                    let inv = Invoicing(client: try server.connect(), tenant: tenant)
                    while !stop.value {
                        let id = try pending ?? inv.draft(customer: customer, [("Job \(worker)", "2", "7.50", nil)]).id
                        pending = id
                        do {
                            let number = try inv.issue(id)["number"]!.stringValue!
                            acknowledged.update { _ = $0.insert(number) }
                            pending = nil
                        } catch let error as RPCError where error.code == -32003 {
                            pending = nil  // issued before the crash, answer lost: a fresh draft next
                        }
                    }
                } catch {
                    usleep(50_000)  // server down: reconnect and retry the same draft
                }
            }
        }
        #expect(errors.value.isEmpty)
        let stored = try numbers(tenant)
        #expect(!acknowledged.value.isEmpty)
        #expect(acknowledged.value.isSubset(of: Set(stored)))
        #expect(stored == (1...stored.count).map { String(format: "INV-%06d", $0) })
        let verify = try Invoicing(client: try server.connect(), tenant: tenant).call("audit.verify")
        #expect(verify["ok"] == .bool(true), "\(verify)")
        server.stop()
    }
}
