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

/// `folio delivery ...`: shipments of confirmed orders and their receipt.
struct DeliveryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delivery", abstract: "Record deliveries of orders, confirm their receipt, list and print them.",
        subcommands: [Record.self, Receive.self, Show.self, List.self, Render.self])

    static let noun = Noun("delivery", plural: "deliveries")

    /// `folio delivery record ORDER --line LINE_NO:QTY... [--carrier C] [--tracking T]... [--date D]`.
    struct Record: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Record a shipment of an order's lines.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The order's id.") var order: Int64
        @Option(name: .customLong("line"), help: ArgumentHelp("An order line shipped and its quantity (repeatable).",
                                                              valueName: "line-no:qty"),
                transform: LineSpec.delivered)
        var lines: [LineSpec] = []
        @Option(help: ArgumentHelp("Shipping date.", valueName: "yyyy-mm-dd")) var date: String
        @Option(help: ArgumentHelp("The carrier.", valueName: "name")) var carrier: String?
        @Option(name: .customLong("tracking"), help: ArgumentHelp("A parcel's tracking number (repeatable).", valueName: "number"))
        var tracking: [String] = []
        @OptionGroup var idempotency: IdempotencyOptions

        func validateOptions() throws {
            if lines.isEmpty { throw ValidationError("give at least one --line LINE_NO:QTY") }
        }

        func run(in session: Session) throws {
            var params: JSONObject = ["order_id": JSON(order), "shipped_on": .string(date), "lines": .array(lines.map(\.json))]
            params.set("carrier", carrier)
            if !tracking.isEmpty { params["tracking_numbers"] = .array(tracking.map { .string($0) }) }
            session.show(try session.callInTenant("delivery.record", params, idempotency: idempotency), OrderView.delivery)
        }
    }

    struct Receive: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm that the buyer received a delivery.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The delivery's id.") var id: Int64
        @Option(help: ArgumentHelp("Who received it.", valueName: "name")) var by: String
        @Option(help: ArgumentHelp("When it was received.", valueName: "yyyy-mm-dd")) var date: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let params: JSONObject = ["id": JSON(id), "received_by": .string(by), "received_on": .string(date)]
            session.show(try session.callInTenant("delivery.confirm_receipt", params, idempotency: idempotency), OrderView.delivery)
        }
    }

    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show a delivery with its lines and tracking numbers.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The delivery's id.") var id: Int64

        func run(in session: Session) throws {
            session.show(try session.callInTenant("delivery.get", ["id": JSON(id)]), OrderView.delivery)
        }
    }

    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only this order's deliveries.", valueName: "id")) var order: Int64?
        @Option(help: ArgumentHelp("shipped or received.", valueName: "status")) var status: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("order_id", order)
            params.set("status", status)
            session.show(list: try session.list("delivery.list", params, paging: paging, noun: noun), OrderView.deliveryListView)
        }
    }

    /// `folio delivery pdf ID [--format] [-o FILE]`: the delivery note (packing slip).
    struct Render: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "pdf", abstract: "Render the delivery note (packing slip) as PDF (or HTML or text).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The delivery's id.") var id: Int64
        @Option(help: ArgumentHelp("pdf (default), html or text.", valueName: "format")) var format: String = "pdf"
        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The file to write.", valueName: "file"))
        var output: String?

        func run(in session: Session) throws {
            try session.writeDocument(try session.callInTenant("delivery.render", ["id": JSON(id), "format": .string(format)]),
                                      to: output)
        }
    }
}

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

/// `folio stock ...`: adjustments and the stock report.
struct StockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stock", abstract: "Adjust stock and report it against its movements.",
        subcommands: [Adjust.self, Report.self])

    struct Adjust: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Add to (or, negative, take from) a tracked item's stock.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The item's id.") var item: Int64
        @Option(parsing: .unconditional, help: ArgumentHelp("The change, e.g. 10 or -2.5.", valueName: "qty")) var delta: String
        @Option(help: ArgumentHelp("Why (counted, damaged, received from supplier, ...).", valueName: "text")) var reason: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let params: JSONObject = ["id": JSON(item), "qty_delta": .string(delta), "reason": .string(reason)]
            session.show(try session.callInTenant("item.adjust_stock", params, idempotency: idempotency), leading: ItemCommand.leading)
        }
    }

    struct Report: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stock-tracked items with their stock and the sum of their movements.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only items with less stock than this.", valueName: "qty")) var below: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("below", below)
            session.show(list: try session.list("report.stock", params, paging: paging, noun: Noun("item")), OrderView.stockView)
        }
    }
}
