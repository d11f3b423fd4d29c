import FolioClient
import FolioWire
import Testing

/// Small builders for order, delivery and stock calls in tests.
struct Ordering {
    let inv: Invoicing

    init(client: FolioConnection, tenant: String) { inv = Invoicing(client: client, tenant: tenant) }

    var tenant: String { inv.tenant }

    func call(_ method: String, _ params: JSONObject = [:]) throws -> JSON { try inv.call(method, params) }

    /// An item with a price, tax rate and (optionally) tracked stock; returns its id.
    func item(_ sku: String, price: String, tax: String? = nil, stock: String? = nil) throws -> Int64 {
        var params: JSONObject = ["sku": .string(sku), "name": .string("Item \(sku)"), "unit_price": .string(price)]
        if let tax { params["tax_rate"] = .string(tax) }
        if let stock { params["stock_qty"] = .string(stock) }
        return try call("item.create", params).id
    }

    /// An order with lines given as (sku, qty, unit price or nil).
    func order(customer: Int64, po: String, _ lines: [(String, String, String?)], extra: JSONObject = [:]) throws -> JSON {
        var params = extra
        params["customer_id"] = JSON(customer)
        params["po_number"] = .string(po)
        params["order_date"] = params["order_date"] ?? "2026-03-01"
        params["lines"] = .array(lines.map { line in
            var object: JSONObject = ["sku": .string(line.0), "qty": .string(line.1)]
            if let price = line.2 { object["unit_price"] = .string(price) }
            return .object(object)
        })
        return try call("order.create", params)
    }

    /// A signed and confirmed order of these lines.
    func confirmedOrder(customer: Int64, po: String, _ lines: [(String, String, String?)]) throws -> JSON {
        let order = try self.order(customer: customer, po: po, lines, extra: ["signed_by": "B. Buyer", "signed_on": "2026-03-01"])
        return try call("order.confirm", ["id": order["id"]!, "accept_discrepancies": true])
    }

    /// A delivery of (line_no, qty) pairs.
    func deliver(_ order: Int64, _ lines: [(Int, String)], tracking: [String] = [], on date: String = "2026-03-05") throws -> JSON {
        try call("delivery.record", [
            "order_id": JSON(order), "shipped_on": .string(date),
            "lines": .array(lines.map { .object(["line_no": JSON($0.0), "qty": .string($0.1)]) }),
            "tracking_numbers": .array(tracking.map { .string($0) }),
        ])
    }

    /// Each line's (qty, delivered_qty, received_qty, invoiced_qty) of an order.
    func quantities(_ order: Int64) throws -> [[String]] {
        try call("order.get", ["id": JSON(order)])["lines"]!.arrayValue!.map { line in
            ["qty", "delivered_qty", "received_qty", "invoiced_qty"].map { line[$0]?.stringValue ?? "?" }
        }
    }

    func stock(_ item: Int64) throws -> String? { try call("item.get", ["id": JSON(item)])["stock_qty"]?.stringValue }

    func status(_ order: Int64) throws -> String? { try call("order.get", ["id": JSON(order)])["status"]?.stringValue }
}
