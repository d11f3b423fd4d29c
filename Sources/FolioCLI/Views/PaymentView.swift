import FolioText
import FolioWire

/// The human form of a payment: a header block, its allocations to invoices, its
/// refunds, and its discrepancies, set off with "!" (in red on a terminal) while one is
/// still open. Amounts are printed as received.
enum PaymentView {
    static func payment(_ payment: JSON) -> String {
        var header: [(key: String, value: String)] = [
            ("id", payment.shown("id")),
            ("customer", "\(payment.shown("customer_name")) (id \(payment.shown("customer_id")))"),
            ("amount", "\(payment.shown("amount")) \(payment["currency"]?.displayText ?? "")"),
            ("received_on", payment.shown("received_on")),
            ("method", payment.shown("method")),
            ("reference", payment.shown("reference")),
            ("payer", payment.shown("payer")),
            ("unapplied", payment.shown("unapplied")),
            ("refunded", payment.shown("refunded")),
        ]
        if payment["statement_line_id"]?.isNull == false {
            header.append(("statement_line", payment.shown("statement_line_id")))
        }
        header.append(("created_at", payment.shown("created_at")))
        var parts = ["Payment \(payment.shown("id"))\n" + KeyValueBlock(pairs: header).render()]
        parts.append(allocationsView.render(payment["allocations"]?.arrayValue ?? []))
        if let refunds = payment["refunds"]?.arrayValue, !refunds.isEmpty {
            parts.append("Refunds\n" + refundsView.render(refunds))
        }
        if let found = payment["discrepancies"]?.arrayValue, !found.isEmpty { parts.append(discrepancies(found)) }
        return parts.joined(separator: "\n\n")
    }

    static let allocationsView = ListView(noun: Noun("allocation"), columns: [
        .init("ID", "id", .number), .init("INVOICE", "number"), .init("INVOICE ID", "invoice_id", .number),
        .init("AMOUNT", "amount", .money), .init("ALLOCATED", "allocated_on"), .init("REVERSED", "reversed_on"),
    ])

    private static let refundsView = ListView(noun: Noun("refund"), columns: [
        .init("ID", "id", .number), .init("DATE", "refunded_on"), .init("AMOUNT", "amount", .money),
        .init("REASON", "reason"),
    ])

    private static let discrepancyNoun = Noun("discrepancy", plural: "discrepancies")

    /// The discrepancies as a table; while one is open, under a "! N DISCREPANCIES" title
    /// with every line marked.
    private static func discrepancies(_ found: [JSON]) -> String {
        let view = ListView(noun: discrepancyNoun, columns: [
            .init("ID", "id", .number), .init("KIND", "kind"), .init("INVOICE", "number"),
            .init("AMOUNT", "amount", .number), .init("STATUS", "status"), .init("MESSAGE", "message"),
        ])
        let table = view.render(found)
        let open = found.filter { $0["status"]?.stringValue != "resolved" }.count
        guard open > 0 else { return "Discrepancies (resolved)\n" + table }
        let title = "\(discrepancyNoun.counted(open).uppercased()) OPEN, see: folio discrepancy list --status open"
        let lines = ([title] + table.split(separator: "\n").map(String.init)).map { "! " + $0 }
        return Warning.highlighted(lines.joined(separator: "\n"))
    }
}
