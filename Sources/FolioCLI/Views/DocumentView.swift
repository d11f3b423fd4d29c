import FolioText
import FolioWire

/// The human form of an invoice or a credit note: a header block, the lines table,
/// the tax breakdown and a block of totals, then an invoice's open dispute, the payments
/// allocated to it and its events when the server sends them. Amounts are printed as
/// received.
enum DocumentView {
    static func invoice(_ invoice: JSON) -> String {
        let number = invoice["number"]?.stringValue
        let title = number.map { "Invoice \($0)" } ?? "Draft invoice \(text(invoice, "id"))"
        var header: [(key: String, value: String)] = [
            ("id", text(invoice, "id")),
            ("status", status(invoice)),
            ("customer", "\(text(invoice, "customer_name")) (id \(text(invoice, "customer_id")))"),
            ("currency", text(invoice, "currency")),
            ("issue_date", text(invoice, "issue_date")),
            ("due_date", text(invoice, "due_date")),
            ("payment_terms_days", text(invoice, "payment_terms_days")),
            ("po_number", text(invoice, "po_number")),
            ("delivery_date", text(invoice, "delivery_date")),
            ("period", invoice["period_start"]?.stringValue.map { "\($0) to \(text(invoice, "period_end"))" } ?? ""),
            ("tax_rounding", text(invoice, "tax_rounding")),
            ("notes", text(invoice, "notes")),
        ]
        if invoice["void_reason"]?.isNull == false { header.append(("void_reason", text(invoice, "void_reason"))) }
        var more: [String] = []
        if let dispute = invoice["dispute"], dispute.objectValue != nil {
            more.append("Dispute\n" + KeyValueBlock(dispute, leading: ["reason", "opened_at", "opened_by"]).render())
        }
        if let allocations = invoice["allocations"]?.arrayValue, !allocations.isEmpty {
            more.append("Payments\n" + allocationsView.render(allocations))
        }
        if let events = invoice["events"]?.arrayValue, !events.isEmpty {
            more.append("Events\n" + eventsView.render(events))
        }
        return sections(title, header, invoice, totals: ["line_total", "allowance_total", "charge_total",
                                                          "subtotal", "tax_total", "total", "amount_paid", "credited",
                                                         "balance_due"], more: more)
    }

    /// An invoice's status with its conditions: "issued (overdue, disputed)".
    static func status(_ invoice: JSON) -> String {
        let conditions = ["overdue", "disputed"].filter { invoice[$0]?.boolValue == true }
        let status = invoice["status"]?.displayText ?? ""
        return conditions.isEmpty ? status : "\(status) (\(conditions.joined(separator: ", ")))"
    }

    /// The payments allocated to the invoice (reversed ones included).
    private static let allocationsView = ListView(noun: Noun("payment"), columns: [
        .init("PAYMENT", "payment_id", .number), .init("AMOUNT", "amount", .money), .init("ALLOCATED", "allocated_on"),
        .init("REVERSED", "reversed_on"),
    ])

    /// The invoice's history: notes, disputes and their resolution.
    private static let eventsView = ListView(noun: Noun("event"), columns: [
        .init("AT", "at"), .init("UID", "uid", .number), .init("KIND", "kind"), .init("TEXT", text: eventText),
    ])

    /// An event's text; a resolved dispute's also says how: "... [credited, credit note 4]".
    private static func eventText(_ event: JSON) -> String {
        let text = event["text"]?.displayText ?? ""
        var outcome = [event["resolution"]?.displayText ?? ""]
        if let note = event["credit_note_id"], !note.isNull { outcome.append("credit note \(note.displayText)") }
        let how = outcome.filter { !$0.isEmpty }.joined(separator: ", ")
        return how.isEmpty ? text : text.isEmpty ? "[\(how)]" : "\(text) [\(how)]"
    }

    static func creditNote(_ note: JSON) -> String {
        let header: [(key: String, value: String)] = [
            ("id", text(note, "id")),
            ("invoice", "\(text(note, "invoice_number")) (id \(text(note, "invoice_id")))"),
            ("customer_id", text(note, "customer_id")),
            ("currency", text(note, "currency")),
            ("issue_date", text(note, "issue_date")),
            ("reason", text(note, "reason")),
            ("tax_rounding", text(note, "tax_rounding")),
        ]
        return sections("Credit note \(text(note, "number"))", header, note, totals: ["subtotal", "tax_total", "total"])
    }

    private static func sections(
        _ title: String, _ header: [(key: String, value: String)], _ document: JSON, totals: [String],
        more: [String] = []
    ) -> String {
        var parts = [title + "\n" + KeyValueBlock(pairs: header).render()]
        if let lines = document["lines"]?.arrayValue { parts.append(linesTable(lines)) }
        let adjustments = (document["allowances"]?.arrayValue ?? []).map { ("allowance", $0) }
            + (document["charges"]?.arrayValue ?? []).map { ("charge", $0) }
        if !adjustments.isEmpty { parts.append(adjustmentsTable(adjustments)) }
        if let breakdown = document["tax_breakdown"]?.arrayValue, !breakdown.isEmpty {
            parts.append(taxTable(breakdown))
        }
        let amounts = totals.filter { document[$0] != nil }.map { (key: $0, value: text(document, $0)) }
        parts.append(KeyValueBlock(pairs: amounts, alignValuesRight: true).render())
        return (parts + more).joined(separator: "\n\n")
    }

    private static func linesTable(_ lines: [JSON]) -> String {
        guard !lines.isEmpty else { return "no lines" }
        let columns: [TextTable.ColumnFormat] = [
            .init(title: "#", alignment: .right), .init(title: "DESCRIPTION"), .init(title: "QTY", alignment: .right),
            .init(title: "UNIT PRICE", alignment: .right), .init(title: "DISCOUNT", alignment: .right), .init(title: "TAX"),
            .init(title: "AMOUNT", alignment: .right),
            .init(title: "LINE TAX", alignment: .right),
        ]
        let rows = lines.map { line in
            [text(line, "line_no"), text(line, "description"), quantity(line), text(line, "unit_price"),
             discount(line), taxLabel(code: line["tax_rate"], percent: line["tax_percent"]), text(line, "amount"), text(line, "tax")]
        }
        return TextTable(columns: columns, rows: rows).render()
    }

    /// Document-level allowances and charges (contract v1.1).
    private static func adjustmentsTable(_ adjustments: [(String, JSON)]) -> String {
        let columns: [TextTable.ColumnFormat] = [
            .init(title: "KIND"), .init(title: "REASON"), .init(title: "PERCENT", alignment: .right),
            .init(title: "TAX"), .init(title: "AMOUNT", alignment: .right),
        ]
        let rows = adjustments.map { kind, entry in
            [kind, text(entry, "reason"), text(entry, "percent"), taxLabel(code: entry["tax_rate"], percent: entry["tax_percent"]),
             text(entry, "amount")]
        }
        return TextTable(columns: columns, rows: rows).render()
    }

    private static func taxTable(_ breakdown: [JSON]) -> String {
        let columns: [TextTable.ColumnFormat] = [
            .init(title: "TAX"), .init(title: "TAXABLE", alignment: .right), .init(title: "TAX AMOUNT", alignment: .right),
        ]
        let rows = breakdown.map { group in
            [taxLabel(code: group["code"], percent: group["percent"]), text(group, "taxable"), text(group, "tax")]
        }
        return TextTable(columns: columns, rows: rows).render()
    }

    /// "3 HUR"; the default unit C62 (one) is not shown.
    private static func quantity(_ line: JSON) -> String {
        let unit = line["unit"]?.stringValue ?? "C62"
        return text(line, "qty") + (unit == "C62" ? "" : " " + unit)
    }

    /// "10.00 (10%)", "" without a discount.
    private static func discount(_ line: JSON) -> String {
        guard let amount = line["discount_amount"]?.stringValue else { return "" }
        return amount + (line["discount_percent"]?.stringValue.map { " (\($0)%)" } ?? "")
    }

    /// "VAT19 19%", or "untaxed" for a line without a tax rate.
    private static func taxLabel(code: JSON?, percent: JSON?) -> String {
        guard let code = code?.stringValue else { return "untaxed" }
        let rate = percent?.displayText ?? ""
        return rate.isEmpty ? code : "\(code) \(rate)%"
    }

    private static func text(_ object: JSON, _ key: String) -> String {
        object.shown(key)
    }
}
