import FolioWire
import Mustache

/// The note an e-mailed invoice travels with: greeting, what is attached, the invoice's
/// key facts and the seller's name, as plain text and as an HTML alternative (built from
/// a Mustache template, so every value is escaped).
public struct CoverLetter: Sendable {
    public let subject: String
    public let text: String
    public let html: String
    /// The seller's name as the letter signs it (legal name, else the tenant's name).
    public let seller: String

    private static let template = Result {
        try MustacheTemplate(string: """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>{{subject}}</title></head>
            <body>
            <p>Dear {{greeting}},</p>
            <p>{{opening}}</p>
            <table>
            {{#facts}}<tr><th align="left">{{label}}</th><td>{{value}}</td></tr>
            {{/facts}}</table>
            <p>{{attached}}</p>
            {{#remark}}<p>({{remark}})</p>
            {{/remark}}<p>Kind regards,<br>
            {{seller}}</p>
            </body></html>

            """)
    }

    /// `subject` overrides the default "Invoice N from Seller". A reminder opens with a
    /// reminder sentence instead of "please find attached"; with its `reminderLetter`
    /// (the letter's data) it opens with the level's wording and adds days overdue and the
    /// total due. `attachedAs` names what is attached (default `<number>.pdf`); `remark`
    /// is a line added after it.
    public init(invoice: JSON, tenant: JSON, customer: JSON?, reminder: Bool, reminderLetter: JSON? = nil,
                subject: String? = nil, attachedAs: String? = nil, remark: String? = nil) throws {
        let number = invoice["number"]?.stringValue ?? "invoice"
        let seller = tenant["legal_name"]?.stringValue ?? tenant["name"]?.stringValue ?? "Folio"
        let currency = invoice["currency"]?.stringValue ?? ""
        let greeting = customer?["name"]?.stringValue ?? invoice["customer_name"]?.stringValue ?? "customer"
        var facts: [(String, String)] = [("Invoice", number)]
        if let date = invoice["issue_date"]?.stringValue { facts.append(("Issue date", date)) }
        if let date = invoice["due_date"]?.stringValue { facts.append(("Due date", date)) }
        if let total = invoice["total"]?.stringValue { facts.append(("Total", "\(total) \(currency)")) }
        if let balance = invoice["balance_due"]?.stringValue { facts.append(("Balance due", "\(balance) \(currency)")) }
        if case .number(let days)? = reminderLetter?["days_overdue"] { facts.append(("Days overdue", days)) }
        if let due = reminderLetter?["total_due"]?.stringValue { facts.append(("Total due with charges", "\(due) \(currency)")) }
        if let terms = invoice["payment_terms_text"]?.stringValue { facts.append(("Payment terms", terms)) }
        let opening = reminderLetter?["message"]?.stringValue ?? (reminder
            ? "This is a friendly reminder that invoice \(number) is still open."
            : "Please find attached invoice \(number).")
        let attached = "The \(reminderLetter == nil ? "invoice" : "reminder letter") is attached as \(attachedAs ?? "\(number).pdf")."

        self.subject = subject ?? "Invoice \(number) from \(seller)"
        self.seller = seller
        var text = "Dear \(greeting),\n\n\(opening)\n\n"
        for (label, value) in facts { text += "\(label): \(value)\n" }
        text += "\n\(attached)\n"
        if let remark { text += "(\(remark))\n" }
        text += "\nKind regards,\n\(seller)\n"
        self.text = text
        var context: [String: Any] = [
            "subject": self.subject, "greeting": greeting, "opening": opening, "attached": attached,
            "seller": seller, "facts": facts.map { ["label": $0.0, "value": $0.1] as [String: Any] },
        ]
        if let remark { context["remark"] = remark }
        self.html = try Self.template.get().render(context)
    }
}
