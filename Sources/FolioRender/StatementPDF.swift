import CPangoCairo
import FolioWire

/// A customer's statement of account (the `report.statement` result) as an A4 PDF:
/// opening balance, every entry with its running balance, closing balance; the table
/// continues over pages with its header repeated and "Page N of M" on each page.
enum StatementPDF {
    private static let rowHeight = 14.0
    private static let columns: [(title: String, key: String, x: Double, width: Double, alignment: PDFCanvas.Alignment)] = [
        ("Date", "date", 0, 62, .left), ("Type", "kind", 66, 62, .left), ("Number", "number", 132, 90, .left),
        ("Description", "description", 226, 120, .left), ("Amount", "amount", 350, 74, .right), ("Balance", "balance", 425, 74, .right),
    ]

    static func render(_ statement: JSON, tenant: JSON, branding: Branding) throws -> [UInt8] {
        let accent = try RGBColor.accent(of: branding)
        let entries = statement["entries"]?.arrayValue ?? []
        let left = PDFPageGeometry.margin
        let top = PDFPageGeometry.margin
        let firstPageRows = Int((PDFPageGeometry.contentBottom - top - 150) / rowHeight)
        let otherPageRows = Int((PDFPageGeometry.contentBottom - top - 40) / rowHeight)
        let pages = 1 + max(0, Int((Double(max(entries.count - firstPageRows, 0)) / Double(otherPageRows)).rounded(.up)))
        func text(_ key: String, _ object: JSON?) -> String {
            switch object?[key] {
            case .string(let s)?: s
            case .number(let n)?: n
            default: ""
            }
        }

        return try CairoIO.makePDF(width: PDFPageGeometry.width, height: PDFPageGeometry.height) { surface in
            let canvas = try PDFCanvas(surface: surface)
            canvas.drawing = true
            var index = 0
            for page in 1...pages {
                var y = top
                if page == 1 {
                    y += canvas.draw(text("legal_name", tenant).isEmpty ? text("name", tenant) : text("legal_name", tenant),
                                     font: .sellerName, x: left, y: y)
                    y += canvas.draw("Statement of account", font: .title, x: left, y: y + 6, color: accent) + 12
                    y += canvas.draw("\(text("name", statement)) — \(text("from", statement)) to \(text("to", statement)) (\(text("currency", statement)))",
                                     font: .bodyBold, x: left, y: y) + 4
                    y += canvas.draw("Opening balance: \(text("opening_balance", statement))", font: .body, x: left, y: y) + 10
                }
                for column in columns {
                    _ = canvas.draw(column.title, font: .heading, x: left + column.x, y: y, width: column.width,
                                    alignment: column.alignment, color: accent)
                }
                y += rowHeight
                canvas.line(x1: left, y1: y - 3, x2: PDFPageGeometry.width - left, y2: y - 3)
                let rows = page == 1 ? firstPageRows : otherPageRows
                for entry in entries[index..<min(entries.count, index + rows)] {
                    for column in columns {
                        let value = column.key == "kind" ? text("kind", entry).replacingOccurrences(of: "_", with: " ")
                            : column.key == "number" && text("number", entry).isEmpty ? text("reference", entry) : text(column.key, entry)
                        _ = canvas.draw(value, font: .small, x: left + column.x, y: y, width: column.width, alignment: column.alignment)
                    }
                    y += rowHeight
                }
                index += rows
                if page == pages {
                    y += 8
                    _ = canvas.draw("Closing balance: \(text("closing_balance", statement)) \(text("currency", statement))",
                                    font: .bodyBold, x: left, y: y)
                }
                if let footer = branding.footer, !footer.isEmpty {
                    _ = canvas.draw(footer, font: .small, x: left, y: PDFPageGeometry.footerRule + 4, color: .muted)
                }
                _ = canvas.draw("Page \(page) of \(pages)", font: .small, x: left, y: PDFPageGeometry.footerRule + 4,
                                width: PDFPageGeometry.width - 2 * left, alignment: .right, color: .muted)
                canvas.showPage()
            }
            try canvas.check()
        }
    }
}
