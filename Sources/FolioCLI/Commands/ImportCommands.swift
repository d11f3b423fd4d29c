import FolioText
import ArgumentParser
import FolioWire

/// `folio import ...`: customers and items in bulk from CSV files.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import customers or items from a CSV file.",
        subcommands: [Customers.self, Items.self])

    /// `folio import customers FILE.csv [--column FIELD=HEADER]...`
    struct Customers: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import customers from a CSV file.",
            discussion: """
                Fields: name, email, phone, tax_id, payment_terms_days, notes, billing_line1, billing_line2, \
                billing_city, billing_region, billing_postal_code, billing_country.
                """)
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var source: ImportOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            try session.importCSV("import.customers", source, idempotency: idempotency, noun: CustomerCommand.noun)
        }
    }

    /// `folio import items FILE.csv [--column FIELD=HEADER]...`
    struct Items: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import items from a CSV file.",
            discussion: "Fields: sku, name, unit_price, description, tax_rate, stock_qty.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var source: ImportOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            try session.importCSV("import.items", source, idempotency: idempotency, noun: ItemCommand.noun)
        }
    }

    /// "1-3, 7": ids, consecutive runs shortened.
    static func idRanges(_ ids: [JSON]) -> String {
        var runs: [(first: String, last: String)] = []
        var previous: Int64?
        for id in ids {
            let text = id.displayText
            if let value = id.int64Value, let before = previous, value == before + 1, !runs.isEmpty {
                runs[runs.count - 1].last = text
            } else {
                runs.append((first: text, last: text))
            }
            previous = id.int64Value
        }
        return runs.map { $0.first == $0.last ? $0.first : "\($0.first)-\($0.last)" }.joined(separator: ", ")
    }
}

extension Session {
    /// Reads the CSV file, reports "importing N rows…" on standard error, sends it, and
    /// prints how many were imported and their ids.
    func importCSV(_ method: String, _ source: ImportOptions, idempotency: IdempotencyOptions, noun: Noun) throws {
        let csv = try InputFile.text(source.file)
        let rows = CSVRecords.dataRowCount(csv)
        Platform.writeError("importing \(rows) row\(rows == 1 ? "" : "s")…\n")
        let result = try callInTenant(method, source.params(csv: csv), idempotency: idempotency)
        show(result) { result in
            let count = result["imported"]?.int64Value.map { noun.counted(Int($0)) }
                ?? "\(result.shown("imported")) \(noun.plural)"
            let ids = result["ids"]?.arrayValue ?? []
            let label = ids.count == 1 ? "id" : "ids"
            return "imported \(count)" + (ids.isEmpty ? "" : " (\(label) \(ImportCommand.idRanges(ids)))")
        }
    }
}
