import ArgumentParser
import FolioWire

/// `folio order ...`: customers' purchase orders, from receipt to confirmation.
struct OrderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "order", abstract: "Record, edit, confirm, cancel, show, list and print customers' purchase orders.",
        subcommands: [New.self, Edit.self, Show.self, List.self, Confirm.self, Cancel.self, Render.self])

    static let noun = Noun("order")

    /// `folio order new --customer ID --po PO --date D --line SKU:QTY[:PRICE]... [fields]`.
    struct New: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a customer's purchase order; prints it with its discrepancies.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("The customer's id.", valueName: "id")) var customer: Int64
        @Option(help: ArgumentHelp("The buyer's purchase order number.", valueName: "number")) var po: String
        @Option(help: ArgumentHelp("The order's date.", valueName: "yyyy-mm-dd")) var date: String
        @Option(help: ArgumentHelp("Currency (default: the tenant's).", valueName: "code")) var currency: String?
        @OptionGroup var fields: OrderFieldOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func validateOptions() throws {
            if fields.lines.isEmpty && fields.items.isEmpty { throw ValidationError("give at least one --line or --item") }
        }

        func run(in session: Session) throws {
            var params: JSONObject = ["customer_id": JSON(customer), "po_number": .string(po), "order_date": .string(date)]
            params.set("currency", currency)
            try fields.apply(to: &params)
            session.show(try session.callInTenant("order.create", params, idempotency: idempotency), OrderView.order)
        }
    }

    /// `folio order edit ID [fields]`: changes an order still awaiting confirmation.
    struct Edit: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an order that is not confirmed yet (lines given replace all lines).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The order's id.") var id: Int64
        @Option(help: ArgumentHelp("The buyer's purchase order number.", valueName: "number")) var po: String?
        @Option(help: ArgumentHelp("The order's date.", valueName: "yyyy-mm-dd")) var date: String?
        @OptionGroup var fields: OrderFieldOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["id": JSON(id)]
            params.set("po_number", po)
            params.set("order_date", date)
            try fields.apply(to: &params)
            session.show(try session.callInTenant("order.update", params, idempotency: idempotency), OrderView.order)
        }
    }

    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show an order with its lines and quantities.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The order's id.") var id: Int64

        func run(in session: Session) throws {
            session.show(try session.callInTenant("order.get", ["id": JSON(id)]), OrderView.order)
        }
    }

    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List orders.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("received, confirmed, partially_delivered, delivered, partially_invoiced, invoiced or cancelled.",
                                   valueName: "status"))
        var status: String?
        @Option(help: ArgumentHelp("Only this customer's orders.", valueName: "id")) var customer: Int64?
        @Option(help: ArgumentHelp("Only orders with this PO number.", valueName: "number")) var po: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("status", status)
            params.set("customer_id", customer)
            params.set("po_number", po)
            session.show(list: try session.list("order.list", params, paging: paging, noun: noun), OrderView.listView)
        }
    }

    struct Confirm: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Confirm a signed order (with --accept-discrepancies when some were not resolved).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The order's id.") var id: Int64
        @Flag(help: "Confirm although discrepancies are open (clarified with the buyer).") var acceptDiscrepancies = false
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["id": JSON(id)]
            params.set("accept_discrepancies", flag: acceptDiscrepancies)
            session.show(try session.callInTenant("order.confirm", params, idempotency: idempotency), OrderView.order)
        }
    }

    struct Cancel: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel an order of which nothing was delivered.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The order's id.") var id: Int64
        @Option(help: ArgumentHelp("Why it is cancelled.", valueName: "text")) var reason: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let params: JSONObject = ["id": JSON(id), "reason": .string(reason)]
            session.show(try session.callInTenant("order.cancel", params, idempotency: idempotency), OrderView.order)
        }
    }

    /// `folio order pdf ID [--format] [-o FILE]`: the order confirmation.
    struct Render: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "pdf", abstract: "Render the order confirmation as PDF (or HTML or text).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The order's id.") var id: Int64
        @Option(help: ArgumentHelp("pdf (default), html or text.", valueName: "format")) var format: String = "pdf"
        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The file to write.", valueName: "file"))
        var output: String?

        func run(in session: Session) throws {
            try session.writeDocument(try session.callInTenant("order.render", ["id": JSON(id), "format": .string(format)]), to: output)
        }
    }
}
