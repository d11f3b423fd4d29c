/// The columns of the lines table: Description, Qty, Unit price, Tax, Amount.
struct PDFLinesTable {
    struct Column {
        var title: String
        var x: Double
        var width: Double
        var alignment: PDFCanvas.Alignment
    }

    static let padding = 4.0

    let columns: [Column]

    init() {
        let g = PDFPageGeometry.self
        let widths = [g.contentWidth - 50 - 80 - 50 - 90, 50, 80, 50, 90]
        let titles = ["Description", "Qty", "Unit price", "Tax", "Amount"]
        var x = g.left
        var columns: [Column] = []
        for (i, width) in widths.enumerated() {
            columns.append(Column(title: titles[i], x: x, width: width, alignment: i == 0 ? .left : .right))
            x += width
        }
        self.columns = columns
    }

    static func cells(of line: DocumentLine) -> [String] {
        [line.description, line.quantity, line.unitPrice, line.taxLabel, line.amount]
    }
}
