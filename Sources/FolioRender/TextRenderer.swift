import FolioText
/// An invoice, credit note, order confirmation or delivery note as aligned plain text for terminals (80 columns).
enum TextRenderer {
    static let width = 80

    static func render(_ doc: InvoiceDocument, branding: Branding) -> String {
        let summary = DocumentSummary(doc)
        var out: [String] = []
        let rule = String(repeating: "=", count: width)
        let thin = String(repeating: "-", count: width)

        out.append("\(doc.title) \(doc.number)".uppercased())
        out.append(rule)
        var seller = [doc.seller.name]
        if let v = doc.seller.legalName { seller.append(v) }
        seller += doc.seller.address.lines
        if let v = doc.seller.taxID { seller.append("Tax ID: " + v) }
        if let v = doc.seller.email { seller.append(v) }
        if let v = doc.seller.phone { seller.append(v) }
        let labelWidth = summary.facts.map { TerminalWidth.of($0.label) }.max() ?? 0
        let facts = summary.facts.map { TerminalWidth.pad($0.label + ":", to: labelWidth + 1) + " " + $0.value }
        out += columns(seller, facts, leftWidth: 40)
        out.append("")

        var bill = [doc.customer.name] + doc.customer.address.lines
        if let v = doc.customer.taxID { bill.append("Tax ID: " + v) }
        if let v = doc.customer.email { bill.append(v) }
        var ship: [String] = []
        if !doc.customer.shippingAddress.isEmpty { ship = ["Ship to:", doc.customer.name] + doc.customer.shippingAddress.lines }
        out += columns([doc.partyHeading + ":"] + bill.filter { !$0.isEmpty }, ship, leftWidth: 40)
        out.append("")

        // Lines table: Description | Qty | Unit price | Tax | Amount (currency in the heading);
        // delivery notes: Description | Item no. | Qty.
        let numeric = doc.lines.map { Array(PDFLinesTable.cells(of: $0, kind: doc.kind).dropFirst()) }
        let titles = Array(PDFLinesTable.titles(doc.kind).dropFirst())
        var widths = titles.map(TerminalWidth.of)
        for row in numeric { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], TerminalWidth.of(cell)) } }
        let descWidth = max(20, width - widths.reduce(0, +) - 2 * widths.count)
        func row(_ desc: String, _ cells: [String]) -> String {
            var s = TerminalWidth.pad(desc, to: descWidth)
            for (i, cell) in cells.enumerated() { s += "  " + TerminalWidth.pad(cell, to: widths[i], right: true) }
            return trimTrailing(s)
        }
        if !doc.currency.isEmpty { out.append(TerminalWidth.pad("Amounts in \(doc.currency)", to: width, right: true)) }
        out.append(row("Description", titles))
        out.append(thin)
        for (line, cells) in zip(doc.lines, numeric) {
            let wrapped = TerminalWidth.wrap(line.description, width: descWidth)
            out.append(row(wrapped.first ?? "", cells))
            for more in wrapped.dropFirst() { out.append(trimTrailing(more)) }
        }
        out.append(thin)

        let totalLabelWidth = summary.totals.map { TerminalWidth.of($0.label) }.max() ?? 0
        let totalValueWidth = summary.totals.map { TerminalWidth.of($0.value) }.max() ?? 0
        for total in summary.totals {
            let text = TerminalWidth.pad(total.label + ":", to: totalLabelWidth + 1, right: true) + "  "
                + TerminalWidth.pad(total.value, to: totalValueWidth, right: true)
            out.append(TerminalWidth.pad(text, to: width, right: true))
        }
        for term in summary.terms {
            out.append("")
            out += TerminalWidth.wrap(term, width: width)
        }
        if let notes = doc.notes {
            out.append("")
            out.append("Notes:")
            out += TerminalWidth.wrap(notes, width: width)
        }
        if let footer = branding.footer, !footer.isEmpty {
            out.append("")
            out.append(thin)
            out += TerminalWidth.wrap(footer, width: width)
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Two lists of lines side by side.
    private static func columns(_ left: [String], _ right: [String], leftWidth: Int) -> [String] {
        let leftLines = left.flatMap { TerminalWidth.wrap($0, width: leftWidth - 2) }
        let rightLines = right.flatMap { TerminalWidth.wrap($0, width: width - leftWidth) }
        return (0..<max(leftLines.count, rightLines.count)).map { i in
            let l = i < leftLines.count ? leftLines[i] : ""
            let r = i < rightLines.count ? rightLines[i] : ""
            return trimTrailing(TerminalWidth.pad(l, to: leftWidth) + r)
        }
    }

    private static func trimTrailing(_ s: String) -> String {
        var s = Substring(s)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
