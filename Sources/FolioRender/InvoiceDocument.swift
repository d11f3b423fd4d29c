import FolioText
import FolioWire

/// Everything a document shows, taken from the JSON results the server already produces:
/// an invoice or credit note, or (OrderDocuments.swift) an order confirmation or delivery note.
public struct InvoiceDocument: Sendable {
    public enum Kind: Sendable, Equatable { case invoice, creditNote, orderConfirmation, deliveryNote }

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
    /// Sum of the line amounts, and the document-level allowances and charges (contract v1.1).
    public var lineTotal: String?
    public var adjustments: [Adjustment]
    public var subtotal: String?
    public var taxTotal: String?
    public var total: String?
    public var taxBreakdown: [TaxBreakdownRow]
    public var amountPaid: String?
    public var credited: String?
    public var balanceDue: String?
    public var seller: Party
    public var customer: Party
    /// Order confirmations and delivery notes: the facts of the order or shipment (dates,
    /// carrier, tracking numbers, ...) and the lines of their closing section (signature, receipt).
    public var orderFacts: [(label: String, value: String)] = []
    public var closing: [String] = []
    /// The buyer's signature image (PNG) on an order confirmation.
    public var signaturePNG: [UInt8]?

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
        lineTotal = invoice["line_total"].displayText
        adjustments = (invoice["allowances"]?.arrayValue ?? []).map { Adjustment($0, isCharge: false) }
            + (invoice["charges"]?.arrayValue ?? []).map { Adjustment($0, isCharge: true) }
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

    /// "Invoice", "Credit note", "Order confirmation" or "Delivery note".
    public var title: String {
        switch kind {
        case .invoice: "Invoice"
        case .creditNote: "Credit note"
        case .orderConfirmation: "Order confirmation"
        case .deliveryNote: "Delivery note"
        }
    }

    /// The heading of the buyer's address column: "Bill to", "Credit to" or "Customer".
    var partyHeading: String {
        switch kind {
        case .invoice, .orderConfirmation: "Bill to"
        case .creditNote: "Credit to"
        case .deliveryNote: "Customer"
        }
    }

    /// The heading of the closing section: payment terms, credit note reason, signature or receipt.
    var closingHeading: String {
        switch kind {
        case .invoice: "Payment terms"
        case .creditNote: "Credit note"
        case .orderConfirmation: "Signature"
        case .deliveryNote: "Shipment"
        }
    }

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

/// A document-level allowance (a reduction) or charge, with its reason.
public struct Adjustment: Sendable, Equatable {
    public var isCharge: Bool
    public var label: String
    public var amount: String

    init(_ json: JSON, isCharge: Bool) {
        self.isCharge = isCharge
        let percent = json["percent"].displayText.map { " \($0)%" } ?? ""
        let rate = json["tax_rate"].displayText.map { " [\($0)]" } ?? ""
        label = (isCharge ? "Charge" : "Allowance") + percent + ": " + (json["reason"].displayText ?? "") + rate
        amount = json["amount"].displayText ?? ""
    }
}
