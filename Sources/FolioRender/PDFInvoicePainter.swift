/// Lays out one invoice, credit note, order confirmation or delivery note on A4 pages:
/// header, parties, the lines table (continued over pages with its header row repeated),
/// totals, terms (or signature, shipment) and notes, and on
/// every page a footer with the branding text and "Page N of M".
///
/// Run it once with the canvas not drawing to count the pages, then again drawing with
/// `totalPages` set.
final class PDFInvoicePainter {
    private typealias G = PDFPageGeometry

    private let canvas: PDFCanvas
    private let doc: InvoiceDocument
    private let summary: DocumentSummary
    private let accent: RGBColor
    private let footer: String?
    private let logo: OpaquePointer?
    private let signature: OpaquePointer?
    private let table: PDFLinesTable

    var totalPages: Int?
    private(set) var page = 0
    private var y = 0.0

    init(canvas: PDFCanvas, document: InvoiceDocument, accent: RGBColor, footer: String?, logo: OpaquePointer?,
         signature: OpaquePointer? = nil) {
        self.canvas = canvas
        self.signature = signature
        self.table = PDFLinesTable(kind: document.kind)
        self.doc = document
        self.summary = DocumentSummary(document)
        self.accent = accent
        self.footer = footer
        self.logo = logo
    }

    /// Paints the document (or measures it, when the canvas is not drawing); returns its page count.
    @discardableResult
    func paint() -> Int {
        page = 1
        y = G.margin
        paintHeader()
        paintParties()
        paintLines()
        paintTotals()
        paintTermsAndNotes()
        finishPage()
        return page
    }

    // MARK: pages

    private func finishPage() {
        let g = G.self
        canvas.line(x1: g.left, y1: g.footerRule, x2: g.right, y2: g.footerRule, color: accent)
        let pageText = "Page \(page) of \(totalPages.map(String.init) ?? "?")"
        canvas.draw(pageText, font: .small, x: g.right - 100, y: g.footerRule + 6, width: 100, alignment: .right, color: .muted)
        if let footer {
            canvas.draw(footer, font: .small, x: g.left, y: g.footerRule + 6, width: g.contentWidth - 110, color: .muted)
        }
        canvas.showPage()
    }

    private func newPage() {
        finishPage()
        page += 1
        y = G.margin
        let title = "\(doc.title) \(doc.number) (continued)"
        let h = canvas.draw(title, font: .bodyBold, x: G.left, y: y, width: G.contentWidth * 0.6, color: accent)
        canvas.draw(doc.seller.name, font: .body, x: G.left + G.contentWidth * 0.6, y: y,
                    width: G.contentWidth * 0.4, alignment: .right, color: .muted)
        y += h + 12
    }

    /// Starts a new page unless `height` still fits; returns whether it did.
    @discardableResult
    private func ensureSpace(_ height: Double) -> Bool {
        guard y + height > G.contentBottom, y > G.margin + 40 else { return false }
        newPage()
        return true
    }

    // MARK: header

    private func paintHeader() {
        let left = G.left, width = G.contentWidth
        var logoHeight = 0.0
        if let logo {
            let box = (width: 160.0, height: 56.0)
            let size = canvas.imageSize(logo, maxWidth: box.width, maxHeight: box.height)
            let drawn = canvas.image(logo, x: G.right - size.width, y: y, maxWidth: box.width, maxHeight: box.height)
            logoHeight = drawn.height
        }
        let title = canvas.text("\(doc.title) \(doc.number)", font: .title, width: width - (logo == nil ? 0 : 170))
        canvas.draw(title, x: left, y: y, color: accent)
        y += max(title.height, logoHeight) + 14

        // Seller on the left, facts on the right.
        let top = y
        var sellerY = y
        let sellerWidth = width * 0.55
        sellerY += canvas.draw(doc.seller.name, font: .sellerName, x: left, y: sellerY, width: sellerWidth, color: accent) + 2
        var sellerLines: [String] = []
        if let legal = doc.seller.legalName { sellerLines.append(legal) }
        sellerLines += doc.seller.address.lines
        if let v = doc.seller.taxID { sellerLines.append("Tax ID: " + v) }
        if let v = doc.seller.email { sellerLines.append(v) }
        if let v = doc.seller.phone { sellerLines.append(v) }
        for line in sellerLines {
            sellerY += canvas.draw(line, font: .body, x: left, y: sellerY, width: sellerWidth)
        }

        let factsX = left + width * 0.58
        let labelWidth = 90.0
        let valueWidth = G.right - factsX - labelWidth
        var factsY = top + 2
        for fact in summary.facts {
            let label = canvas.text(fact.label, font: .body, width: labelWidth - 4)
            let value = canvas.text(fact.value, font: .bodyBold, width: valueWidth, alignment: .right)
            canvas.draw(label, x: factsX, y: factsY, color: .muted)
            canvas.draw(value, x: factsX + labelWidth, y: factsY)
            factsY += max(label.height, value.height) + 2
        }
        y = max(sellerY, factsY) + 18
    }

    private func paintParties() {
        let customer = doc.customer
        let colWidth = G.contentWidth / 2 - 10
        var columns: [(heading: String, lines: [String])] = []
        var billing = [customer.name]
        if let legal = customer.legalName, legal != customer.name { billing.append(legal) }
        billing += customer.address.lines
        if let v = customer.taxID { billing.append("Tax ID: " + v) }
        if let v = customer.email { billing.append(v) }
        columns.append((doc.partyHeading, billing.filter { !$0.isEmpty }))
        if !customer.shippingAddress.isEmpty {
            columns.append(("Ship to", [customer.name] + customer.shippingAddress.lines))
        }
        var bottom = y
        for (i, column) in columns.enumerated() {
            let x = G.left + Double(i) * (colWidth + 20)
            var cy = y
            cy += canvas.draw(column.heading.uppercased(), font: .heading, x: x, y: cy, width: colWidth, color: accent) + 3
            for (n, line) in column.lines.enumerated() {
                cy += canvas.draw(line, font: n == 0 ? .bodyBold : .body, x: x, y: cy, width: colWidth)
            }
            bottom = max(bottom, cy)
        }
        y = bottom + 20
    }

    // MARK: lines

    private func paintTableHeader() {
        let pad = PDFLinesTable.padding
        var height = 0.0
        for column in table.columns {
            let block = canvas.text(column.title, font: .heading, width: column.width - 2 * pad, alignment: column.alignment)
            canvas.draw(block, x: column.x + pad, y: y + 3, color: accent)
            height = max(height, block.height)
        }
        y += height + 6
        canvas.line(x1: G.left, y1: y, x2: G.right, y2: y, width: 1, color: accent)
        y += 2
    }

    private func paintLines() {
        let pad = PDFLinesTable.padding
        if !doc.currency.isEmpty {
            y += canvas.draw("Amounts in \(doc.currency)", font: .small, x: G.left, y: y, width: G.contentWidth,
                             alignment: .right, color: .muted) + 2
        }
        // The header row with at least one line under it.
        ensureSpace(40)
        paintTableHeader()
        for line in doc.lines {
            let cells = table.cells(of: line)
            let blocks = zip(table.columns, cells).map { column, cell in
                canvas.text(cell, font: .body, width: column.width - 2 * pad, alignment: column.alignment)
            }
            let rowHeight = (blocks.map(\.height).max() ?? 0) + 2 * 3
            if ensureSpace(rowHeight) { paintTableHeader() }
            for (column, block) in zip(table.columns, blocks) {
                canvas.draw(block, x: column.x + pad, y: y + 3)
            }
            y += rowHeight
            canvas.line(x1: G.left, y1: y, x2: G.right, y2: y)
        }
        y += 10
    }

    // MARK: totals, terms, notes

    private func paintTotals() {
        let valueWidth = 110.0
        let labelWidth = 200.0
        let valueX = G.right - valueWidth
        let labelX = valueX - labelWidth - 10
        let rows = summary.totals.map { row in
            (row, canvas.text(row.label, font: row.emphasized ? .bodyBold : .body, width: labelWidth, alignment: .right),
             canvas.text(row.value, font: row.emphasized ? .bodyBold : .body, width: valueWidth - 4, alignment: .right))
        }
        let height = rows.reduce(0.0) { $0 + max($1.1.height, $1.2.height) + 4 } + 6
        ensureSpace(height)
        for (row, label, value) in rows {
            let h = max(label.height, value.height)
            if row.emphasized {
                canvas.line(x1: labelX + labelWidth / 2, y1: y, x2: G.right, y2: y, width: 0.75, color: accent)
                y += 2
            }
            canvas.draw(label, x: labelX, y: y, color: row.emphasized ? accent : .text)
            canvas.draw(value, x: valueX, y: y, color: row.emphasized ? accent : .text)
            y += h + 4
        }
        y += 16
    }

    private func paintTermsAndNotes() {
        var sections: [(String, [String])] = []
        if !summary.terms.isEmpty { sections.append((doc.closingHeading, summary.terms)) }
        if let notes = doc.notes {
            sections.append(("Notes", notes.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)))
        }
        for (heading, paragraphs) in sections {
            let head = canvas.text(heading.uppercased(), font: .heading, width: G.contentWidth)
            let first = canvas.text(paragraphs.first ?? "", font: .body, width: G.contentWidth)
            ensureSpace(head.height + first.height + 4)
            canvas.draw(head, x: G.left, y: y, color: accent)
            y += head.height + 3
            for paragraph in paragraphs {
                let block = canvas.text(paragraph.isEmpty ? " " : paragraph, font: .body, width: G.contentWidth)
                ensureSpace(block.height)
                canvas.draw(block, x: G.left, y: y)
                y += block.height
            }
            y += 12
        }
        if let signature {
            let size = canvas.imageSize(signature, maxWidth: 200, maxHeight: 70)
            ensureSpace(size.height + 4)
            _ = canvas.image(signature, x: G.left, y: y, maxWidth: 200, maxHeight: 70)
            y += size.height + 12
        }
    }
}
