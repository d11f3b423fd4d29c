import FolioClient
import FolioWire
import Foundation
import Testing

/// Payments land on the right invoices exactly once, and every mismatch is surfaced.
@Suite(.timeLimit(.minutes(5))) struct PaymentTests {
    let server = ServerProcess.shared

    private func setUp(_ prefix: String) throws -> (Invoicing, Int64) {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant(prefix))
        return (inv, try inv.customer("Payer Ltd"))
    }

    private func issued(_ inv: Invoicing, _ customer: Int64, _ price: String, date: String = "2026-01-10") throws -> JSON {
        try inv.issue(try inv.draft(customer: customer, [("Work", "1", price, nil)]).id, date: date)
    }

    private func kinds(_ payment: JSON) -> [String] {
        payment["discrepancies"]?.arrayValue?.compactMap { $0["kind"]?.stringValue }.sorted() ?? []
    }

    @Test func explicitAllocationsAndStatus() throws {
        let (inv, customer) = try setUp("pay")
        let a = try issued(inv, customer, "100.00")
        let b = try issued(inv, customer, "50.00")
        let payment = try inv.call("payment.record", [
            "customer_id": JSON(customer), "amount": "130.00", "received_on": "2026-02-01", "method": "bank_transfer",
            "allocations": [["invoice_id": JSON(a.id), "amount": "100.00"], ["number": b["number"]!, "amount": "30.00"]],
        ])
        #expect(payment["unapplied"] == "0.00")
        #expect(kinds(payment) == ["underpayment"])
        #expect(try inv.call("invoice.get", ["id": JSON(a.id)])["status"] == "paid")
        let partly = try inv.call("invoice.get", ["id": JSON(b.id)])
        #expect(partly["status"] == "partially_paid")
        #expect(partly["balance_due"] == "20.00")
        #expect(partly["amount_paid"] == "30.00")
    }

    @Test func automaticAllocationOldestDueFirstAndOverpayment() throws {
        let (inv, customer) = try setUp("auto")
        let older = try issued(inv, customer, "40.00", date: "2026-01-01")
        let newer = try issued(inv, customer, "60.00", date: "2026-01-05")
        let payment = try inv.call("payment.record", [
            "customer_id": JSON(customer), "amount": "150.00", "received_on": "2026-02-01", "method": "card",
        ])
        #expect(payment["allocations"]?.arrayValue?.map { $0["invoice_id"] } == [JSON(older.id), JSON(newer.id)])
        #expect(payment["unapplied"] == "50.00")
        #expect(kinds(payment) == ["overpayment"])
        #expect(payment["discrepancies"]?.arrayValue?.first?["amount"] == "50.00")
        #expect(try inv.call("customer.get", ["id": JSON(customer)])["credit"] == "50.00")
    }

    @Test func invalidAllocationsWriteNothing() throws {
        let (inv, customer) = try setUp("bad")
        let other = try inv.customer("Someone Else")
        let mine = try issued(inv, customer, "100.00")
        let theirs = try issued(inv, other, "100.00")
        let draft = try inv.draft(customer: customer, [("Draft", "1", "5.00", nil)])
        func attempt(_ allocations: JSON) -> Int? {
            do {
                _ = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "100.00", "received_on": "2026-02-01",
                                                   "method": "cash", "allocations": allocations])
                return nil
            } catch let error as RPCError { return error.code } catch { return -1 }
        }
        #expect(attempt([["invoice_id": JSON(mine.id), "amount": "100.01"]]) == ErrorCode.conflict)
        #expect(attempt([["invoice_id": JSON(theirs.id), "amount": "10.00"]]) == ErrorCode.conflict)
        #expect(attempt([["invoice_id": JSON(draft.id), "amount": "1.00"]]) == ErrorCode.conflict)
        #expect(attempt([["invoice_id": JSON(mine.id), "amount": "60.00"], ["invoice_id": JSON(mine.id), "amount": "60.00"]]) != nil)
        #expect(attempt([["invoice_id": JSON(mine.id), "amount": "1.001"]]) == ErrorCode.invalidParams)
        #expect(try inv.call("payment.list")["items"]?.arrayValue?.isEmpty == true)
        #expect(try inv.call("invoice.get", ["id": JSON(mine.id)])["amount_paid"] == "0.00")
    }

    @Test func referenceDiscrepancies() throws {
        let (inv, customer) = try setUp("ref")
        let other = try inv.customer("Other Co")
        let mine = try issued(inv, customer, "80.00")
        let theirs = try issued(inv, other, "30.00")
        let voided = try issued(inv, customer, "10.00")
        _ = try inv.call("invoice.void", ["id": JSON(voided.id), "reason": "mistake"])
        let payment = try inv.call("payment.record", [
            "customer_id": JSON(customer), "amount": "70.00", "received_on": "2026-02-01", "method": "bank_transfer",
            "reference": .string("\(mine["number"]!.stringValue!) \(theirs["number"]!.stringValue!) \(voided["number"]!.stringValue!)"),
        ])
        let found = Set(kinds(payment))
        #expect(found.isSuperset(of: ["reference_mismatch", "other_customer", "void_invoice"]), "\(payment)")
        let open = try inv.call("discrepancy.list", ["status": "open"])
        let first = open["items"]!.arrayValue!.first!
        _ = try inv.call("discrepancy.resolve", ["id": first["id"]!, "note": "called the customer"])
        #expect(throws: RPCError.self) { try inv.call("discrepancy.resolve", ["id": first["id"]!, "note": "again"]) }
    }

    @Test func refundReversesAllocations() throws {
        let (inv, customer) = try setUp("refund")
        let invoice = try issued(inv, customer, "100.00")
        let payment = try inv.call("payment.record", [
            "customer_id": JSON(customer), "amount": "120.00", "received_on": "2026-02-01", "method": "bank_transfer",
        ])
        let refunded = try inv.call("payment.refund", ["payment_id": payment["id"]!, "amount": "70.00", "reason": "returned goods"])
        #expect(refunded["refunded"] == "70.00")
        #expect(refunded["unapplied"] == "0.00")
        let after = try inv.call("invoice.get", ["id": JSON(invoice.id)])
        #expect(after["amount_paid"] == "50.00")
        #expect(after["status"] == "partially_paid")
        #expect(throws: RPCError.self) { try inv.call("payment.refund", ["payment_id": payment["id"]!, "amount": "50.01", "reason": "too much"]) }
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
    }

    @Test func concurrentDoubleSubmissionOfOneKeyGivesOnePayment() throws {
        let (inv, customer) = try setUp("idem")
        _ = try issued(inv, customer, "500.00")
        let results = Shared<[String]>([])
        let tenant = inv.tenant
        let server = self.server
        concurrently(8) { _ in
            do {
                let client = try server.connect()
                let payment = try client.call("payment.record", [
                    "tenant": .string(tenant), "customer_id": JSON(customer), "amount": "25.00", "received_on": "2026-02-01",
                    "method": "cash", "idempotency_key": "pay-2026-02-01-cash",
                ])
                results.update { $0.append("\(payment["id"]!)") }
            } catch {
                results.update { $0.append("error \(error)") }
            }
        }
        #expect(Set(results.value).count == 1, "\(results.value)")
        #expect(try inv.call("payment.list")["items"]?.arrayValue?.count == 1)
        do {
            _ = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "26.00", "received_on": "2026-02-01",
                                                "method": "cash", "idempotency_key": "pay-2026-02-01-cash"])
            Issue.record("reused key with other params accepted")
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.idempotencyMismatch)
        }
    }

    /// 8 clients record automatically allocated payments for one customer at once, 3 rounds:
    /// no invoice takes more than its balance, oldest due ones are paid first, what is
    /// left over is credit, and the books agree to the cent.
    @Test func concurrentAutomaticAllocationsNeverOverpayAnInvoice() throws {
        let (inv, customer) = try setUp("pconc")
        var invoices: [Int64] = []
        for day in 1...10 { invoices.append(try issued(inv, customer, "10.00", date: String(format: "2026-01-%02d", day)).id) }
        let tenant = inv.tenant
        let server = self.server
        let failures = Shared<[String]>([])
        for round in 0..<3 {
            concurrently(8) { i in
                do {
                    _ = try server.connect().call("payment.record", [
                        "tenant": .string(tenant), "customer_id": JSON(customer), "amount": "4.50",
                        "received_on": "2026-02-01", "method": "bank_transfer", "reference": .string("round \(round) client \(i)"),
                    ])
                } catch {
                    failures.update { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.value.isEmpty, "\(failures.value)")
        // 24 payments of 4.50 = 108.00 against 100.00 due: every invoice paid, 8.00 credit.
        let states = try invoices.map { try inv.call("invoice.get", ["id": JSON($0)]) }
        #expect(states.allSatisfy { $0["status"] == "paid" && $0["amount_paid"] == "10.00" && $0["balance_due"] == "0.00" },
                "\(states.map { "\($0["number"] ?? .null) \($0["amount_paid"] ?? .null)" })")
        #expect(try inv.call("customer.get", ["id": JSON(customer)])["credit"] == "8.00")
        let payments = try inv.call("payment.list", ["limit": 100])["items"]?.arrayValue ?? []
        #expect(payments.count == 24)
        let allocations = payments.flatMap { $0["allocations"]?.arrayValue ?? [] }
        let allocatedCents = allocations.compactMap { $0["amount"]?.stringValue }.map { Int($0.replacingOccurrences(of: ".", with: ""))! }
        #expect(allocatedCents.reduce(0, +) == 100_00)
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
    }

    @Test func retryAfterCrashBetweenEffectAndResponseGivesOnePayment() throws {
        let server = try ServerProcess()
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("crash"))
        let customer = try inv.customer()
        _ = try inv.issue(try inv.draft(customer: customer, [("Work", "1", "90.00", nil)]).id)
        // The request is sent, the server commits it, and dies before the client reads the answer.
        let client = try server.connect()
        try client.send(RPCRequest(id: .number("1"), method: "payment.record", params: [
            "tenant": .string(inv.tenant), "customer_id": JSON(customer), "amount": "90.00", "received_on": "2026-02-01",
            "method": "bank_transfer", "idempotency_key": "crash-retry",
        ]).json)
        usleep(500_000)
        server.stop(signal: SIGKILL)
        try server.start()
        let retried = try server.connect().call("payment.record", [
            "tenant": .string(inv.tenant), "customer_id": JSON(customer), "amount": "90.00", "received_on": "2026-02-01",
            "method": "bank_transfer", "idempotency_key": "crash-retry",
        ])
        let list = try Invoicing(client: try server.connect(), tenant: inv.tenant).call("payment.list")
        #expect(list["items"]?.arrayValue?.count == 1)
        #expect(list["items"]?.arrayValue?.first?["id"] == retried["id"])
        server.stop()
    }

    @Test func reconcileThousandLineStatement() throws {
        let (inv, customer) = try setUp("recon")
        var csv = "date,amount,reference,payer\n"
        var expectedExact = 0, expectedPartial = 0, expectedUnmatched = 0
        // 30 invoices; each gets one exact line, one partial line; then unmatched lines fill up to 1,000.
        for i in 1...30 {
            let invoice = try issued(inv, customer, "\(100 + i).00")
            let number = invoice["number"]!.stringValue!
            csv += "2026-02-01,\(100 + i).00,Payment \(number),Payer Ltd\n"
            expectedExact += 1
            csv += "2026-02-02,1.00,Part of \(number),Payer Ltd\n"
            expectedPartial += 1
        }
        for i in 1...(1000 - 60) {
            csv += "2026-02-03,\(i).99,\"Unknown, ref \(i)\",Stranger \(i)\n"
            expectedUnmatched += 1
        }
        let imported = try inv.call("reconcile.import", ["csv": .string(csv)])
        let counts = imported["counts"]
        #expect(counts?["exact"] == JSON(expectedExact))
        #expect(counts?["partial"] == JSON(expectedPartial))
        #expect(counts?["unmatched"] == JSON(expectedUnmatched))
        let again = try inv.call("reconcile.import", ["csv": .string(csv)])
        #expect(again["counts"]?["duplicate"] == 1000)
        let confirmed = try inv.call("reconcile.confirm", ["statement_id": imported["statement_id"]!])
        #expect(confirmed["confirmed"] == JSON(expectedExact + expectedPartial))
        let twice = try inv.call("reconcile.confirm", ["statement_id": imported["statement_id"]!])
        #expect(twice["confirmed"] == 0)
        #expect(try inv.call("payment.list", ["limit": 500])["items"]?.arrayValue?.count == expectedExact + expectedPartial)
        #expect(try inv.call("audit.verify")["ok"] == .bool(true))
    }

    @Test func disputesAndNotesAreLogged() throws {
        let (inv, customer) = try setUp("disp")
        let invoice = try issued(inv, customer, "10.00")
        _ = try inv.call("invoice.dispute", ["id": JSON(invoice.id), "reason": "wrong hours"])
        #expect(throws: RPCError.self) { try inv.call("invoice.dispute", ["id": JSON(invoice.id), "reason": "again"]) }
        _ = try inv.call("invoice.note", ["id": JSON(invoice.id), "text": "called Anna"])
        let resolved = try inv.call("invoice.resolve_dispute", ["id": JSON(invoice.id), "resolution": "confirmed", "note": "hours were right"])
        #expect(resolved["disputed"] == .bool(false))
        #expect(resolved["events"]?.arrayValue?.map { $0["kind"] } == ["dispute", "note", "dispute_resolved"])
        #expect(resolved["events"]?.arrayValue?.first?["uid"] == 0)
    }
}
