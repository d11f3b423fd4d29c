import ArgumentParser
import FolioWire

/// `folio stock ...`: adjustments and the stock report.
struct StockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stock", abstract: "Adjust stock and report it against its movements.",
        subcommands: [Adjust.self, Report.self])

    /// Each item's stock beside the sum of its movements, and whether they agree.
    static let view = ListView(noun: Noun("item"), columns: [
        .init("ID", "id", .number), .init("SKU", "sku"), .init("NAME", "name"), .init("STOCK", "stock_qty", .number),
        .init("MOVEMENTS", "movements_qty", .number),
        .init("CHECK", text: { $0["stock_qty"] == $0["movements_qty"] ? "ok" : "MISMATCH" }),
    ])

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
            session.show(list: try session.list("report.stock", params, paging: paging, noun: Noun("item")), view)
        }
    }
}
