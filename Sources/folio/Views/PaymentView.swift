import FolioWire

/// The human form of a payment: a header block, its allocations to invoices and the
/// discrepancies found when it was recorded, set off with "!" (in red on a terminal).
/// Amounts are printed as received.
enum PaymentView {
    static func payment(_ payment: JSON) -> String {
        let header: [(key: String, value: String)] = [
            ("id", payment.shown("id")),
            ("customer", "\(payment.shown("customer_name")) (id \(payment.shown("customer_id")))"),
            ("amount", "\(payment.shown("amount")) \(payment["currency"]?.displayText ?? "")"),
            ("received_on", payment.shown("received_on")),
            ("method", payment.shown("method")),
            ("reference", payment.shown("reference")),
            ("payer", payment.shown("payer")),
            ("unapplied", payment.shown("unapplied")),
            ("refunded", payment.shown("refunded")),
            ("created_at", payment.shown("created_at")),
        ]
        var parts = ["Payment \(payment.shown("id"))\n" + KeyValueBlock(pairs: header).render()]
        parts.append(allocationsView.render(payment["allocations"]?.arrayValue ?? []))
        if let found = payment["discrepancies"]?.arrayValue, !found.isEmpty { parts.append(discrepancies(found)) }
        return parts.joined(separator: "\n\n")
    }

    static let allocationsView = ListView(noun: Noun("allocation"), columns: [
        .init("ID", "id", .number), .init("INVOICE", "number"), .init("INVOICE ID", "invoice_id", .number),
        .init("AMOUNT", "amount", .money), .init("ALLOCATED", "allocated_on"), .init("REVERSED", "reversed_on"),
    ])

    private static let discrepancyNoun = Noun("discrepancy", plural: "discrepancies")

    /// "! 2 discrepancies ..." and their table, every line marked.
    private static func discrepancies(_ found: [JSON]) -> String {
        let view = ListView(noun: discrepancyNoun, columns: [
            .init("KIND", "kind"), .init("INVOICE", "number"), .init("INVOICE ID", "invoice_id", .number),
            .init("AMOUNT", "amount", .number),
        ])
        let title = "\(discrepancyNoun.counted(found.count).uppercased()), see: folio discrepancy list --status open"
        let lines = ([title] + view.render(found).split(separator: "\n").map(String.init)).map { "! " + $0 }
        return Warning.highlighted(lines.joined(separator: "\n"))
    }
}
