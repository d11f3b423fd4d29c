import ArgumentParser
import FolioWire

extension InvoiceCommand {
    /// `folio invoice from-order ORDER [--issue [--date D]]`: invoices what was delivered.
    struct FromOrder: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "from-order",
            abstract: "Invoice an order's delivered (or, per tenant setting, received), not yet invoiced quantities.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The order's id.") var order: Int64
        @Flag(help: "Issue it at once.") var issue = false
        @Option(help: ArgumentHelp("Issue date with --issue (default: today).", valueName: "yyyy-mm-dd")) var date: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func validateOptions() throws {
            if date != nil, !issue { throw ValidationError("--date needs --issue") }
        }

        func run(in session: Session) throws {
            var params: JSONObject = ["order_id": JSON(order)]
            params.set("issue", flag: issue)
            params.set("issue_date", date)
            session.show(try session.callInTenant("invoice.create_from_order", params, idempotency: idempotency),
                         DocumentView.invoice)
        }
    }
}
