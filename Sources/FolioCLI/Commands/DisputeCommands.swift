import ArgumentParser
import FolioWire

/// `folio dispute ...`: a customer contesting an invoice, and how that ended.
struct DisputeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispute", abstract: "Open and resolve disputes of invoices.",
        subcommands: [Open.self, Resolve.self])

    /// `folio dispute open INVOICE --reason`: marks an invoice disputed.
    struct Open: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an invoice disputed by the customer.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: InvoiceCommand.referenceHelp) var invoice: DocumentReference
        @Option(help: ArgumentHelp("What the customer contests.", valueName: "text")) var reason: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = invoice.params()
            params["reason"] = .string(reason)
            session.show(try session.callInTenant("invoice.dispute", params, idempotency: idempotency),
                         DocumentView.invoice)
        }
    }

    /// `folio dispute resolve INVOICE --resolution credited|confirmed [...]`: closes the dispute.
    struct Resolve: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve an invoice's dispute.",
            discussion: """
                credited: the customer was right and got a credit note (name it with --credit-note); \
                confirmed: the invoice stands as issued.
                """)
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: InvoiceCommand.referenceHelp) var invoice: DocumentReference
        @Option(help: ArgumentHelp("credited or confirmed.", valueName: "resolution")) var resolution: String
        @Option(help: ArgumentHelp("How it was settled.", valueName: "text")) var note: String?
        @Option(help: ArgumentHelp("The credit note issued for it.", valueName: "id")) var creditNote: Int64?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = invoice.params()
            params["resolution"] = .string(resolution)
            params.set("note", note)
            params.set("credit_note_id", creditNote)
            session.show(try session.callInTenant("invoice.resolve_dispute", params, idempotency: idempotency),
                         DocumentView.invoice)
        }
    }
}
