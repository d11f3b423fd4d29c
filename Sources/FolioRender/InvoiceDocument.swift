import FolioWire

/// Everything a document shows, taken from the JSON results the server already produces.
public struct InvoiceDocument: Sendable {
    public enum Kind: Sendable, Equatable { case invoice, creditNote }

    public var kind: Kind
    /// The invoice or credit note number; `"DRAFT"` for a draft without one.
    public var number: String
    public var status: String?
    public var currency: String
    public var issueDate: String?
    public var dueDate: String?
    public var paymentTermsDays: Int?
    /// The terms text of the invoice (its `payment_terms_text`, for drafts the tenant's).
    public var paymentTermsNote: String?
    /// The service period (`period_start` to `period_end`), e.g. of a recurring invoice.
    public var periodStart: String?
    public var periodEnd: String?
    public var poNumber: String?
    public var notes: String?
    /// For credit notes: the credited invoice's number and the reason.
    public var invoiceNumber: String?
    public var reason: String?
    public var lines: [DocumentLine]
    public var subtotal: String?
    public var taxTotal: String?
    public var total: String?
    public var taxBreakdown: [TaxBreakdownRow]
    public var amountPaid: String?
    public var credited: String?
    public var balanceDue: String?
    public var seller: Party
    public var customer: Party

    /// `invoice` is an `invoice.get` result or a credit note object (it has `invoice_id` and
    /// `reason`), `tenant` a `tenant.get` result, `customer` a `customer.get` result.
    /// Missing or null fields are tolerated everywhere.
    public init(invoice: JSON, tenant: JSON, customer: JSON?) {
        let isCredit = invoice["invoice_id"] != nil && invoice["reason"] != nil
        kind = isCredit ? .creditNote : .invoice
        number = invoice["number"].displayText ?? "DRAFT"
        status = invoice["status"].displayText
        currency = invoice["currency"].displayText ?? tenant["currency"].displayText ?? ""
        issueDate = invoice["issue_date"].displayText
        dueDate = invoice["due_date"].displayText
        paymentTermsDays = (invoice["payment_terms_days"] ?? tenant["payment_terms_days"]).flatMap { $0.displayText }.flatMap { Int($0) }
        paymentTermsNote = invoice["payment_terms_text"].displayText ?? tenant["payment_terms_text"].displayText
        periodStart = invoice["period_start"].displayText
        periodEnd = invoice["period_end"].displayText
        poNumber = invoice["po_number"].displayText
        notes = invoice["notes"].displayText
        invoiceNumber = invoice["invoice_number"].displayText
        reason = invoice["reason"].displayText
        lines = (invoice["lines"]?.arrayValue ?? []).map(DocumentLine.init)
        subtotal = invoice["subtotal"].displayText
        taxTotal = invoice["tax_total"].displayText
        total = invoice["total"].displayText
        taxBreakdown = (invoice["tax_breakdown"]?.arrayValue ?? []).map(TaxBreakdownRow.init)
        amountPaid = invoice["amount_paid"].displayText
        credited = invoice["credited"].displayText
        balanceDue = invoice["balance_due"].displayText
        seller = Party(tenant: tenant)
        self.customer = Party(customer: customer, fallbackName: invoice["customer_name"].displayText)
    }

    /// "Invoice" or "Credit note".
    public var title: String { kind == .invoice ? "Invoice" : "Credit note" }

    /// The tenant's own terms text when it has one (e.g. `"Net 30"`), else
    /// `"Payment due within N days, by <due date>"`, `"Due upon receipt"` for 0 days;
    /// `nil` for credit notes and when nothing is known.
    public var paymentTermsText: String? {
        guard kind == .invoice else { return nil }
        if let note = paymentTermsNote, !note.hasPrefix("Payment due within "), note != "Due upon receipt" { return note }
        if paymentTermsDays == 0 { return "Due upon receipt" }
        switch (paymentTermsDays, dueDate) {
        case (let days?, let due?): return "Payment due within \(days) day\(days == 1 ? "" : "s"), by \(due)"
        case (let days?, nil): return "Payment due within \(days) day\(days == 1 ? "" : "s")"
        case (nil, let due?): return "Payment due by \(due)"
        case (nil, nil): return nil
        }
    }
}
