import FolioTestSupport
import FolioClient
import FolioDomain
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Contract v1.1: a customer's purchase order from receipt to the issued invoice, with its
/// discrepancies, signature, deliveries, receipt and invoicing rules.
@Suite(.timeLimit(.minutes(5))) struct OrderTests {
    let server = ServerProcess.shared

    /// PO -> discrepancies -> confirm refused unsigned -> two partial deliveries with tracking
    /// numbers -> receipt -> invoice -> issue, with quantities, totals and stock checked at each step.
    @Test func fromPurchaseOrderToIssuedInvoice() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("order"))
        try o.inv.taxRate("VAT20", "20")
        let widget = try o.item("WID-1", price: "10.00", tax: "VAT20", stock: "100")
        let bolt = try o.item("BOLT-2", price: "2.50", tax: "VAT20", stock: "50")
        let customer = try o.inv.customer("Buyer GmbH")

        // The PO as received: a price that differs from the item's, an sku nobody knows.
        let order = try o.order(customer: customer, po: "PO-4711", [("WID-1", "10", nil), ("BOLT-2", "20", "2.40"), ("NOPE-9", "1", "5.00")],
                                extra: ["buyer_contact": ["name": "Bea Buyer", "email": "bea@buyer.example"],
                                        "shipping_address": ["line1": "Dock 4", "city": "Hamburg", "country": "DE"],
                                        "requested_delivery_date": "2026-03-20"])
        let id = order.id
        #expect(order["status"] == "received")
        #expect(order["po_number"] == "PO-4711")
        #expect(order["subtotal"] == "153.00")   // 100.00 + 48.00 + 5.00
        #expect(order["tax_total"] == "29.60")   // 20% of 148.00; the unknown sku has no tax rate
        #expect(order["total"] == "182.60")
        let kinds = order["discrepancies"]!.arrayValue!.map { [$0["kind"]!, $0["line_no"] ?? .null] }
        #expect(kinds == [["price_differs", 2], ["unknown_sku", 3]])
        #expect(order["lines"]!.arrayValue![2]["item_id"] == .null)
        #expect(order["lines"]!.arrayValue![2]["sku"] == "NOPE-9")

        // The same PO number again for the same customer.
        let again = try o.order(customer: customer, po: "PO-4711", [("WID-1", "1", nil)])
        #expect(again["discrepancies"]!.arrayValue!.map { $0["kind"] } == ["duplicate_po_number"])
        // Another customer may use the same number.
        let other = try o.order(customer: try o.inv.customer("Other"), po: "PO-4711", [("WID-1", "1", nil)])
        #expect(other["discrepancies"] == .array([]))

        // Confirmation needs a signature, then its date, then no open discrepancies.
        expectError(ErrorCode.conflict, field: "signed_by") { try o.call("order.confirm", ["id": JSON(id)]) }
        _ = try o.call("order.update", ["id": JSON(id), "signed_by": "Bea Buyer"])
        expectError(ErrorCode.conflict, field: "signed_on") { try o.call("order.confirm", ["id": JSON(id)]) }
        _ = try o.call("order.update", ["id": JSON(id), "signed_on": "2026-03-01"])
        expectError(ErrorCode.conflict, field: "accept_discrepancies") { try o.call("order.confirm", ["id": JSON(id)]) }
        #expect(try o.status(id) == "received")

        // Clarified with the buyer: the duplicate was a mistake, the price is the list price, the unknown line goes.
        _ = try o.call("order.cancel", ["id": again["id"]!, "reason": "sent twice"])
        let fixed = try o.call("order.update", ["id": JSON(id), "lines": [["sku": "WID-1", "qty": "10"],
                                                                           ["item_id": JSON(bolt), "qty": "20", "unit_price": "2.50"]]])
        #expect(fixed["discrepancies"] == .array([]))
        #expect(fixed["total"] == "180.00")
        let confirmed = try o.call("order.confirm", ["id": JSON(id)])
        #expect(confirmed["status"] == "confirmed")
        expectError(ErrorCode.conflict, field: "id") { try o.call("order.update", ["id": JSON(id), "notes": "late change"]) }
        expectError(ErrorCode.conflict, field: "id") { try o.call("order.confirm", ["id": JSON(id)]) }

        // Only what was received counts for invoicing in this tenant.
        _ = try o.call("tenant.update", ["invoice_requires_receipt": true])

        // First partial delivery, two parcels.
        let first = try o.deliver(id, [(1, "4"), (2, "20")], tracking: ["1Z999AA10123456784", "1Z999AA10123456785"])
        #expect(first["status"] == "shipped")
        #expect(first["tracking_numbers"] == ["1Z999AA10123456784", "1Z999AA10123456785"])
        #expect(try o.quantities(id) == [["10", "4", "0", "0"], ["20", "20", "0", "0"]])
        #expect(try o.status(id) == "partially_delivered")
        #expect(try o.stock(widget) == "96")
        #expect(try o.stock(bolt) == "30")

        // Something was delivered (nothing invoiced yet): the order can no longer be cancelled.
        expectError(ErrorCode.conflict, field: "id") { try o.call("order.cancel", ["id": JSON(id), "reason": "changed mind"]) }
        #expect(try o.status(id) == "partially_delivered")

        // Over-delivery is refused and writes nothing.
        expectError(ErrorCode.conflict, field: "lines[0].qty") { try o.deliver(id, [(1, "7")]) }
        expectError(ErrorCode.conflict, field: "lines[1].qty") { try o.deliver(id, [(1, "1"), (2, "1")]) }
        #expect(try o.call("delivery.list", ["order_id": JSON(id)])["items"]!.arrayValue!.count == 1)
        #expect(try o.stock(widget) == "96")

        // Nothing received yet: nothing to invoice.
        expectError(ErrorCode.conflict, field: "order_id") { try o.call("invoice.create_from_order", ["order_id": JSON(id)]) }

        // Second delivery completes the order.
        let second = try o.deliver(id, [(1, "6")], tracking: ["JJD000390007"], on: "2026-03-07")
        #expect(try o.status(id) == "delivered")
        #expect(try o.stock(widget) == "90")

        // The buyer confirms receipt of the first delivery only.
        let received = try o.call("delivery.confirm_receipt", ["id": first["id"]!, "received_by": "Goods In", "received_on": "2026-03-06"])
        #expect(received["status"] == "received")
        #expect(received["received_by"] == "Goods In")
        expectError(ErrorCode.conflict, field: "id") {
            try o.call("delivery.confirm_receipt", ["id": first["id"]!, "received_by": "Again", "received_on": "2026-03-06"])
        }
        #expect(try o.quantities(id) == [["10", "10", "4", "0"], ["20", "20", "20", "0"]])

        // Invoice what was received: 4 widgets and 20 bolts.
        let draft = try o.call("invoice.create_from_order", ["order_id": JSON(id)])
        #expect(draft["status"] == "draft")
        #expect(draft["po_number"] == "PO-4711")
        #expect(draft["customer_id"] == JSON(customer))
        #expect(draft["delivery_date"] == "2026-03-05")
        #expect(draft["lines"]!.arrayValue!.map { [$0["item_id"], $0["qty"], $0["amount"]] }
                == [[JSON(widget), "4", "40.00"], [JSON(bolt), "20", "50.00"]])
        #expect(draft["total"] == "108.00")
        #expect(try o.quantities(id) == [["10", "10", "4", "4"], ["20", "20", "20", "20"]])
        #expect(try o.status(id) == "partially_invoiced")
        // Nothing more received: a second invoice is refused.
        expectError(ErrorCode.conflict, field: "order_id") { try o.call("invoice.create_from_order", ["order_id": JSON(id)]) }

        // Issuing it does not move the stock again (the deliveries did).
        let issued = try o.inv.issue(draft.id)
        #expect(issued["number"] == "INV-000001")
        #expect(try o.stock(widget) == "90")
        #expect(try o.stock(bolt) == "30")

        // Receipt of the second delivery, invoiced and issued in one call.
        _ = try o.call("delivery.confirm_receipt", ["id": second["id"]!, "received_by": "Goods In", "received_on": "2026-03-08"])
        let rest = try o.call("invoice.create_from_order", ["order_id": JSON(id), "issue": true])
        #expect(rest["status"] == "issued")
        #expect(rest["number"] == "INV-000002")
        #expect(rest["po_number"] == "PO-4711")
        #expect(rest["total"] == "72.00")
        #expect(try o.quantities(id) == [["10", "10", "10", "10"], ["20", "20", "20", "20"]])
        let done = try o.call("order.get", ["id": JSON(id)])
        #expect(done["status"] == "invoiced")
        #expect(done["invoices"]!.arrayValue!.map { $0["number"] } == ["INV-000001", "INV-000002"])
        #expect(done["deliveries"]!.arrayValue!.count == 2)
        #expect(try o.stock(widget) == "90")

        // Goods left the house: the order cannot be cancelled any more.
        expectError(ErrorCode.conflict, field: "id") { try o.call("order.cancel", ["id": JSON(id), "reason": "too late"]) }
        #expect(try o.call("order.list", ["status": "invoiced"])["items"]!.arrayValue!.map(\.id) == [id])
        #expect(try o.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func acceptedDiscrepanciesAndValidation() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("orderv"))
        _ = try o.item("A", price: "1.00")
        let customer = try o.inv.customer()
        let order = try o.order(customer: customer, po: "X-1", [("A", "2", "1.10")],
                                extra: ["signed_by": "Somebody", "signed_on": "2026-03-02"])
        expectError(ErrorCode.conflict, field: "accept_discrepancies") { try o.call("order.confirm", ["id": order["id"]!]) }
        let confirmed = try o.call("order.confirm", ["id": order["id"]!, "accept_discrepancies": true])
        #expect(confirmed["status"] == "confirmed")
        #expect(confirmed["discrepancies_accepted"] == .bool(true))
        #expect(confirmed["total"] == "2.20")

        // Every update recomputes the discrepancies: a price corrected in the catalogue resolves one.
        let later = try o.order(customer: customer, po: "X-3", [("A", "1", "1.25")])
        #expect(later["discrepancies"]!.arrayValue!.map { $0["kind"] } == ["price_differs"])
        _ = try o.call("item.update", ["id": later["lines"]!.arrayValue![0]["item_id"]!, "unit_price": "1.25"])
        #expect(try o.call("order.update", ["id": later["id"]!, "notes": "price agreed"])["discrepancies"] == .array([]))
        _ = try o.call("order.cancel", ["id": later["id"]!, "reason": "test done"])

        expectError(ErrorCode.invalidParams, field: "lines[0].item_id") {
            try o.call("order.create", ["customer_id": JSON(customer), "po_number": "X", "order_date": "2026-03-01", "lines": [["qty": "1"]]])
        }
        expectError(ErrorCode.invalidParams, field: "lines[1].sku") {
            try o.call("order.create", ["customer_id": JSON(customer), "po_number": "X", "order_date": "2026-03-01",
                                        "lines": [["sku": "A", "qty": "1"], ["sku": "A", "item_id": 1, "qty": "1"]]])
        }
        expectError(ErrorCode.notFound, field: "lines[0].item_id") {
            try o.call("order.create", ["customer_id": JSON(customer), "po_number": "X", "order_date": "2026-03-01",
                                        "lines": [["item_id": 999, "qty": "1"]]])
        }
        expectError(ErrorCode.invalidParams, field: "lines[0].qty") {
            try o.call("order.create", ["customer_id": JSON(customer), "po_number": "X", "order_date": "2026-03-01",
                                        "lines": [["sku": "A", "qty": "0"]]])
        }
        expectError(ErrorCode.invalidParams, field: "signature_png_base64") {
            try o.order(customer: customer, po: "X", [("A", "1", nil)], extra: ["signature_png_base64": "aGVsbG8gd29ybGQ="])
        }
        #expect(try o.call("order.list")["items"]!.arrayValue!.count == 2)

        // Unconfirmed and cancelled orders take no deliveries.
        let open = try o.order(customer: customer, po: "X-2", [("A", "1", nil)])
        expectError(ErrorCode.conflict, field: "order_id") { try o.deliver(open.id, [(1, "1")]) }
        _ = try o.call("order.cancel", ["id": open["id"]!, "reason": "buyer withdrew"])
        #expect(try o.status(open.id) == "cancelled")
        expectError(ErrorCode.conflict, field: "order_id") { try o.deliver(open.id, [(1, "1")]) }
        expectError(ErrorCode.conflict, field: "id") { try o.call("order.cancel", ["id": open["id"]!, "reason": "again"]) }
        // Deliveries name the order's lines, once each.
        expectError(ErrorCode.invalidParams, field: "lines[0].line_no") { try o.deliver(order.id, [(2, "1")]) }
        expectError(ErrorCode.invalidParams, field: "lines[1].line_no") { try o.deliver(order.id, [(1, "1"), (1, "1")]) }
        expectError(ErrorCode.invalidParams, field: "tracking_numbers[1]") { try o.deliver(order.id, [(1, "1")], tracking: ["T1", "T1"]) }
        #expect(try o.call("delivery.list")["items"] == .array([]))
        #expect(try o.quantities(order.id) == [["2", "0", "0", "0"]])
    }

    /// Over-invoicing is refused with nothing written; deleting a draft or voiding an invoice made
    /// from an order gives its quantities back; the lines of such a draft cannot be replaced.
    @Test func invoicedQuantitiesComeBackWhenTheInvoiceGoes() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("orderi"))
        let item = try o.item("G", price: "5.00", stock: "10")
        let customer = try o.inv.customer()
        let id = try o.confirmedOrder(customer: customer, po: "P-1", [("G", "4", nil)]).id
        _ = try o.deliver(id, [(1, "3")])
        let draft = try o.call("invoice.create_from_order", ["order_id": JSON(id)])
        #expect(draft["total"] == "15.00")
        expectError(ErrorCode.conflict, field: "order_id") { try o.call("invoice.create_from_order", ["order_id": JSON(id)]) }
        #expect(try o.call("invoice.list")["items"]!.arrayValue!.count == 1)
        expectError(ErrorCode.conflict, field: "lines") {
            try o.call("invoice.update", ["id": draft["id"]!, "lines": [["description": "G", "qty": "9", "unit_price": "5.00"]]])
        }
        expectError(ErrorCode.conflict, field: "po_number") { try o.call("invoice.update", ["id": draft["id"]!, "po_number": "P-2"]) }
        _ = try o.call("invoice.update", ["id": draft["id"]!, "notes": "notes may change"])
        _ = try o.call("invoice.delete", ["id": draft["id"]!])
        #expect(try o.quantities(id) == [["4", "3", "0", "0"]])
        #expect(try o.status(id) == "partially_delivered")

        let issued = try o.call("invoice.create_from_order", ["order_id": JSON(id), "issue": true])
        #expect(try o.quantities(id) == [["4", "3", "0", "3"]])
        #expect(try o.stock(item) == "7")
        _ = try o.call("invoice.void", ["id": issued["id"]!, "reason": "wrong address"])
        #expect(try o.quantities(id) == [["4", "3", "0", "0"]])
        #expect(try o.stock(item) == "7")   // voiding it does not bring delivered goods back
        let again = try o.call("invoice.create_from_order", ["order_id": JSON(id), "issue": true])
        #expect(again["total"] == "15.00")
        // A partial credit note gives nothing back; one that credits the rest (the invoice becomes void) does.
        _ = try o.call("credit_note.create", ["invoice_id": again["id"]!, "reason": "discount", "amount": "5.00"])
        #expect(try o.quantities(id) == [["4", "3", "0", "3"]])
        _ = try o.call("credit_note.create", ["invoice_id": again["id"]!, "reason": "returned", "amount": "10.00"])
        #expect(try o.call("invoice.get", ["id": again["id"]!])["status"] == "void")
        #expect(try o.quantities(id) == [["4", "3", "0", "0"]])
        _ = try o.deliver(id, [(1, "1")])
        #expect(try o.call("invoice.create_from_order", ["order_id": JSON(id)])["total"] == "20.00")
        #expect(try o.status(id) == "invoiced")
        #expect(try o.call("audit.verify", ["full": true])["ok"] == .bool(true))

        // A line's quantities changed behind the server's back: the full verification finds it.
        let db = try Database.superuser()
        try db.execute("UPDATE t_\(o.tenant).order_lines SET received_qty = 1")
        let verified = try o.call("audit.verify", ["full": true])
        #expect(verified["ok"] == .bool(false))
        #expect(verified["problems"]!.arrayValue!.map { [$0["kind"], $0["id"]] } == [["order_quantities", JSON(id)]])
    }

    /// The incremental verification re-checks the orders that changed since the last one:
    /// a line tampered with behind the server's back is found once its order has activity
    /// (here a delivery), or through the invoice made from it; untouched orders are left to
    /// the full run.
    @Test func incrementalVerificationChecksOrdersWithNewActivity() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("orderv"))
        _ = try o.item("G", price: "5.00", stock: "10")
        let customer = try o.inv.customer()
        let first = try o.confirmedOrder(customer: customer, po: "V-1", [("G", "4", nil)]).id
        let second = try o.confirmedOrder(customer: customer, po: "V-2", [("G", "4", nil)]).id
        _ = try o.deliver(second, [(1, "2")])
        #expect(try o.call("audit.verify")["ok"] == .bool(true))

        let db = try Database.superuser()
        try db.execute("UPDATE t_\(o.tenant).order_lines SET delivered_qty = delivered_qty + 1")
        let idle = try o.call("audit.verify")
        #expect(idle["ok"] == .bool(true), "nothing happened since the last run: \(idle)")

        _ = try o.deliver(first, [(1, "1")])
        let afterDelivery = try o.call("audit.verify")
        #expect(afterDelivery["problems"]?.arrayValue?.map { [$0["kind"], $0["id"]] } == [["order_quantities", JSON(first)]],
                "\(afterDelivery)")
        _ = try o.call("invoice.create_from_order", ["order_id": JSON(second), "issue": true])
        let afterInvoice = try o.call("audit.verify")
        #expect(Set(afterInvoice["problems"]?.arrayValue?.compactMap { $0["id"]?.int64Value } ?? []) == [first, second],
                "\(afterInvoice)")
        #expect(try o.call("audit.verify", ["full": true])["problems"]?.arrayValue?.count == 2)
    }

    /// 8 clients deliver 3 of a line of 10 at once: three succeed, the others are refused,
    /// and the line never exceeds its ordered quantity; 8 clients invoicing the order at once
    /// make one invoice.
    @Test func concurrentDeliveriesAndInvoicesNeverExceedTheOrder() throws {
        let tenant = try server.makeTenant("orderc")
        let o = Ordering(client: try server.connect(), tenant: tenant)
        let item = try o.item("C", price: "1.00", stock: "100")
        let id = try o.confirmedOrder(customer: try o.inv.customer(), po: "C-1", [("C", "10", nil)]).id
        let outcomes = Shared<[Int]>([])
        concurrently(8) { i in
            guard let client = try? Ordering(client: server.connect(), tenant: tenant) else { return }
            do {
                _ = try client.deliver(id, [(1, "3")], tracking: ["T\(i)"])
                outcomes.update { $0.append(0) }
            } catch let error as RPCError {
                outcomes.update { $0.append(error.code) }
            } catch {
                outcomes.update { $0.append(-1) }
            }
        }
        #expect(outcomes.value.sorted() == [ErrorCode.conflict, ErrorCode.conflict, ErrorCode.conflict, ErrorCode.conflict, ErrorCode.conflict, 0, 0, 0].sorted())
        #expect(try o.quantities(id) == [["10", "9", "0", "0"]])
        #expect(try o.call("delivery.list", ["order_id": JSON(id)])["items"]!.arrayValue!.count == 3)
        #expect(try o.stock(item) == "91")

        let invoices = Shared<[String]>([])
        concurrently(8) { _ in
            guard let client = try? Ordering(client: server.connect(), tenant: tenant) else { return }
            if let total = try? client.call("invoice.create_from_order", ["order_id": JSON(id), "issue": true])["total"]?.stringValue {
                invoices.update { $0.append(total) }
            }
        }
        #expect(invoices.value == ["9.00"])
        #expect(try o.quantities(id) == [["10", "9", "0", "9"]])
        #expect(try o.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }
}

/// The same path through the real `folio` binary: tables for people, JSON for scripts.
@Suite(.timeLimit(.minutes(5))) struct OrderCLITests {
    let server = ServerProcess.shared

    @Test func folioOrderDeliveryInvoiceAndStock() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("ordercli"))
        let item = try o.item("CLI-1", price: "7.00", stock: "12")
        let customer = try o.inv.customer("CLI Buyer")
        let cli = CLI(socketPath: server.socketPath)
        func run(_ arguments: [String]) throws -> CommandResult {
            let result = try cli.run(["--tenant", o.tenant] + arguments)
            #expect(result.status == 0, "folio \(arguments.joined(separator: " ")): \(result.stderr)")
            return result
        }

        let made = try JSONParser.parse(try run(["--json", "order", "new", "--customer", String(customer), "--po", "CLI-PO-1",
                                                 "--date", "2026-04-01", "--line", "CLI-1:5", "--line", "GHOST:1:3.00"]).stdout)
        let id = made.id
        #expect(made["discrepancies"]!.arrayValue!.map { $0["kind"] } == ["unknown_sku"])
        let shown = try run(["order", "show", String(id)]).stdout
        #expect(shown.contains("CLI-PO-1"))
        #expect(shown.contains("unknown_sku"))
        #expect(shown.contains("not signed"))

        let refused = try cli.run(["--tenant", o.tenant, "order", "confirm", String(id)])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("signed_by"))
        _ = try run(["order", "edit", String(id), "--signed-by", "Carla", "--signed-on", "2026-04-01", "--line", "CLI-1:5"])
        #expect(try run(["order", "confirm", String(id)]).stdout.contains("confirmed"))

        let delivery = try JSONParser.parse(try run(["--json", "delivery", "record", String(id), "--line", "1:5", "--date", "2026-04-02",
                                                     "--carrier", "DHL", "--tracking", "TRK-A", "--tracking", "TRK-B"]).stdout)
        #expect(delivery["tracking_numbers"] == ["TRK-A", "TRK-B"])
        let deliveries = try run(["delivery", "list", "--order", String(id)]).stdout
        #expect(deliveries.contains("TRK-A, TRK-B"))
        #expect(try run(["delivery", "receive", String(delivery.id), "--by", "Dock", "--date", "2026-04-03"]).stdout.contains("received"))

        let invoice = try JSONParser.parse(try run(["--json", "invoice", "from-order", String(id), "--issue"]).stdout)
        #expect(invoice["number"] == "INV-000001")
        #expect(invoice["total"] == "35.00")
        #expect(try run(["order", "list", "--status", "invoiced"]).stdout.contains("CLI-PO-1"))

        let path = TestEnvironment.scratchDirectory() + "/note.pdf"
        _ = try run(["delivery", "pdf", String(delivery.id), "-o", path])
        #expect(try Poppler.text(ofFile: path).contains("TRK-B"))
        #expect(try run(["order", "pdf", String(id), "--format", "text"]).stdout.contains("CLI-PO-1"))

        _ = try run(["stock", "adjust", String(item), "--delta", "-2", "--reason", "damaged"])
        #expect(try o.stock(item) == "5")   // 12 - 5 delivered - 2 damaged
        let report = try run(["stock", "report"]).stdout
        #expect(report.contains("CLI-1"))
        #expect(report.contains("ok"))
        let below = try JSONParser.parse(try run(["--json", "stock", "report", "--below", "5"]).stdout)
        #expect(below["items"] == .array([]))
    }
}
