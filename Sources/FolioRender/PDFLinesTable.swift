/// The columns of the lines table: Description, Qty, Unit price, Tax, Amount; on delivery
/// notes Description, Item no., Qty (goods, no prices).
struct PDFLinesTable {
    struct Column {
        var title: String
        var x: Double
        var width: Double
        var alignment: PDFCanvas.Alignment
    }

    static let padding = 4.0

    let columns: [Column]
    private let kind: InvoiceDocument.Kind

    init(kind: InvoiceDocument.Kind) {
        let g = PDFPageGeometry.self
        self.kind = kind
        let titles = Self.titles(kind)
        let fixed: [Double] = kind == .deliveryNote ? [120, 70] : [50, 80, 50, 90]
        let widths = [g.contentWidth - fixed.reduce(0, +)] + fixed
        var x = g.left
        var columns: [Column] = []
        for (i, width) in widths.enumerated() {
            columns.append(Column(title: titles[i], x: x, width: width, alignment: i == 0 ? .left : .right))
            x += width
        }
        self.columns = columns
    }

    /// The column titles of a kind of document (the text and HTML documents use the same).
    static func titles(_ kind: InvoiceDocument.Kind) -> [String] {
        kind == .deliveryNote ? ["Description", "Item no.", "Qty"] : ["Description", "Qty", "Unit price", "Tax", "Amount"]
    }

    /// A line's cells under `titles(kind)`.
    static func cells(of line: DocumentLine, kind: InvoiceDocument.Kind) -> [String] {
        kind == .deliveryNote ? [line.description, line.itemNumber, line.quantity]
            : [line.description, line.quantity, line.unitPrice, line.taxLabel, line.amount]
    }

    func cells(of line: DocumentLine) -> [String] { Self.cells(of: line, kind: kind) }
}
