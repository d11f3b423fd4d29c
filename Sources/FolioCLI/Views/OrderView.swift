import FolioText
import FolioWire

/// The human form of an order and of a delivery: a header block, the lines with their
/// ordered, delivered, received and invoiced quantities, the discrepancies and totals.
enum OrderView {
    static func order(_ order: JSON) -> String {
        let header: [(key: String, value: String)] = [
            ("id", order.shown("id")),
            ("status", order.shown("status")),
            ("po_number", order.shown("po_number")),
            ("customer", "\(order.shown("customer_name")) (id \(order.shown("customer_id")))"),
            ("order_date", order.shown("order_date")),
            ("requested_delivery", order.shown("requested_delivery_date")),
            ("buyer_contact", order.shown("buyer_contact")),
            ("billing_address", order.shown("billing_address")),
            ("shipping_address", order.shown("shipping_address")),
            ("signed", signature(order)),
            ("currency", order.shown("currency")),
            ("notes", order.shown("notes")),
        ]
        var parts = ["Order \(order.shown("id")) (PO \(order.shown("po_number")))\n" + KeyValueBlock(pairs: header).render()]
        if let lines = order["lines"]?.arrayValue { parts.append(linesView.render(lines)) }
        let discrepancies = order["discrepancies"]?.arrayValue ?? []
        if !discrepancies.isEmpty {
            let accepted = order["discrepancies_accepted"]?.boolValue == true ? " (accepted)" : ""
            parts.append("Discrepancies\(accepted)\n" + discrepancies.map { "  \($0.shown("kind")): \($0.shown("message"))" }
                .joined(separator: "\n"))
        }
        if let deliveries = order["deliveries"]?.arrayValue, !deliveries.isEmpty {
            parts.append("Deliveries\n" + deliveries.map { "  \($0.shown("id")) shipped \($0.shown("shipped_on")), \($0.shown("status"))" }
                .joined(separator: "\n"))
        }
        if let invoices = order["invoices"]?.arrayValue, !invoices.isEmpty {
            parts.append("Invoices\n" + invoices.map { "  \($0.shown("invoice_id")) \($0.shown("number")) \($0.shown("status"))" }
                .joined(separator: "\n"))
        }
        let totals = ["subtotal", "tax_total", "total"].map { (key: $0, value: order.shown($0)) }
        parts.append(KeyValueBlock(pairs: totals, alignValuesRight: true).render())
        return parts.joined(separator: "\n\n")
    }

    static func delivery(_ delivery: JSON) -> String {
        let tracking = delivery["tracking_numbers"]?.arrayValue?.map { $0.displayText } ?? []
        let header: [(key: String, value: String)] = [
            ("id", delivery.shown("id")),
            ("status", delivery.shown("status")),
            ("order", "\(delivery.shown("order_id")) (PO \(delivery.shown("po_number")))"),
            ("shipped_on", delivery.shown("shipped_on")),
            ("carrier", delivery.shown("carrier")),
            ("tracking_numbers", tracking.isEmpty ? "-" : tracking.joined(separator: ", ")),
            ("received", delivery["received_on"]?.isNull == false
                ? "\(delivery.shown("received_on")) by \(delivery.shown("received_by"))" : "-"),
        ]
        var parts = ["Delivery \(delivery.shown("id"))\n" + KeyValueBlock(pairs: header).render()]
        if let lines = delivery["lines"]?.arrayValue { parts.append(deliveryLinesView.render(lines)) }
        return parts.joined(separator: "\n\n")
    }

    /// "name on date", or what is missing.
    private static func signature(_ order: JSON) -> String {
        guard order["signed_by"]?.isNull == false else { return "not signed" }
        let on = order["signed_on"]?.isNull == false ? " on \(order.shown("signed_on"))" : " (undated)"
        let image = order["has_signature"]?.boolValue == true ? ", signature image on file" : ""
        return order.shown("signed_by") + on + image
    }

    static let listView = ListView(noun: Noun("order"), columns: [
        .init("ID", "id", .number), .init("PO NUMBER", "po_number"), .init("STATUS", "status"),
        .init("CUSTOMER", "customer_name"), .init("ORDERED", "order_date"), .init("CURRENCY", "currency", .currency),
        .init("TOTAL", "total", .money),
    ])

    static let deliveryListView = ListView(noun: Noun("delivery", plural: "deliveries"), columns: [
        .init("ID", "id", .number), .init("ORDER", "order_id", .number), .init("PO NUMBER", "po_number"),
        .init("STATUS", "status"), .init("SHIPPED", "shipped_on"), .init("CARRIER", "carrier"),
        .init("TRACKING", text: { ($0["tracking_numbers"]?.arrayValue ?? []).map(\.displayText).joined(separator: ", ") }),
        .init("RECEIVED", "received_on"),
    ])

    private static let linesView = ListView(noun: Noun("line"), columns: [
        .init("#", "line_no", .number), .init("SKU", "sku"), .init("DESCRIPTION", "description"),
        .init("QTY", "qty", .number), .init("DELIVERED", "delivered_qty", .number), .init("RECEIVED", "received_qty", .number),
        .init("INVOICED", "invoiced_qty", .number), .init("UNIT PRICE", "unit_price", .number), .init("AMOUNT", "amount", .number),
    ])

    private static let deliveryLinesView = ListView(noun: Noun("line"), columns: [
        .init("#", "line_no", .number), .init("SKU", "sku"), .init("DESCRIPTION", "description"), .init("QTY", "qty", .number),
    ])
}
