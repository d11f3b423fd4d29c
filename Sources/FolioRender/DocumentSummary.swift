/// The labelled facts every format prints, so that PDF, HTML and text say the same.
struct DocumentSummary {
    struct Row {
        var label: String
        var value: String
        var emphasized = false
    }

    /// Number, dates, PO number, credited invoice, status of a draft; an order's or delivery's facts.
    var facts: [Row] = []
    /// Subtotal, tax per rate, total, paid, credited, balance due.
    var totals: [Row] = []
    /// Payment terms, credit note reason; an order's signature, a delivery's shipment and receipt.
    var terms: [String] = []

    init(_ doc: InvoiceDocument) {
        let cur = doc.currency
        switch doc.kind {
        case .invoice: facts.append(Row(label: "Invoice number", value: doc.number))
        case .creditNote: facts.append(Row(label: "Credit note number", value: doc.number))
        case .orderConfirmation, .deliveryNote: break
        }
        facts += doc.orderFacts.map { Row(label: $0.label, value: $0.value) }
        if let v = doc.invoiceNumber { facts.append(Row(label: "Credited invoice", value: v)) }
        if let v = doc.issueDate { facts.append(Row(label: "Issue date", value: v)) }
        if let v = doc.dueDate { facts.append(Row(label: "Due date", value: v)) }
        if let v = doc.poNumber, doc.kind == .invoice || doc.kind == .creditNote { facts.append(Row(label: "PO number", value: v)) }
        if let s = doc.periodStart, let e = doc.periodEnd { facts.append(Row(label: "Service period", value: "\(s) to \(e)")) }
        if let v = doc.status, v == "draft" || v == "void" { facts.append(Row(label: "Status", value: v)) }

        if !doc.adjustments.isEmpty {
            if let v = doc.lineTotal { totals.append(Row(label: "Lines", value: Money.format(v, currency: cur))) }
            for adjustment in doc.adjustments {
                let amount = (adjustment.isCharge ? "" : "-") + adjustment.amount
                totals.append(Row(label: adjustment.label, value: Money.format(amount, currency: cur)))
            }
        }
        if let v = doc.subtotal { totals.append(Row(label: "Subtotal", value: Money.format(v, currency: cur))) }
        if doc.taxBreakdown.isEmpty {
            if let v = doc.taxTotal { totals.append(Row(label: "Tax", value: Money.format(v, currency: cur))) }
        } else {
            for row in doc.taxBreakdown {
                totals.append(Row(label: row.label(currency: cur), value: Money.format(row.tax, currency: cur)))
            }
        }
        if let v = doc.total { totals.append(Row(label: "Total", value: Money.format(v, currency: cur), emphasized: true)) }
        if doc.kind == .invoice {
            if let v = doc.amountPaid { totals.append(Row(label: "Amount paid", value: Money.format(v, currency: cur))) }
            if let v = doc.credited, !Self.isZero(v) { totals.append(Row(label: "Credited", value: Money.format(v, currency: cur))) }
            if let v = doc.balanceDue { totals.append(Row(label: "Balance due", value: Money.format(v, currency: cur), emphasized: true)) }
        }

        if let v = doc.paymentTermsText { terms.append(v) }
        if let v = doc.reason { terms.append("Reason: " + v) }
        terms += doc.closing
    }

    /// Whether a decimal string is zero (`"0"`, `"0.00"`, `"-0.0"`).
    static func isZero(_ s: String) -> Bool {
        s.allSatisfy { $0 == "0" || $0 == "." || $0 == "-" || $0 == "+" }
    }
}
