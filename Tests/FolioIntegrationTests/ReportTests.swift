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

    /// Books for the period reports: January and February in the period, March after it, a
    /// credit note in February, an invoice voided later (still a sale of February), a draft.
    func periodBooks(_ prefix: String) throws -> Invoicing {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant(prefix))
        try inv.taxRate("STD", "20")
        try inv.taxRate("RED", "5.5")
        let acme = try inv.customer("Acme")
        let beta = try inv.customer("Beta")
        let jan = try inv.issue(try inv.draft(customer: acme, [("A", "1", "100.00", "STD"), ("B", "2", "5.00", "RED"),
                                                              ("C", "1", "7.00", nil)]).id, date: "2026-01-10")
        let feb = try inv.issue(try inv.draft(customer: beta, [("D", "1", "50.00", "STD")]).id, date: "2026-02-01")
        _ = try inv.issue(try inv.draft(customer: acme, [("E", "1", "1000.00", "STD")]).id, date: "2026-03-01")
        _ = try inv.call("credit_note.create", ["invoice_id": JSON(jan.id), "reason": "discount", "issue_date": "2026-02-05",
                                                "lines": [["description": "A back", "qty": "1", "unit_price": "10.00", "tax_rate": "STD"]]])
        _ = try inv.call("invoice.void", ["id": JSON(feb.id), "reason": "wrong customer"])
        _ = try inv.draft(customer: acme, [("F", "1", "999.00", "STD")])
        return inv
    }

    @Test func taxReportSumsThePeriodsBreakdowns() throws {
        let inv = try periodBooks("taxrep")
        let report = try inv.call("report.tax", ["from": "2026-01-01", "to": "2026-02-28"])
        let rates = report["rates"]?.arrayValue ?? []
        #expect(rates.map { $0["code"] } == [.null, "RED", "STD"], "\(report)")
        #expect(rates.first?["invoiced_taxable"] == "7.00")
        #expect(rates.first?["tax"] == "0.00")
        #expect(rates[safe: 1]?["percent"] == "5.5")
        #expect(rates[safe: 1]?["invoiced_tax"] == "0.55")
        let std = rates[safe: 2]
        #expect(std?["invoiced_taxable"] == "150.00")
        #expect(std?["invoiced_tax"] == "30.00")
        #expect(std?["credited_taxable"] == "10.00")
        #expect(std?["credited_tax"] == "2.00")
        #expect(std?["taxable"] == "140.00")
        #expect(std?["tax"] == "28.00")
        #expect(report["totals_by_currency"] == [["currency": "EUR", "taxable": "157.00", "tax": "28.55"]])
        // The void's credit note (dated today) counts in its own period.
        let today = try inv.call("report.tax", ["from": "2026-03-02", "to": "2099-12-31"])
        #expect(today["totals_by_currency"] == [["currency": "EUR", "taxable": "-50.00", "tax": "-10.00"]], "\(today)")
        #expect(try inv.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func salesReportGroupsThePeriod() throws {
        let inv = try periodBooks("salesrep")
        let months = try inv.call("report.sales", ["from": "2026-01-01", "to": "2026-02-28", "group_by": "month"])
        let rows = months["rows"]?.arrayValue ?? []
        #expect(rows.map { $0["key"] } == ["2026-01", "2026-02"], "\(months)")
        #expect(rows.first?["invoices"] == 1)
        #expect(rows.first?["invoiced_net"] == "117.00")
        #expect(rows.first?["invoiced_tax"] == "20.55")
        #expect(rows.first?["gross"] == "137.55")
        #expect(rows[safe: 1]?["invoiced_gross"] == "60.00")
        #expect(rows[safe: 1]?["credited_gross"] == "12.00")
        #expect(rows[safe: 1]?["net"] == "40.00")
        #expect(rows[safe: 1]?["gross"] == "48.00")
        #expect(months["totals_by_currency"]?.arrayValue?.first?["gross"] == "185.55")
        let customers = try inv.call("report.sales", ["from": "2026-01-01", "to": "2026-02-28", "group_by": "customer"])
        #expect(customers["rows"]?.arrayValue?.map { $0["label"] } == ["Acme", "Beta"], "\(customers)")
        #expect(customers["rows"]?.arrayValue?.map { $0["gross"] } == ["125.55", "60.00"])
        let days = try inv.call("report.sales", ["from": "2026-02-01", "to": "2026-02-28", "group_by": "day"])
        #expect(days["rows"]?.arrayValue?.map { $0["key"] } == ["2026-02-01", "2026-02-05"], "\(days)")
        let items = try inv.call("report.sales", ["from": "2026-01-01", "to": "2026-01-31", "group_by": "item"])
        #expect(items["rows"]?.arrayValue?.first?["lines"] == 3, "\(items)")
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

extension Array {
    /// The element at `index`, or nil past the end.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
