import ArgumentParser
import FolioWire

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
