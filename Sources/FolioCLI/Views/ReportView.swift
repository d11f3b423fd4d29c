import FolioText
import FolioWire

/// The human and CSV forms of a report. A report is an object: its scalar members are
/// shown as "key: value" lines, its object members as titled blocks and its arrays of
/// objects as tables. The first array is the main table, the one `--csv` prints. Its
/// totals rows come from the report's `totals_by_currency` (one per currency) or
/// `totals`; without those, money columns are summed per currency. Amounts are printed
/// as received.
struct ReportView {
    /// The main table's columns; nil derives them from the rows.
    var main: ListView?
    /// A member of each main-table row holding an array that is listed instead, each
    /// element with its parent's other members (a customer's invoices).
    var nested: String?

    init(main: ListView? = nil, nested: String? = nil) {
        self.main = main
        self.nested = nested
    }

    /// Members that only serve as the main table's totals rows.
    private static let totalsKeys: Set = ["totals", "totals_by_currency"]

    func text(_ report: JSON) -> String {
        guard let object = report.objectValue else { return report.displayText }
        let mainKey = Self.mainTableKey(object)
        let tables = object.filter { $0.key == mainKey || Self.isSection($0.value) && !Self.totalsKeys.contains($0.key) }
        var scalars: [(key: String, value: String)] = []
        var sections: [String] = []
        for member in object {
            if member.key == mainKey {
                let rows = mainRows(member.value)
                let view = mainView(member.key, rows)
                let table = view.render(rows, totals: Self.footer(object, view, rows))
                sections.append(tables.count > 1 ? Self.heading(member.key) + "\n" + table : table)
            } else if mainKey != nil, Self.totalsKeys.contains(member.key) {
                continue
            } else if Self.isSection(member.value) {
                let items = member.value.arrayValue ?? []
                sections.append(Self.heading(member.key) + "\n" + Self.derivedView(member.key, items).render(items))
            } else if member.value.objectValue != nil {
                sections.append(Self.heading(member.key) + "\n" + KeyValueBlock(member.value).render())
            } else {
                scalars.append((key: member.key, value: report.shown(member.key)))
            }
        }
        let header = scalars.isEmpty ? [] : [KeyValueBlock(pairs: scalars).render()]
        return (header + sections).joined(separator: "\n\n")
    }

    /// The main table as CSV; a report without one gives its scalar members as a single record.
    func csv(_ report: JSON) -> String {
        let object = report.objectValue ?? [:]
        guard let key = Self.mainTableKey(object) else {
            let scalars = object.filter { $0.value.arrayValue == nil && $0.value.objectValue == nil }
            return CSV.render([scalars.map(\.key), scalars.map(\.value.displayText)])
        }
        let rows = mainRows(object[key] ?? [])
        return mainView(key, rows).csv(rows)
    }

    private func mainView(_ key: String, _ rows: [JSON]) -> ListView {
        main ?? Self.derivedView(key, rows)
    }

    /// The main table's rows, nested arrays spread out.
    private func mainRows(_ value: JSON) -> [JSON] {
        let items = value.arrayValue ?? []
        guard let nested else { return items }
        return items.flatMap { parent -> [JSON] in
            let inherited = parent.objectValue?.members.filter { $0.key != nested } ?? []
            return (parent[nested]?.arrayValue ?? []).map { child in
                var row = JSONObject(inherited)
                for member in child.objectValue ?? [:] { row[member.key] = member.value }
                return .object(row)
            }
        }
    }

    /// The server's totals as footer rows; none when every row is a currency's own total;
    /// nil to let the table sum its money columns.
    private static func footer(_ report: JSONObject, _ view: ListView, _ rows: [JSON]) -> [[String]]? {
        if let totals = report["totals_by_currency"]?.arrayValue { return totals.map(view.totalsRow) }
        if let totals = report["totals"], totals.objectValue != nil { return [view.totalsRow(totals)] }
        if let currency = view.columns.first(where: { $0.role == .currency }) {
            let currencies = rows.map(currency.text)
            if Set(currencies).count == currencies.count { return [] }
        }
        return nil
    }

    /// The first member that is an array of objects (or an empty array).
    private static func mainTableKey(_ object: JSONObject) -> String? {
        object.first { $0.value.arrayValue?.allSatisfy { $0.objectValue != nil } == true }?.key
    }

    /// A non-empty array of objects: a table of its own.
    private static func isSection(_ value: JSON) -> Bool {
        guard let elements = value.arrayValue, !elements.isEmpty else { return false }
        return elements.allSatisfy { $0.objectValue != nil }
    }

    /// "d31_60" -> "D31 60".
    private static func heading(_ key: String) -> String {
        String(key.uppercased().map { $0 == "_" ? " " : $0 })
    }

    /// Columns for every key the rows have, in order of first appearance.
    private static func derivedView(_ key: String, _ items: [JSON]) -> ListView {
        var keys: [String] = []
        for item in items {
            for member in item.objectValue?.keys ?? [] where !keys.contains(member) { keys.append(member) }
        }
        let columns = keys.map { ListView.Column(heading($0), $0, role(of: $0, in: items)) }
        let name = String(key.map { $0 == "_" ? " " : $0 })
        return ListView(noun: Noun(name, plural: name), columns: columns)
    }

    /// Money (decimal strings) is right-aligned and summed, other numbers right-aligned;
    /// ids, numbers, balances, rates and DSO figures are never summed.
    private static func role(of key: String, in items: [JSON]) -> ListView.Column.Role {
        if key == "currency" { return .currency }
        let values = items.compactMap { $0[key] }.filter { !$0.isNull }
        guard !values.isEmpty else { return .text }
        if values.allSatisfy({ $0.typeName == "number" }) { return .number }
        guard values.allSatisfy({ $0.stringValue?.isPlainDecimal == true }) else { return .text }
        return isAdditive(key) ? .money : .number
    }

    private static let nonAdditive: Set = ["id", "key", "number", "balance", "running_balance", "opening_balance",
                                            "closing_balance", "percent", "rate", "tax_percent", "dso", "days"]

    private static func isAdditive(_ key: String) -> Bool {
        !nonAdditive.contains(key) && !key.hasSuffix("_id") && !key.hasSuffix("_number") && !key.hasSuffix("_percent")
    }
}
