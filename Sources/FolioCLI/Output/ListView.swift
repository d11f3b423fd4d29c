import FolioDomain
import FolioText
import FolioWire

/// How a list of objects is shown: one row per object and, when some columns hold
/// money, a totals row per currency (totals are exact sums of the strings received).
struct ListView: Sendable {
    /// One column: its heading, how a row's object becomes its text, and its role.
    struct Column: Sendable {
        /// What a column holds, which decides its alignment and totals.
        enum Role {
            /// Left-aligned text.
            case text
            /// Right-aligned, no total (ids, quantities, percents).
            case number
            /// Right-aligned and totalled.
            case money
            /// The currency that totals are grouped by.
            case currency
        }

        var title: String
        var role: Role
        var text: @Sendable (JSON) -> String

        /// A column showing the object's `key`.
        init(_ title: String, _ key: String, _ role: Role = .text) {
            self.init(title, role) { $0[key]?.displayText ?? "" }
        }

        /// A column computed from the object.
        init(_ title: String, _ role: Role = .text, text: @escaping @Sendable (JSON) -> String) {
            self.title = title
            self.role = role
            self.text = text
        }
    }

    var noun: Noun
    var columns: [Column]

    /// The table; `totals` (footer rows, e.g. the server's own totals) replace the sums
    /// computed per currency.
    func render(_ items: [JSON], totals given: [[String]]? = nil) -> String {
        guard !items.isEmpty else { return "no \(noun.plural)" }
        let formats = columns.map { column in
            TextTable.ColumnFormat(
                title: column.title,
                alignment: column.role == .number || column.role == .money ? .right : .left,
                ruled: column.role == .money)
        }
        let rows = rows(items)
        return TextTable(columns: formats, rows: rows, footer: given ?? totals(rows)).render()
    }

    /// Each object's cells.
    func rows(_ items: [JSON]) -> [[String]] {
        items.map { item in columns.map { $0.text(item) } }
    }

    /// A footer row made of an object of totals: each column's text of it, "TOTAL" in the first
    /// column that is not the currency.
    func totalsRow(_ totals: JSON) -> [String] {
        var row = columns.map { $0.text(totals) }
        if !row.isEmpty { row[labelColumn] = "TOTAL" }
        return row
    }

    /// Where a totals row says "TOTAL": the first column, unless that holds the currency.
    private var labelColumn: Int {
        columns.count > 1 && columns[0].role == .currency ? 1 : 0
    }

    /// The table as CSV: the column titles, then one record per object (no totals).
    func csv(_ items: [JSON]) -> String {
        CSV.render([columns.map(\.title)] + rows(items))
    }

    /// One totals row per currency, in order of first appearance; none for a single row
    /// or when no column holds money.
    private func totals(_ rows: [[String]]) -> [[String]] {
        let moneyColumns = columns.indices.filter { columns[$0].role == .money }
        guard rows.count > 1, !moneyColumns.isEmpty else { return [] }
        let currencyColumn = columns.firstIndex { $0.role == .currency }
        var currencies: [String] = []
        var cells: [String: [Int: [String]]] = [:]
        for row in rows {
            let currency = currencyColumn.map { row[$0] } ?? ""
            if cells[currency] == nil {
                currencies.append(currency)
                cells[currency] = [:]
            }
            for i in moneyColumns where !row[i].isEmpty {
                cells[currency, default: [:]][i, default: []].append(row[i])
            }
        }
        return currencies.map { currency in
            columns.indices.map { i in
                if i == currencyColumn { return currency }
                if i == labelColumn { return "TOTAL" }
                return cells[currency]?[i].flatMap(Self.exactSum)?.description ?? ""
            }
        }
    }

    /// The exact sum of decimal texts (the server's money values), with the most decimals
    /// of any term; nil when a text is not a plain decimal.
    static func exactSum(_ texts: [String]) -> ExactDecimal? {
        texts.reduce(ExactDecimal.zero as ExactDecimal?) { sum, text in
            sum.flatMap { sum in ExactDecimal(text).map { sum + $0 } }
        }
    }
}
