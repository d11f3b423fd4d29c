import FolioClient
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Reports, the audit trail, CSV import/export and the operators' views.
@Suite(.timeLimit(.minutes(5))) struct ReportTests {
    let server = ServerProcess.shared

    @Test func agingAsOfADateCountsOnlyWhatHappenedByThen() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("aging"))
        let acme = try inv.customer("Acme", terms: 30)
        let beta = try inv.customer("Beta", terms: 0)
        // Acme: due 2026-01-31 (issued 01-01), 1000.00; paid 300 on 02-10, 200 on 04-01 (after as_of).
        let a = try inv.issue(try inv.draft(customer: acme, [("A", "1", "1000.00", nil)]).id, date: "2026-01-01")
        _ = try inv.call("payment.record", ["customer_id": JSON(acme), "amount": "300.00", "received_on": "2026-02-10",
                                            "method": "bank_transfer", "allocations": [["invoice_id": JSON(a.id), "amount": "300.00"]]])
        // Beta: due on issue 2026-03-01, 250.00, credit note of 50.00 on 03-05, another of 25.00 on 03-20 (after as_of).
        let b = try inv.issue(try inv.draft(customer: beta, [("B", "1", "250.00", nil)]).id, date: "2026-03-01")
        _ = try inv.call("credit_note.create", ["invoice_id": JSON(b.id), "reason": "discount", "amount": "50.00", "issue_date": "2026-03-05"])
        _ = try inv.call("credit_note.create", ["invoice_id": JSON(b.id), "reason": "late", "amount": "25.00", "issue_date": "2026-03-20"])
        _ = try inv.call("payment.record", ["customer_id": JSON(acme), "amount": "200.00", "received_on": "2026-04-01",
                                            "method": "bank_transfer", "allocations": [["invoice_id": JSON(a.id), "amount": "200.00"]]])
        // Issued after as_of: not counted at all.
        _ = try inv.issue(try inv.draft(customer: beta, [("Later", "1", "999.00", nil)]).id, date: "2026-03-16")

        let report = try inv.call("report.aging", ["as_of": "2026-03-15"])
        #expect(report["as_of"] == "2026-03-15")
        let rows = Dictionary(uniqueKeysWithValues: (report["customers"]?.arrayValue ?? []).map { ($0["name"]!.stringValue!, $0) })
        // Acme: 700.00 outstanding, 43 days past due (01-31 -> 03-15): 31-60 bucket.
        #expect(rows["Acme"]?["d31_60"] == "700.00")
        #expect(rows["Acme"]?["total"] == "700.00")
        // Beta: 200.00 outstanding, 14 days past due: 1-30 bucket.
        #expect(rows["Beta"]?["d1_30"] == "200.00")
        #expect(rows["Beta"]?["current"] == "0.00")
        #expect(report["totals"]?["total"] == "900.00")
        #expect(report["totals"]?["d31_60"] == "700.00")
        #expect(report["totals"]?["d1_30"] == "200.00")

        let current = try inv.call("report.aging", ["as_of": "2026-01-15"])
        #expect(current["totals"]?["current"] == "1000.00")
        #expect(current["totals"]?["total"] == "1000.00")
    }

    @Test func partialRefundCountsOnceOnEveryDate() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("refage"))
        let customer = try inv.customer("Refunded", terms: 30)
        let invoice = try inv.issue(try inv.draft(customer: customer, [("A", "1", "100.00", nil)]).id, date: "2026-01-01")
        let payment = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "100.00", "received_on": "2026-01-10",
                                                      "method": "card", "allocations": [["invoice_id": JSON(invoice.id), "amount": "100.00"]]])
        _ = try inv.call("payment.refund", ["payment_id": payment["id"]!, "amount": "30.00", "reason": "goodwill", "refunded_on": "2026-02-01"])
        #expect(try inv.call("report.aging", ["as_of": "2026-01-05"])["totals"]?["total"] == "100.00")
        #expect(try inv.call("report.aging", ["as_of": "2026-01-15"])["totals"]?["total"] == "0.00")
        #expect(try inv.call("report.aging", ["as_of": "2026-02-05"])["totals"]?["d1_30"] == "30.00")
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
    }

    @Test func csvImportWithBadRowsWritesNothingAndNamesEachRow() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("imp"))
        let csv = "name,email,payment_terms_days\nGood One,good@example.com,30\n,missing@example.com,10\nBad Terms,bad@example.com,-5\n"
        do {
            _ = try inv.call("import.customers", ["csv": .string(csv)])
            Issue.record("import with bad rows accepted")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.invalidParams)
            #expect(error.field == "csv")
            #expect(error.message.contains("row 2") || error.message.contains("row 3"), "\(error.message)")
            #expect(error.message.contains("row 3") || error.message.contains("row 4"), "\(error.message)")
        }
        #expect(try inv.call("customer.list")["items"]?.arrayValue?.isEmpty == true)
    }

    @Test func customersRoundTripThroughExportAndImport() throws {
        let source = Invoicing(client: try server.connect(), tenant: try server.makeTenant("exp"))
        _ = try source.call("customer.create", ["name": "Zoë, \"Quotes\" & Co", "email": "zoe@example.com", "payment_terms_days": 14])
        _ = try source.call("customer.create", ["name": "Plain Ltd"])
        let exported = try source.call("export.customers", ["format": "csv"])
        let target = Invoicing(client: try server.connect(), tenant: try server.makeTenant("imp"))
        let imported = try target.call("import.customers", ["csv": exported["data"]!])
        #expect(imported["imported"] == 2)
        let names = try target.call("customer.list")["items"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["Zoë, \"Quotes\" & Co", "Plain Ltd"])
        let zoe = try target.call("customer.list", ["search": "zoe@"])["items"]?.arrayValue?.first
        #expect(zoe?["payment_terms_days"] == 14)
    }

    @Test func auditTrailRecordsWhoDidWhat() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("trail"))
        let customer = try inv.customer("Logged")
        let log = try inv.call("audit.log", ["entity": "customer", "entity_id": JSON(customer)])
        let entry = log["items"]?.arrayValue?.first
        #expect(entry?["method"] == "customer.create")
        #expect(entry?["uid"] == 0)
        // Append-only, even for the owner of the tables.
        let db = try Database.loginRole()
        #expect(throws: (any Error).self) { try db.execute("DELETE FROM t_\(inv.tenant).audit_log") }
        #expect(throws: (any Error).self) { try db.execute("UPDATE t_\(inv.tenant).audit_log SET uid = 1") }
    }

    @Test func operatorViewsAnswerWithoutTheServer() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("views"))
        let customer = try inv.customer("Viewed")
        _ = try inv.issue(try inv.draft(customer: customer, [("X", "1", "42.00", nil)]).id, date: "2026-01-01")
        let db = try Database.superuser()
        try db.execute("SET search_path = t_\(inv.tenant)")
        #expect(try Database.column(db, "SELECT balance_due::text FROM open_invoices") == ["42.00"] ||
                (try Database.column(db, "SELECT balance_due::text FROM open_invoices")).first??.hasPrefix("42") == true)
        #expect(try db.query(PostgresStatement("TABLE aged_receivables")).rows.count == 1)
        #expect(try db.query(PostgresStatement("TABLE customer_balances")).rows.count >= 1)
    }
}
