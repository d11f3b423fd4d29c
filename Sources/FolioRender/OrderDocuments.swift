import FolioText
import FolioWire

extension InvoiceDocument {
    /// An order confirmation from an `order.get` result: the order's lines, prices and totals,
    /// its PO number, dates and signature, billed to the order's addresses (else the customer's).
    public init(order: JSON, tenant: JSON, customer: JSON?, signaturePNG: [UInt8]?) {
        self.init(invoice: order, tenant: tenant, customer: customer)
        kind = .orderConfirmation
        number = order["po_number"].displayText ?? ""
        issueDate = nil
        dueDate = nil
        paymentTermsDays = nil
        lines = (order["lines"]?.arrayValue ?? []).map { json in
            var line = DocumentLine(json)
            if !line.itemNumber.isEmpty { line.description = line.itemNumber + " · " + line.description }
            return line
        }
        useOrderAddresses(order)
        var facts: [(String, String?)] = [
            ("Order number", order["id"].displayText), ("PO number", order["po_number"].displayText),
            ("Order date", order["order_date"].displayText),
            ("Requested delivery", order["requested_delivery_date"].displayText),
            ("Status", order["status"].displayText?.replacingOccurrences(of: "_", with: " ")),
        ]
        let contact = order["buyer_contact"]
        facts.append(("Buyer contact", [contact?["name"], contact?["email"], contact?["phone"]]
            .compactMap { $0.displayText }.joined(separator: ", ")))
        orderFacts = facts.compactMap { label, value in value.flatMap { $0.isEmpty ? nil : (label: label, value: $0) } }
        switch (order["signed_by"].displayText, order["signed_on"].displayText) {
        case (let by?, let on?): closing = ["Signed by \(by) on \(on)"]
        case (let by?, nil): closing = ["Signed by \(by) (undated)"]
        default: closing = ["Not signed"]
        }
        self.signaturePNG = signaturePNG
    }

    /// A delivery note (packing slip) from a `delivery.get` result and its order's `order.get`
    /// result: the goods shipped, the carrier and every tracking number, and the receipt.
    public init(delivery: JSON, order: JSON, tenant: JSON, customer: JSON?) {
        self.init(invoice: delivery, tenant: tenant, customer: customer)
        kind = .deliveryNote
        number = delivery["id"].displayText ?? ""
        currency = ""
        issueDate = nil
        dueDate = nil
        paymentTermsDays = nil
        subtotal = nil
        taxTotal = nil
        total = nil
        taxBreakdown = []
        useOrderAddresses(order)
        var facts: [(String, String?)] = [
            ("Delivery number", delivery["id"].displayText), ("PO number", order["po_number"].displayText),
            ("Order date", order["order_date"].displayText), ("Shipped on", delivery["shipped_on"].displayText),
            ("Carrier", delivery["carrier"].displayText),
        ]
        let tracking = (delivery["tracking_numbers"]?.arrayValue ?? []).compactMap(\.displayText)
        if !tracking.isEmpty { facts.append(("Parcels", String(tracking.count))) }
        orderFacts = facts.compactMap { label, value in value.map { (label: label, value: $0) } }
        // Tracking numbers are long: they get full lines of their own, not the narrow facts column.
        closing += tracking.enumerated().map { "Tracking number \($0.offset + 1): \($0.element)" }
        if let by = delivery["received_by"].displayText, let on = delivery["received_on"].displayText {
            closing.append("Received by \(by) on \(on)")
        } else {
            closing.append("Received by: ____________________   Date: ____________")
        }
    }

    /// The order's own billing and shipping addresses replace the customer's where given.
    private mutating func useOrderAddresses(_ order: JSON) {
        let billing = PostalAddress(order["billing_address"])
        if !billing.isEmpty { customer.address = billing }
        let shipping = PostalAddress(order["shipping_address"])
        if !shipping.isEmpty { customer.shippingAddress = shipping }
    }
}
