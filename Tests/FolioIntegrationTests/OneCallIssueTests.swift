import FolioClient
import FolioDomain
import FolioWire
import Foundation
import Testing

/// Contract v1.1: `invoice.create` with `issue: true` creates and issues in one
/// transaction; delivery date and service period travel with the invoice.
@Suite(.timeLimit(.minutes(5))) struct OneCallIssueTests {
    let server = ServerProcess.shared

    @Test func createWithIssueReturnsTheIssuedInvoice() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("one"))
        try inv.taxRate("VAT20", "20")
        let customer = try inv.customer("Acme", terms: 10)
        let issued = try inv.draft(customer: customer, [("Consulting", "7.5", "120.00", "VAT20"), ("Travel", "1", "89.90", nil)],
                                   extra: ["issue": true, "issue_date": "2026-03-01", "po_number": "PO-7",
                                           "delivery_date": "2026-02-27", "period_start": "2026-02-01", "period_end": "2026-02-28"])
        #expect(issued["status"] == "issued")
        #expect(issued["number"] == "INV-000001")
        #expect(issued["issue_date"] == "2026-03-01")
        #expect(issued["due_date"] == "2026-03-11")
        #expect(issued["total"] == "1169.90")
        #expect(issued["lines"]?.arrayValue?.count == 2)
        let stored = try inv.call("invoice.get", ["number": "INV-000001"])
        for field in ["status", "number", "issue_date", "due_date", "total", "tax_total", "tax_breakdown", "lines"] {
            #expect(stored[field] == issued[field], "\(field)")
        }
        #expect(stored["po_number"] == "PO-7")
        #expect(stored["delivery_date"] == "2026-02-27")
        #expect(stored["period_start"] == "2026-02-01")
        #expect(stored["period_end"] == "2026-02-28")
        // The same chain and numbering as the two-call flow: the next one follows on, and verifies.
        let draft = try inv.draft(customer: customer, [("More", "1", "10.00", nil)])
        #expect(try inv.issue(draft.id)["number"] == "INV-000002")
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
        // Issued: the dates are frozen like every other content field.
        expectError(ErrorCode.conflict, field: "id") { try inv.call("invoice.update", ["id": stored["id"]!, "delivery_date": "2026-03-02"]) }
    }

    @Test func aFailingOneCallIssueWritesNothing() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("onefail"))
        let customer = try inv.customer()
        expectError(ErrorCode.invalidParams, field: "lines[1].tax_rate") {
            try inv.draft(customer: customer, [("Fine", "1", "1.00", nil), ("Bad", "1", "1.00", "NOPE")], extra: ["issue": true])
        }
        expectError(ErrorCode.invalidParams, field: "issue_date") {
            try inv.draft(customer: customer, [("Future", "1", "1.00", nil)], extra: ["issue": true, "issue_date": "2999-01-01"])
        }
        expectError(ErrorCode.invalidParams, field: "issue_date") {
            try inv.draft(customer: customer, [("Draft", "1", "1.00", nil)], extra: ["issue_date": "2026-01-01"])
        }
        expectError(ErrorCode.invalidParams, field: "period_end") {
            try inv.draft(customer: customer, [("Half", "1", "1.00", nil)], extra: ["issue": true, "period_start": "2026-01-01"])
        }
        expectError(ErrorCode.invalidParams, field: "period_end") {
            try inv.draft(customer: customer, [("Backwards", "1", "1.00", nil)],
                          extra: ["period_start": "2026-02-01", "period_end": "2026-01-31"])
        }
        #expect(try inv.call("invoice.list")["items"] == .array([]))
        // Nothing was numbered: the first issued invoice is number 1.
        #expect(try inv.draft(customer: customer, [("Ok", "1", "1.00", nil)], extra: ["issue": true])["number"] == "INV-000001")
    }

    @Test func concurrentOneCallIssuesAreGapless() throws {
        let tenant = try server.makeTenant("onecc")
        let setup = Invoicing(client: try server.connect(), tenant: tenant)
        let customer = try setup.customer()
        let numbers = Shared<[String]>([])
        concurrently(8) { _ in
            guard let inv = try? Invoicing(client: server.connect(), tenant: tenant) else { return }
            for _ in 0..<25 {
                if let number = try? inv.draft(customer: customer, [("Work", "1", "5.00", nil)], extra: ["issue": true])["number"]?.stringValue {
                    numbers.update { $0.append(number) }
                }
            }
        }
        let got = numbers.value.sorted()
        #expect(got == (1...200).map { String(format: "INV-%06d", $0) })
    }
}

/// The same through the real `folio` binary.
@Suite(.timeLimit(.minutes(5))) struct OneCallIssueCLITests {
    let server = ServerProcess.shared

    @Test func folioInvoiceNewIssue() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("onecli"))
        let customer = try inv.customer("Acme")
        let cli = CLI(socketPath: server.socketPath)
        let made = try cli.run(["--tenant", inv.tenant, "--json", "invoice", "new", "--customer", String(customer),
                                "--line", "Consulting:2:50.00", "--issue", "--date", "2026-01-15",
                                "--delivery-date", "2026-01-14", "--period", "2026-01-01:2026-01-31"])
        #expect(made.status == 0, "\(made.stderr)")
        let json = try JSONParser.parse(made.stdout)
        #expect(json["number"] == "INV-000001")
        #expect(json["period_end"] == "2026-01-31")
        let shown = try cli.run(["--tenant", inv.tenant, "invoice", "show", "INV-000001"])
        #expect(shown.stdout.contains("2026-01-01 to 2026-01-31"))
        #expect(shown.stdout.contains("2026-01-14"))
        let draftDate = try cli.run(["--tenant", inv.tenant, "invoice", "new", "--customer", String(customer),
                                     "--line", "X:1:1", "--date", "2026-01-15"])
        #expect(draftDate.status != 0)
        #expect(draftDate.stderr.contains("--date needs --issue"))
        _ = try server.makeTenant("onecli")   // at least two tenants, whatever ran before
        let tenants = try cli.run(["--json", "tenant", "list", "--limit", "2"])
        #expect(try JSONParser.parse(tenants.stdout)["items"]?.arrayValue?.count == 2, "\(tenants.stdout) \(tenants.stderr)")
    }
}
