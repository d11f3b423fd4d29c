import ArgumentParser
import FolioWire

/// `folio item ...`: the tenant's catalogue of items.
struct ItemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "item", abstract: "Create, list, show, edit and archive items.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Archive.self])

    static let noun = Noun("item")
    static let leading = ["id", "sku", "name", "description", "unit_price", "tax_rate", "stock_qty", "archived"]
    static let listView = ListView(noun: noun, columns: [
        .init("ID", "id", .number), .init("SKU", "sku"), .init("NAME", "name"),
        .init("UNIT PRICE", "unit_price", .number), .init("TAX", "tax_rate"), .init("STOCK", "stock_qty", .number),
        .init("ARCHIVED", "archived"),
    ])

    /// `folio item add SKU NAME UNIT_PRICE [fields]`: creates an item.
    struct Add: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Add an item.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "Stock keeping unit, unique in the tenant.") var sku: String
        @Argument(help: "The item's name.") var name: String
        @Argument(help: ArgumentHelp("Price per unit, a decimal such as 12.50.", valueName: "unit-price"))
        var unitPrice: String
        @OptionGroup var fields: ItemFieldOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["sku": .string(sku), "name": .string(name), "unit_price": .string(unitPrice)]
            fields.apply(to: &params)
            session.show(try session.callInTenant("item.create", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio item list`: items as a table.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List items.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var search: SearchOptions
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            search.apply(to: &params)
            session.show(list: try session.list("item.list", params, paging: paging, noun: noun), listView)
        }
    }

    /// `folio item show ID|SKU`: one item.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show an item by id (digits) or sku.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: ArgumentHelp("The item's id or sku.", valueName: "id|sku")) var item: DocumentReference

        func run(in session: Session) throws {
            session.show(try session.callInTenant("item.get", item.params(keyField: "sku")), leading: leading)
        }
    }

    /// `folio item edit ID [fields]`: changes the fields given.
    struct Edit: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an item's fields.",
            discussion: "Only the options given change; an empty value (\"\") clears an optional field.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The item's id.") var id: Int64
        @Option(help: ArgumentHelp("New sku.", valueName: "sku")) var sku: String?
        @Option(help: ArgumentHelp("New name.", valueName: "name")) var name: String?
        @Option(help: ArgumentHelp("New price per unit.", valueName: "price")) var price: String?
        @OptionGroup var fields: ItemFieldOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["id": JSON(id)]
            params.set("sku", sku)
            params.set("name", name)
            params.set("unit_price", price)
            fields.apply(to: &params)
            session.show(try session.callInTenant("item.update", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio item archive ID`: archives an item so it can no longer be invoiced.
    struct Archive: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Archive an item (it can no longer be invoiced).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The item's id.") var id: Int64
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let result = try session.callInTenant("item.archive", ["id": JSON(id)], idempotency: idempotency)
            session.show(result, leading: leading)
        }
    }
}
