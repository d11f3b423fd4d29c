import FolioClient
import FolioDomain
import FolioWire
import Foundation
import Testing

/// Drafts, issuing, immutability, voiding and credit notes through the real server.
@Suite(.timeLimit(.minutes(5))) struct InvoiceLifecycleTests {
    let server = ServerProcess.shared

    private func setUp(_ prefix: String, currency: String = "EUR", settings: JSONObject = [:]) throws -> Invoicing {
        Invoicing(client: try server.connect(), tenant: try server.makeTenant(prefix, currency: currency, settings: settings))
    }

    @Test func draftIssueAndTotals() throws {
        let inv = try setUp("life")
        try inv.taxRate("VAT20", "20")
        let customer = try inv.customer("Zoë Müller, Łódź", terms: 14)
        let draft = try inv.draft(customer: customer, [("Consulting", "7.5", "120.00", "VAT20"), ("Travel", "1", "89.90", nil)])
        #expect(draft["status"] == "draft")
        #expect(draft["number"] == .null)
        #expect(draft["subtotal"] == "989.90")
        #expect(draft["tax_total"] == "180.00")
        #expect(draft["total"] == "1169.90")
        let issued = try inv.issue(draft.id, date: "2026-03-01")
        #expect(issued["status"] == "issued")
        #expect(issued["number"] == "INV-000001")
        #expect(issued["issue_date"] == "2026-03-01")
        #expect(issued["due_date"] == "2026-03-15")  // the customer's 14 days
        #expect(issued["balance_due"] == "1169.90")
        #expect(issued["amount_paid"] == "0.00")
        let byNumber = try inv.call("invoice.get", ["number": "INV-000001"])
        #expect(byNumber["id"] == draft["id"])
        #expect(byNumber["lines"]?.arrayValue?.count == 2)
        #expect(byNumber["customer_name"] == "Zoë Müller, Łódź")
        #expect(byNumber["tax_breakdown"]?.arrayValue?.contains { $0["code"] == "VAT20" && $0["tax"] == "180.00" } == true)
    }

    @Test func issuedInvoicesAreImmutable() throws {
        let inv = try setUp("immut")
        let customer = try inv.customer()
        let id = try inv.draft(customer: customer, [("Work", "1", "100.00", nil)]).id
        _ = try inv.issue(id)
        expectError(ErrorCode.conflict) { try inv.issue(id) }
        expectError(ErrorCode.conflict) { try inv.call("invoice.update", ["id": JSON(id), "notes": "changed"]) }
        expectError(ErrorCode.conflict) { try inv.call("invoice.delete", ["id": JSON(id)]) }
        // Not even SQL behind the server's back can rewrite an issued invoice: as the tenant role or as the owner.
        let db = try Database.loginRole()
        #expect(throws: (any Error).self) {
            try db.execute("UPDATE t_\(inv.tenant).invoices SET total = 1 WHERE id = \(id)")
        }
        try db.execute("BEGIN")
        try db.query(.init("SELECT folio.enter(0, $1, 'owner', true, 'test')", [inv.tenant]))
        #expect(throws: (any Error).self) { try db.execute("DELETE FROM invoice_lines WHERE invoice_id = \(id)") }
        try db.execute("ROLLBACK")
        let after = try inv.call("invoice.get", ["id": JSON(id)])
        #expect(after["total"] == "100.00")
    }

    @Test func issueDateRules() throws {
        let inv = try setUp("dates")
        let customer = try inv.customer()
        let first = try inv.draft(customer: customer, [("A", "1", "1.00", nil)]).id
        let second = try inv.draft(customer: customer, [("B", "1", "1.00", nil)]).id
        expectError(ErrorCode.invalidParams, field: "issue_date") { try inv.issue(first, date: "2999-01-01") }
        _ = try inv.issue(first, date: "2026-05-10")
        expectError(ErrorCode.invalidParams, field: "issue_date") { try inv.issue(second, date: "2026-05-09") }
        #expect(try inv.issue(second, date: "2026-05-10")["number"] == "INV-000002")
    }

    @Test func termsFallBackFromInvoiceToCustomerToTenant() throws {
        let inv = try setUp("terms", settings: ["payment_terms_days": 45])
        let plain = try inv.customer("Plain")
        let own = try inv.customer("Own terms", terms: 10)
        let a = try inv.issue(try inv.draft(customer: plain, [("A", "1", "1.00", nil)]).id, date: "2026-01-01")
        let b = try inv.issue(try inv.draft(customer: own, [("B", "1", "1.00", nil)]).id, date: "2026-01-01")
        let c = try inv.issue(try inv.draft(customer: own, [("C", "1", "1.00", nil)], extra: ["payment_terms_days": 0]).id, date: "2026-01-01")
        #expect(a["due_date"] == "2026-02-15")
        #expect(b["due_date"] == "2026-01-11")
        #expect(c["due_date"] == "2026-01-01")
    }

    @Test func yearlySeriesRestartsEachYear() throws {
        let inv = try setUp("yearly", settings: ["invoice_number_format": "{YYYY}-{seq:04}"])
        let customer = try inv.customer()
        let n1 = try inv.issue(try inv.draft(customer: customer, [("A", "1", "1.00", nil)]).id, date: "2025-12-31")["number"]
        let n2 = try inv.issue(try inv.draft(customer: customer, [("B", "1", "1.00", nil)]).id, date: "2026-01-01")["number"]
        let n3 = try inv.issue(try inv.draft(customer: customer, [("C", "1", "1.00", nil)]).id, date: "2026-01-02")["number"]
        #expect([n1, n2, n3] == ["2025-0001", "2026-0001", "2026-0002"])
    }

    @Test func voidIssuesACreditNoteForTheBalance() throws {
        let inv = try setUp("void")
        let customer = try inv.customer()
        let draftID = try inv.draft(customer: customer, [("Draft only", "1", "5.00", nil)]).id
        expectError(ErrorCode.conflict) { try inv.call("invoice.void", ["id": JSON(draftID), "reason": "oops"]) }
        let id = try inv.draft(customer: customer, [("Work", "2", "50.00", nil)]).id
        _ = try inv.issue(id)
        let note = try inv.call("invoice.void", ["id": JSON(id), "reason": "wrong customer"])
        #expect(note["invoice_id"] == JSON(id))
        #expect(note["number"] == "CN-000001")
        #expect(note["total"] == "100.00")
        let invoice = try inv.call("invoice.get", ["id": JSON(id)])
        #expect(invoice["status"] == "void")
        #expect(invoice["balance_due"] == "0.00")
        expectError(ErrorCode.conflict) { try inv.call("invoice.void", ["id": JSON(id), "reason": "again"]) }
    }

    @Test func partialCreditNotesReduceTheBalance() throws {
        let inv = try setUp("credit")
        try inv.taxRate("VAT10", "10")
        let customer = try inv.customer()
        let id = try inv.draft(customer: customer, [("Goods", "10", "10.00", "VAT10")]).id
        let number = try inv.issue(id)["number"]!.stringValue!
        let byLines = try inv.call("credit_note.create", [
            "invoice_number": .string(number), "reason": "two returned",
            "lines": [["description": "Goods returned", "qty": "2", "unit_price": "10.00", "tax_rate": "VAT10"]],
        ])
        #expect(byLines["total"] == "22.00")
        #expect(byLines["number"] == "CN-000001")
        let byAmount = try inv.call("credit_note.create", ["invoice_id": JSON(id), "reason": "discount", "amount": "11.00"])
        #expect(byAmount["total"] == "11.00")
        #expect(byAmount["tax_total"] == "1.00")
        #expect(try inv.call("invoice.get", ["id": JSON(id)])["balance_due"] == "77.00")
        expectError(ErrorCode.conflict) {
            try inv.call("credit_note.create", ["invoice_id": JSON(id), "reason": "too much", "amount": "77.01"])
        }
        expectError(ErrorCode.invalidParams) {
            try inv.call("credit_note.create", ["invoice_id": JSON(id), "reason": "neither"])
        }
        let list = try inv.call("credit_note.list", ["invoice_id": JSON(id)])
        #expect(list["items"]?.arrayValue?.count == 2)
    }

    @Test func validationNamesTheFieldAndWritesNothing() throws {
        let inv = try setUp("valid")
        let customer = try inv.customer()
        expectError(ErrorCode.invalidParams, field: "lines[1].qty") {
            try inv.draft(customer: customer, [("ok", "1", "1.00", nil), ("bad", "0", "1.00", nil)])
        }
        expectError(ErrorCode.invalidParams, field: "lines[0].tax_rate") {
            try inv.draft(customer: customer, [("ok", "1", "1.00", "NOPE")])
        }
        expectError(ErrorCode.invalidParams, field: "lines[0].unit_price") {
            try inv.call("invoice.create", ["customer_id": JSON(customer), "lines": [["description": "x", "qty": "1"]]])
        }
        expectError(ErrorCode.notFound, field: "customer_id") {
            try inv.draft(customer: 999_999, [("ok", "1", "1.00", nil)])
        }
        expectError(ErrorCode.invalidParams, field: "currency") {
            try inv.draft(customer: customer, [("ok", "1", "1.00", nil)], extra: ["currency": "ZZZ"])
        }
        expectError(ErrorCode.invalidParams, field: "lines[0].unit_price") {
            try inv.call("invoice.create", ["customer_id": JSON(customer), "lines": [["description": "x", "qty": "1", "unit_price": .number("1.5")]]])
        }
        let list = try inv.call("invoice.list")
        #expect(list["items"]?.arrayValue?.isEmpty == true)
        _ = try inv.call("customer.archive", ["id": JSON(customer)])
        expectError(ErrorCode.conflict, field: "customer_id") { try inv.draft(customer: customer, [("ok", "1", "1.00", nil)]) }
    }

    /// An archived tax rate is refused on new items and lines; a draft that has it keeps
    /// it and can still be issued.
    @Test func archivedTaxRateStaysOnWhatHasIt() throws {
        let inv = try setUp("taxarch")
        try inv.taxRate("OLD10", "10")
        let customer = try inv.customer()
        let draft = try inv.draft(customer: customer, [("Kept", "1", "100.00", "OLD10")])
        let archived = try inv.call("tax_rate.archive", ["code": "OLD10"])
        #expect(archived["archived"] == true)
        expectError(ErrorCode.invalidParams, field: "lines[0].tax_rate") {
            try inv.draft(customer: customer, [("New", "1", "1.00", "OLD10")])
        }
        expectError(ErrorCode.invalidParams, field: "tax_rate") {
            try inv.call("item.create", ["sku": "T-1", "name": "Thing", "unit_price": "1", "tax_rate": "OLD10"])
        }
        expectError(ErrorCode.notFound, field: "code") { try inv.call("tax_rate.archive", ["code": "NOPE"]) }
        let issued = try inv.call("invoice.issue", ["id": draft["id"]!])
        #expect(issued["tax_total"] == "10.00")
        #expect(issued["lines"]?.arrayValue?.first?["tax_rate"] == "OLD10")
    }

    @Test func itemsSupplyPriceTaxAndStock() throws {
        let inv = try setUp("items")
        try inv.taxRate("VAT7", "7")
        let item = try inv.call("item.create", ["sku": "BOOK-1", "name": "Book", "unit_price": "12.50", "tax_rate": "VAT7", "stock_qty": "10"])
        expectError(ErrorCode.conflict, field: "sku") {
            try inv.call("item.create", ["sku": "BOOK-1", "name": "Again", "unit_price": "1"])
        }
        let customer = try inv.customer()
        let draft = try inv.call("invoice.create", ["customer_id": JSON(customer), "lines": [["item_id": item["id"]!, "qty": "3"]]])
        let line = draft["lines"]?.arrayValue?.first
        #expect(line?["description"] == "Book")
        #expect(line?["unit_price"] == "12.5" || line?["unit_price"] == "12.50")
        #expect(line?["tax_rate"] == "VAT7")
        #expect(draft["total"] == "40.13")  // 37.50 + 2.625 -> 2.63
        _ = try inv.issue(draft.id)
        #expect(try inv.call("item.get", ["id": item["id"]!])["stock_qty"] == "7")
    }

    @Test func taxRateChangesDoNotTouchIssuedInvoices() throws {
        let inv = try setUp("taxchg")
        try inv.taxRate("STD", "20")
        let customer = try inv.customer()
        let id = try inv.draft(customer: customer, [("Work", "1", "100.00", "STD")]).id
        _ = try inv.issue(id)
        _ = try inv.call("tax_rate.update", ["code": "STD", "percent": "25"])
        let after = try inv.call("invoice.get", ["id": JSON(id)])
        #expect(after["tax_total"] == "20.00")
        #expect(after["lines"]?.arrayValue?.first?["tax_percent"] == "20")
        let fresh = try inv.draft(customer: customer, [("Work", "1", "100.00", "STD")])
        #expect(fresh["tax_total"] == "25.00")
    }

    @Test func auditVerifyFindsTampering() throws {
        let inv = try setUp("tamper")
        let customer = try inv.customer()
        for i in 1...3 { _ = try inv.issue(try inv.draft(customer: customer, [("Work \(i)", "1", "10.00", nil)]).id) }
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
        let db = try Database.superuser()
        try db.execute("""
            SET session_replication_role = replica;  -- bypasses the immutability triggers, as only a superuser can
            UPDATE t_\(inv.tenant).invoices SET total = 999.00 WHERE number = 'INV-000002';
            UPDATE t_\(inv.tenant).invoices SET number = 'INV-000005' WHERE number = 'INV-000003';
            SET session_replication_role = origin;
            """)
        let verify = try inv.call("audit.verify", ["full": true])
        #expect(verify["ok"] == .bool(false))
        let kinds = Set(verify["problems"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? [])
        #expect(kinds.count >= 2, "\(verify)")
    }
}
