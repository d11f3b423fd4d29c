import FolioText

/// A plain-text table: a heading row, aligned columns two spaces apart (measured in
/// terminal columns, so wide CJK text aligns), and optional footer rows (totals) set off
/// by a rule under the columns that have one.
struct TextTable {
    /// Where a cell's text sits within its column.
    enum Alignment {
        case left, right
    }

    /// One column's heading, alignment, and whether a rule is drawn above the footer.
    struct ColumnFormat {
        var title: String
        var alignment: Alignment = .left
        var ruled = false
    }

    var columns: [ColumnFormat]
    var rows: [[String]]
    var footer: [[String]] = []

    func render() -> String {
        let body = rows.map(cleaned)
        let foot = footer.map(cleaned)
        let titles = columns.map(\.title)
        let widths = columns.indices.map { i in
            ([titles] + body + foot).map { i < $0.count ? TerminalWidth.of($0[i]) : 0 }.max() ?? 0
        }
        var lines = [line(titles, widths)] + body.map { line($0, widths) }
        if !foot.isEmpty {
            let rule = columns.indices.map { columns[$0].ruled ? String(repeating: "-", count: widths[$0]) : "" }
            lines += [line(rule, widths)] + foot.map { line($0, widths) }
        }
        return lines.joined(separator: "\n")
    }

    /// Cells of one row, one line each.
    private func cleaned(_ row: [String]) -> [String] {
        row.map { String($0.map { $0.isNewline || $0 == "\t" ? " " : $0 }) }
    }

    private func line(_ cells: [String], _ widths: [Int]) -> String {
        let padded = columns.indices.map { i -> String in
            let cell = i < cells.count ? cells[i] : ""
            return TerminalWidth.pad(cell, to: widths[i], right: columns[i].alignment == .right)
        }
        return String(padded.joined(separator: "  ").reversed().drop { $0 == " " }.reversed())
    }
}
