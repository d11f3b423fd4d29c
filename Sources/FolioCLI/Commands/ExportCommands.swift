import ArgumentParser
import FolioWire

/// `folio export ...`: invoices, payments and customers as CSV or JSON files.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export invoices, payments or customers as CSV or JSON.",
        discussion: "CSV is written exactly as the server sends it; JSON as {\"items\": [...]}.",
        subcommands: [Invoices.self, Payments.self, Customers.self])

    /// `folio export invoices --from --to [--format] [-o FILE]`
    struct Invoices: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Export the invoices issued in a period.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var period: PeriodOptions
        @OptionGroup var output: ExportOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            period.apply(to: &params)
            try session.export("export.invoices", params, output, noun: InvoiceCommand.noun)
        }
    }

    /// `folio export payments --from --to [--format] [-o FILE]`
    struct Payments: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Export the payments received in a period.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var period: PeriodOptions
        @OptionGroup var output: ExportOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            period.apply(to: &params)
            try session.export("export.payments", params, output, noun: PaymentCommand.noun)
        }
    }

    /// `folio export customers [--format] [-o FILE]`
    struct Customers: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Export all customers.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var output: ExportOptions

        func run(in session: Session) throws {
            try session.export("export.customers", [:], output, noun: CustomerCommand.noun)
        }
    }
}

extension Session {
    /// Calls an export method and writes what it answers to the file or standard output:
    /// CSV `data` unchanged, JSON (and anything with `--json`) indented. Writing to a file
    /// reports on standard error how much was written.
    func export(_ method: String, _ params: JSONObject, _ output: ExportOptions, noun: Noun) throws {
        var params = params
        output.apply(to: &params)
        let result = try callInTenant(method, params)
        let csv = options.json ? nil : result["data"]?.stringValue
        let text = csv ?? PrettyJSON.string(result) + "\n"
        guard let file = output.file else {
            print(text, terminator: "")
            return
        }
        try Platform.writeFile(file, Array(text.utf8))
        let count = result["count"]?.int64Value.map(Int.init) ?? csv.map(CSVRecords.dataRowCount)
            ?? result["items"]?.arrayValue?.count
        Platform.writeError("wrote \(count.map(noun.counted) ?? "\(text.utf8.count) bytes") to \(file)\n")
    }
}
