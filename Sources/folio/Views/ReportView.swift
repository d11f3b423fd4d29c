import FolioWire

/// The human and CSV forms of a report. A report is an object: its scalar members are
/// shown as "key: value" lines, its object members as titled blocks and its arrays of
/// objects as tables. The first such array is the main table, the one `--csv` prints;
/// a `totals` object becomes its totals row, otherwise money columns are summed per
/// currency. Amounts are printed as received.
struct ReportView {
    /// The main table's columns; nil derives them from the rows.
    var main: ListView?

    init(main: ListView? = nil) {
        self.main = main
    }

    func text(_ report: JSON) -> String {
        guard let object = report.objectValue else { return report.displayText }
        let mainKey = Self.mainTableKey(object)
        let totals = object["totals"].flatMap { $0.objectValue == nil ? nil : $0 }
        let tableCount = object.filter { Self.isTable($0.value) }.count
        var scalars: [(key: String, value: String)] = []
        var sections: [String] = []
        for member in object {
            if Self.isTable(member.value) {
                let items = member.value.arrayValue ?? []
                let view = view(for: member.key, items, isMain: member.key == mainKey)
                let footer = member.key == mainKey ? totals.map { [view.totalsRow($0)] } : nil
                let table = view.render(items, totals: footer)
                sections.append(tableCount > 1 ? Self.heading(member.key) + "\n" + table : table)
            } else if member.value.objectValue != nil {
                if member.key == "totals", mainKey != nil { continue }
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
            let scalars = object.filter { !Self.isTable($0.value) && $0.value.objectValue == nil }
            return CSV.render([scalars.map(\.key), scalars.map(\.value.displayText)])
        }
        let items = object[key]?.arrayValue ?? []
        return view(for: key, items, isMain: true).csv(items)
    }

    private func view(for key: String, _ items: [JSON], isMain: Bool) -> ListView {
        if isMain, let main { return main }
        return Self.derivedView(key, items)
    }

    /// The first member that is an array of objects.
    private static func mainTableKey(_ object: JSONObject) -> String? {
        object.first { isTable($0.value) }?.key
    }

    private static func isTable(_ value: JSON) -> Bool {
        guard let elements = value.arrayValue else { return false }
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
    /// ids, numbers, balances and rates are never summed.
    private static func role(of key: String, in items: [JSON]) -> ListView.Column.Role {
        if key == "currency" { return .currency }
        let values = items.compactMap { $0[key] }.filter { !$0.isNull }
        guard !values.isEmpty else { return .text }
        if values.allSatisfy({ $0.typeName == "number" }) { return .number }
        guard values.allSatisfy({ $0.stringValue?.isPlainDecimal == true }) else { return .text }
        return isAdditive(key) ? .money : .number
    }

    private static let nonAdditive: Set = ["id", "number", "balance", "running_balance", "opening_balance",
                                            "closing_balance", "percent", "rate", "tax_percent", "dso", "days"]

    private static func isAdditive(_ key: String) -> Bool {
        !nonAdditive.contains(key) && !key.hasSuffix("_id") && !key.hasSuffix("_number") && !key.hasSuffix("_percent")
    }
}
