import ArgumentParser
import FolioWire

/// `folio discrepancy ...`: what did not match when payments were recorded.
struct DiscrepancyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discrepancy", abstract: "List and resolve payment discrepancies.",
        subcommands: [List.self, Resolve.self])

    static let noun = Noun("discrepancy", plural: "discrepancies")
    static let leading = ["id", "status", "kind", "payment_id", "invoice_id", "number", "customer_id", "amount",
                          "currency", "message", "resolution_note", "resolved_by", "resolved_at", "created_at"]

    /// `folio discrepancy list [--status] [--customer]`: discrepancies as a table.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List discrepancies.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("open or resolved.", valueName: "status")) var status: String?
        @Option(help: ArgumentHelp("Only this customer's.", valueName: "id")) var customer: Int64?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("status", status)
            params.set("customer_id", customer)
            let view = ListView(noun: noun, columns: [
                .init("ID", "id", .number), .init("STATUS", "status"), .init("KIND", "kind"),
                .init("PAYMENT", "payment_id", .number), .init("INVOICE", "number"),
                .init("CUSTOMER", "customer_id", .number), .init("AMOUNT", "amount", .number),
                .init("CURRENCY", "currency"),
                .init("MESSAGE", "message"), .init("CREATED", "created_at"),
            ])
            session.show(list: try session.list("discrepancy.list", params, paging: paging, noun: noun), view)
        }
    }

    /// `folio discrepancy resolve ID --note`: closes a discrepancy with a note.
    struct Resolve: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a discrepancy resolved, saying how.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The discrepancy's id.") var id: Int64
        @Option(help: ArgumentHelp("How it was resolved.", valueName: "text")) var note: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let params: JSONObject = ["id": JSON(id), "note": .string(note)]
            session.show(try session.callInTenant("discrepancy.resolve", params, idempotency: idempotency),
                         leading: leading)
        }
    }
}
