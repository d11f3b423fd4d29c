import FolioClient
import FolioDomain
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Contract v1.1 stock: deliveries, invoices of other goods and item.adjust_stock move it; the
/// tenant's negative_stock rule; report.stock and audit.verify hold it against its movements.
@Suite(.timeLimit(.minutes(5))) struct StockTests {
    let server = ServerProcess.shared

    @Test func negativeStockForbidden() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("stockf", settings: ["negative_stock": "forbid"]))
        #expect(try o.call("tenant.get")["negative_stock"] == "forbid")
        #expect(try o.call("tenant.get")["invoice_requires_receipt"] == .bool(false))
        let item = try o.item("S", price: "1.00", stock: "5")
        let customer = try o.inv.customer()
        let id = try o.confirmedOrder(customer: customer, po: "N-1", [("S", "10", nil)]).id

        // A delivery that would take the stock below zero writes nothing.
        expectError(ErrorCode.conflict, field: "lines[0].qty") { try o.deliver(id, [(1, "6")], tracking: ["T1"]) }
        #expect(try o.call("delivery.list")["items"] == .array([]))
        #expect(try o.quantities(id) == [["10", "0", "0", "0"]])
        #expect(try o.stock(item) == "5")
        _ = try o.deliver(id, [(1, "5")])
        #expect(try o.stock(item) == "0")

        expectError(ErrorCode.conflict, field: "qty_delta") {
            try o.call("item.adjust_stock", ["id": JSON(item), "qty_delta": "-1", "reason": "breakage"])
        }
        let adjusted = try o.call("item.adjust_stock", ["id": JSON(item), "qty_delta": "3", "reason": "found in the back"])
        #expect(adjusted["stock_qty"] == "3")

        // Issuing an ordinary invoice of more than is in stock is refused too; the draft stays a draft.
        let draft = try o.call("invoice.create", ["customer_id": JSON(customer), "lines": [["item_id": JSON(item), "qty": "4"]]])
        expectError(ErrorCode.conflict, field: nil) { try o.inv.issue(draft.id) }
        #expect(try o.call("invoice.get", ["id": draft["id"]!])["status"] == "draft")
        #expect(try o.stock(item) == "3")

        // Allowed again: stock goes negative (a back order).
        _ = try o.call("tenant.update", ["negative_stock": "allow"])
        _ = try o.inv.issue(draft.id)
        #expect(try o.stock(item) == "-1")
        #expect(try o.call("audit.verify", ["full": true])["ok"] == .bool(true))
    }

    @Test func stockEqualsTheSumOfItsMovements() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("stocks"))
        let a = try o.item("A", price: "2.00", stock: "20")
        let b = try o.item("B", price: "3.00", stock: "4")
        let untracked = try o.item("U", price: "1.00")
        let customer = try o.inv.customer()
        let id = try o.confirmedOrder(customer: customer, po: "S-1", [("A", "5", nil), ("U", "2", nil)]).id
        _ = try o.deliver(id, [(1, "5"), (2, "2")])
        _ = try o.call("invoice.create_from_order", ["order_id": JSON(id), "issue": true])
        let invoice = try o.call("invoice.create", ["customer_id": JSON(customer), "issue": true,
                                                    "lines": [["item_id": JSON(a), "qty": "1"], ["item_id": JSON(b), "qty": "3"]]])
        _ = try o.call("item.adjust_stock", ["id": JSON(b), "qty_delta": "10.5", "reason": "delivery from supplier"])
        _ = try o.call("invoice.void", ["id": invoice["id"]!, "reason": "cancelled"])
        #expect(try o.stock(a) == "15")       // 20 - 5 delivered (not again on issue) - 1 + 1 voided
        #expect(try o.stock(b) == "14.5")     // 4 - 3 + 10.5 + 3
        #expect(try o.stock(untracked) == nil)

        let report = try o.call("report.stock")["items"]!.arrayValue!
        #expect(report.map(\.id) == [a, b])
        for row in report { #expect(row["stock_qty"] == row["movements_qty"]) }
        #expect(try o.call("report.stock", ["below": "15"])["items"]!.arrayValue!.map(\.id) == [b])

        expectError(ErrorCode.invalidParams, field: "qty_delta") {
            try o.call("item.adjust_stock", ["id": JSON(a), "qty_delta": "0", "reason": "x"])
        }
        #expect(try o.call("audit.verify", ["full": true])["ok"] == .bool(true))
        // Adjusting an item that did not track stock starts tracking it at 0.
        let counted = try o.call("item.adjust_stock", ["id": JSON(untracked), "qty_delta": "-2", "reason": "counted short"])
        #expect(counted["stock_qty"] == "-2")
        #expect(try o.call("report.stock")["items"]!.arrayValue!.map(\.id) == [a, b, untracked])
        #expect(try o.call("audit.verify", ["full": true])["ok"] == .bool(true))

        // A delivery's movement removed behind the server's back: the stock disagrees with them.
        let db = try Database.superuser()
        try db.execute("SET search_path = t_\(o.tenant); SET session_replication_role = replica; "
                       + "DELETE FROM stock_movements WHERE reason = 'delivery'; SET session_replication_role = origin")
        let verified = try o.call("audit.verify", ["full": true])
        #expect(verified["ok"] == .bool(false))
        #expect(verified["problems"]!.arrayValue!.contains { $0["kind"] == "stock" && $0["id"] == JSON(a) })
        let tampered = try o.call("report.stock")["items"]!.arrayValue!.first { $0.id == a }!
        #expect(tampered["stock_qty"] == "15")
        #expect(tampered["movements_qty"] == "20")
    }
}
