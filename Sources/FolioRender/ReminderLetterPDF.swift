import CPangoCairo
import FolioWire

/// Payment reminder letters (each a `reminder_letter_json` object) as one A4 PDF, one
/// letter per page: seller, customer address, the level's wording, the overdue
/// invoice(s) with their days overdue, the fee and interest charges and the total due.
enum ReminderLetterPDF {
    private static let columns: [(title: String, key: String, x: Double, width: Double, alignment: PDFCanvas.Alignment)] = [
        ("Invoice", "number", 0, 100, .left), ("Issue date", "issue_date", 104, 70, .left),
        ("Due date", "due_date", 178, 70, .left), ("Days overdue", "days_overdue", 252, 70, .right),
        ("Total", "total", 326, 80, .right), ("Balance due", "balance_due", 410, 89, .right),
    ]

    static func render(_ letters: [JSON], branding: Branding) throws -> [UInt8] {
        let accent = try RGBColor.accent(of: branding)
        let left = PDFPageGeometry.left
        let width = PDFPageGeometry.contentWidth
        return try CairoIO.makePDF(width: PDFPageGeometry.width, height: PDFPageGeometry.height) { surface in
            let canvas = try PDFCanvas(surface: surface)
            canvas.drawing = true
            for letter in letters {
                let tenant = letter["tenant"] ?? .null
                let seller = Party(tenant: tenant)
                let customer = Party(customer: letter["customer"], fallbackName: nil)
                let currency = letter["currency"].displayText ?? ""
                var y = PDFPageGeometry.margin
                y += canvas.draw(seller.legalName ?? seller.name, font: .sellerName, x: left, y: y)
                for line in seller.address.lines { y += canvas.draw(line, font: .small, x: left, y: y, color: .muted) }
                y += 18
                y += canvas.draw(customer.name, font: .bodyBold, x: left, y: y)
                for line in customer.address.lines { y += canvas.draw(line, font: .body, x: left, y: y) }
                y += 16
                let level = letter["level"].displayText ?? "1"
                y += canvas.draw("Payment reminder (level \(level))", font: .title, x: left, y: y, color: accent) + 4
                y += canvas.draw("Date: \(letter["as_of"].displayText ?? "")", font: .body, x: left, y: y) + 10
                y += canvas.draw(letter["message"].displayText ?? "", font: .body, x: left, y: y, width: width) + 12

                for column in columns {
                    canvas.draw(column.title, font: .heading, x: left + column.x, y: y, width: column.width,
                                alignment: column.alignment, color: accent)
                }
                y += 14
                canvas.line(x1: left, y1: y - 3, x2: PDFPageGeometry.right, y2: y - 3)
                for invoice in letter["invoices"]?.arrayValue ?? [] {
                    for column in columns {
                        var value = invoice[column.key].displayText ?? ""
                        if column.key == "total" || column.key == "balance_due" { value = Money.format(value, currency: currency) }
                        canvas.draw(value, font: .body, x: left + column.x, y: y, width: column.width, alignment: column.alignment)
                    }
                    y += 14
                }
                y += 10
                let charges = letter["charges"]?.arrayValue ?? []
                if !charges.isEmpty {
                    y += canvas.draw("Charges", font: .heading, x: left, y: y, color: accent) + 2
                    for charge in charges {
                        let label = "\(charge["number"].displayText ?? ""): \(charge["description"].displayText ?? "")"
                        let height = canvas.draw(label, font: .body, x: left, y: y, width: width - 110)
                        canvas.draw(Money.format(charge["total"].displayText ?? "", currency: currency), font: .body,
                                    x: PDFPageGeometry.right - 100, y: y, width: 100, alignment: .right)
                        y += height + 2
                    }
                    y += 6
                }
                canvas.line(x1: left, y1: y, x2: PDFPageGeometry.right, y2: y)
                y += 4
                canvas.draw("Total due", font: .bodyBold, x: left, y: y)
                y += canvas.draw(Money.format(letter["total_due"].displayText ?? "", currency: currency), font: .bodyBold,
                                 x: PDFPageGeometry.right - 150, y: y, width: 150, alignment: .right) + 14
                if let terms = tenant["payment_terms_text"].displayText {
                    y += canvas.draw("Payment terms: \(terms)", font: .small, x: left, y: y, width: width, color: .muted)
                }
                if let footer = branding.footer, !footer.isEmpty {
                    canvas.draw(footer, font: .small, x: left, y: PDFPageGeometry.footerRule + 4, color: .muted)
                }
                canvas.showPage()
            }
            try canvas.check()
        }
    }
}
