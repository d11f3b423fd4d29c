import ArgumentParser
import FolioWire

/// `folio export ...`: invoices, payments and customers as CSV or JSON files.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export invoices, payments or customers as CSV or JSON; invoices also as UBL.",
        discussion: """
            CSV is written exactly as the server sends it; JSON as {"items": [...]}. `export invoices --format ubl \
            -o DIR` writes one EN 16931 UBL file per invoice (NUMBER.xml) into DIR (or into a ZIP archive when the \
            name ends in .zip), showing progress.
            """,
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
            if output.format == "ubl" {
                try session.exportEInvoices(params, into: output.file)
            } else {
                try session.export("export.invoices", params, output, noun: InvoiceCommand.noun)
            }
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

extension Session {
    /// `export invoices --format ubl -o DIR|FILE.zip`: fetches the period's UBL documents a
    /// page at a time and writes each to DIR/<file_name> (or into the ZIP archive), with
    /// progress on standard error; invoices that cannot be made valid are listed with the
    /// field to fix (exit status stays 0).
    func exportEInvoices(_ params: JSONObject, into target: String?) throws {
        guard let target else {
            throw ValidationError("--format ubl writes one file per invoice: give a directory or a .zip file with -o")
        }
        var zip: ZipArchive? = target.hasSuffix(".zip") ? ZipArchive() : nil
        if zip == nil { try Platform.makeDirectory(target) }
        var params = params
        params["format"] = "ubl"
        params["limit"] = 100
        var written = 0
        var skipped: [JSON] = []
        while true {
            let page = try callInTenant("export.invoices", params)
            for document in page["documents"]?.arrayValue ?? [] {
                guard let name = document["file_name"]?.stringValue, !name.contains("/"),
                      let bytes = document["data_base64"]?.stringValue.flatMap(Base64.decode) else {
                    throw ValidationError("the server sent a document without a file name or data")
                }
                if zip != nil {
                    zip?.add(name, bytes)
                } else {
                    try Platform.writeFile(target + "/" + name, bytes)
                }
                written += 1
            }
            skipped += page["skipped"]?.arrayValue ?? []
            let total = page["count"]?.int64Value.map(Int.init) ?? written
            Platform.writeError("exported \(written + skipped.count) of \(InvoiceCommand.noun.counted(total))…\n")
            guard let next = page["next_cursor"]?.stringValue else { break }
            params["cursor"] = .string(next)
        }
        for entry in skipped {
            Platform.writeError("skipped \(entry["number"]?.stringValue ?? "?"): \(entry["message"]?.stringValue ?? "") "
                                + "(field \(entry["field"]?.stringValue ?? "?"))\n")
        }
        if let zip { try Platform.writeFile(target, zip.bytes) }
        Platform.writeError("wrote \(InvoiceCommand.noun.counted(written)) as UBL to \(target)\n")
    }
}
