/// Contract v1.1, customers' purchase orders, deliveries and stock: the methods and their params.
extension MethodCatalog {
    static let orderLine = ParamType.object([
        .optional("item_id", .id),
        .optional("sku", .text(max: 64)),
        .required("qty", quantity),
        .optional("unit_price", unitPrice),
        .optional("description", .text(max: 2000)),
    ])

    static let buyerContact = ParamType.object([
        .optional("name", .text(max: 200), nullable: true),
        .optional("email", .text(max: 254), nullable: true),
        .optional("phone", .text(max: 64), nullable: true),
    ])

    /// The optional fields of `order.create` and `order.update` (null clears one in an update).
    static let orderFields: [Field] = [
        .optional("buyer_contact", buyerContact, nullable: true),
        .optional("billing_address", address, nullable: true),
        .optional("shipping_address", address, nullable: true),
        .optional("requested_delivery_date", .date, nullable: true),
        .optional("signed_by", .text(max: 200), nullable: true),
        .optional("signed_on", .date, nullable: true),
        // A PNG of at most 1 MiB (checked in SQL); the base64 text of 1 MiB is about 1.4 million characters.
        .optional("signature_png_base64", .text(max: 1_500_000), nullable: true),
        .optional("notes", .text(max: 4000), nullable: true),
    ]

    static let orderStatus = ParamType.choice([
        "received", "confirmed", "partially_delivered", "delivered", "partially_invoiced", "invoiced", "cancelled",
    ])

    static let deliveryLine = ParamType.object([
        .required("line_no", .integer(min: 1, max: 1000)),
        .required("qty", quantity),
    ])

    static let orders: [MethodSpec] = [
        method("order.create", .tenant(.clerk), mutating: true, [
            .required("customer_id", .id),
            .required("po_number", .text(max: 100)),
            .required("order_date", .date),
            .required("lines", .array(of: orderLine, min: 1, max: 1000)),
            .optional("currency", currency),
        ] + orderFields),
        method("order.update", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .optional("customer_id", .id),
            .optional("po_number", .text(max: 100)),
            .optional("order_date", .date),
            .optional("lines", .array(of: orderLine, min: 1, max: 1000)),
        ] + orderFields),
        method("order.confirm", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .optional("accept_discrepancies", .boolean),
        ]),
        method("order.cancel", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .required("reason", .text(max: 2000)),
        ]),
        method("order.get", .tenant(.viewer), [.required("id", .id)]),
        method("order.list", .tenant(.viewer), paging + [
            .optional("status", orderStatus),
            .optional("customer_id", .id),
            .optional("po_number", .text(max: 100)),
        ]),
        document("order.render", .order, [.required("id", .id), .required("format", printFormat)]),
        method("delivery.record", .tenant(.clerk), mutating: true, [
            .required("order_id", .id),
            .required("shipped_on", .date),
            .required("lines", .array(of: deliveryLine, min: 1, max: 1000)),
            .optional("carrier", .text(max: 200), nullable: true),
            .optional("tracking_numbers", .array(of: .text(max: 100), min: 0, max: 100)),
            .optional("notes", .text(max: 4000), nullable: true),
        ]),
        method("delivery.confirm_receipt", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .required("received_by", .text(max: 200)),
            .required("received_on", .date),
        ]),
        method("delivery.get", .tenant(.viewer), [.required("id", .id)]),
        method("delivery.list", .tenant(.viewer), paging + [
            .optional("order_id", .id),
            .optional("status", .choice(["shipped", "received"])),
        ]),
        document("delivery.render", .delivery, [.required("id", .id), .required("format", printFormat)]),
        method("invoice.create_from_order", .tenant(.clerk), mutating: true, [
            .required("order_id", .id),
            .optional("issue", .boolean),
            .optional("issue_date", .date),
        ]),
        method("item.adjust_stock", .tenant(.clerk), mutating: true, [
            .required("id", .id),
            .required("qty_delta", .decimal(scale: 3, integerDigits: 12, allowNegative: true)),
            .required("reason", .text(max: 2000)),
        ]),
        method("report.stock", .tenant(.viewer), paging + [
            .optional("below", .decimal(scale: 3, integerDigits: 12, allowNegative: true)),
        ]),
    ]
}
