import ArgumentParser
import FolioWire

/// `folio credit-note ...`: credit notes, made by `invoice void` and `invoice credit`.
struct CreditNoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit-note", abstract: "Show and list credit notes.",
        subcommands: [Show.self, List.self, Render.self])

    static let noun = Noun("credit note")

    /// `folio credit-note show ID|NUMBER`: the credit note with lines and totals.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show a credit note with its lines and totals.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: ArgumentHelp("The credit note's id (digits) or number.", valueName: "id|number"))
        var creditNote: DocumentReference

        func run(in session: Session) throws {
            session.show(try session.callInTenant("credit_note.get", creditNote.params()), DocumentView.creditNote)
        }
    }

    /// `folio credit-note render ID|NUMBER --format pdf|html|text|ubl|cii [-o FILE]`.
    struct Render: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a credit note as PDF, HTML, text, or an EN 16931 e-invoice (ubl, cii).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: ArgumentHelp("The credit note's id (digits) or number.", valueName: "id|number"))
        var creditNote: DocumentReference
        @Option(help: ArgumentHelp("pdf (default), html, text, ubl or cii.", valueName: "format")) var format: String = "pdf"
        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The file to write.", valueName: "file"))
        var output: String?

        func run(in session: Session) throws {
            var params = creditNote.params()
            params["format"] = .string(format)
            try session.writeDocument(try session.callInTenant("credit_note.render", params), to: output)
        }
    }

    /// `folio credit-note list [--invoice] [--customer]`: credit notes with totals per currency.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List credit notes.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only those of this invoice (id).", valueName: "id")) var invoice: Int64?
        @Option(help: ArgumentHelp("Only this customer's.", valueName: "id")) var customer: Int64?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("invoice_id", invoice)
            params.set("customer_id", customer)
            let view = ListView(noun: noun, columns: [
                .init("ID", "id", .number), .init("NUMBER", "number"), .init("INVOICE", "invoice_number"),
                .init("CUSTOMER", "customer_id", .number), .init("DATE", "issue_date"), .init("REASON", "reason"),
                .init("CURRENCY", "currency", .currency), .init("TOTAL", "total", .money),
            ])
            session.show(list: try session.list("credit_note.list", params, paging: paging, noun: noun), view)
        }
    }
}
