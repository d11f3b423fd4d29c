import FolioClient
import FolioWire
import Testing

/// Every list (v1 and v1.1) pages the same way: `limit` items per page in order, `next_cursor` while
/// more remain and null on the last page (also when the last page is exactly full),
/// each item exactly once.
@Suite(.timeLimit(.minutes(5))) struct ListPagingTests {
    let server = ServerProcess.shared

    /// All items of `method`, fetched `limit` at a time, checking each page's shape.
    func pagedThrough(_ inv: Invoicing, _ method: String, _ params: JSONObject = [:], limit: Int) throws -> [JSON] {
        var items: [JSON] = []
        var cursor: String?
        var pages = 0
        repeat {
            var page = params
            page["limit"] = JSON(limit)
            if let cursor { page["cursor"] = .string(cursor) }
            let result = try inv.call(method, page)
            let chunk = try #require(result["items"]?.arrayValue, "\(method): \(result)")
            cursor = result["next_cursor"]?.stringValue
            #expect(chunk.count <= limit)
            if cursor != nil { #expect(chunk.count == limit, "\(method): a page with a cursor is full") }
            #expect(!chunk.isEmpty || pages == 0, "\(method): an empty page after a cursor")
            items += chunk
            pages += 1
        } while cursor != nil && pages < 100
        return items
    }

    @Test func everyListPagesCompletelyAndOnce() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("paging"))
        for n in 1...4 { try inv.taxRate("R\(n)", "\(n)") }
        var customers: [Int64] = []
        for n in 1...4 { customers.append(try inv.customer("Customer \(n)")) }
        for n in 1...6 {
            _ = try inv.call("item.create", ["sku": .string("SKU-\(n)"), "name": .string("Item \(n)"), "unit_price": "1.00",
                                             "stock_qty": "5"])
        }
        for n in 0..<6 {
            let draft = try inv.draft(customer: customers[n % 4], [("Work", "1", "10.00", nil)])
            _ = try inv.issue(draft.id, date: "2026-01-05")
        }
        for n in 0..<5 {
            _ = try inv.call("order.create", ["customer_id": JSON(customers[0]), "po_number": .string("PO-\(n)"),
                                              "order_date": "2026-01-05", "lines": [["sku": "SKU-1", "qty": "1"]]])
        }
        for _ in 0..<3 {
            _ = try inv.call("recurring.create", ["customer_id": JSON(customers[1]), "interval": "monthly", "start_date": "2026-02-01",
                                                  "lines": [["description": "Rent", "qty": "1", "unit_price": "100.00"]]])
        }
        _ = try inv.call("tenant.update", ["reminder_grace_days": 0,
                                           "reminder_levels": [["level": 1, "days_past_due": 0, "fee": .null, "message": "Overdue"]]])
        #expect(try inv.call("reminder.run")["created"]?.arrayValue?.count == 6)
        for n in 0..<4 {
            _ = try inv.call("payment.record", ["customer_id": JSON(customers[n]), "amount": "1.00", "received_on": "2026-02-01", "method": "cash"])
        }
        let lists: [(String, JSONObject, Int)] = [
            ("customer.list", [:], 4), ("item.list", [:], 6), ("tax_rate.list", [:], 4),
            ("invoice.list", [:], 6), ("invoice.list", ["customer_id": JSON(customers[0])], 2),
            ("payment.list", [:], 4), ("audit.log", ["entity": "customer"], 4),
            ("order.list", [:], 5), ("recurring.list", [:], 3), ("reminder.list", [:], 6), ("report.stock", [:], 6),
        ]
        for (method, params, count) in lists {
            for limit in [1, 2, 3, count, count + 1] {
                let items = try pagedThrough(inv, method, params, limit: limit)
                let ids = items.compactMap { $0["id"]?.int64Value }
                #expect(ids.count == count, "\(method) \(params) limit \(limit): \(ids)")
                #expect(Set(ids).count == ids.count, "\(method): an item twice")
                let ordered = method == "audit.log" ? ids.sorted(by: >) : ids.sorted()
                #expect(ids == ordered, "\(method): out of order")
            }
        }
        expectError(ErrorCode.invalidParams, field: "cursor") { try inv.call("customer.list", ["cursor": "abc"]) }
    }
}
