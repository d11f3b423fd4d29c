import ArgumentParser
import FolioWire

/// `folio customer ...`: the tenant's customers.
struct CustomerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer", abstract: "Create, list, show, edit and archive customers.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Archive.self])

    static let noun = Noun("customer")
    static let leading = ["id", "name", "email", "phone", "payment_terms_days", "tax_id", "billing_address",
                          "shipping_address", "notes", "archived"]
    static let listView = ListView(noun: noun, columns: [
        .init("ID", "id", .number), .init("NAME", "name"), .init("EMAIL", "email"), .init("PHONE", "phone"),
        .init("TERMS", "payment_terms_days", .number), .init("ARCHIVED", "archived"),
    ])

    /// `folio customer add NAME [fields]`: creates a customer.
    struct Add: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Add a customer.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The customer's name.") var name: String
        @OptionGroup var fields: CustomerFieldOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["name": .string(name)]
            fields.apply(to: &params)
            session.show(try session.callInTenant("customer.create", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio customer list`: customers as a table.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List customers.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var search: SearchOptions
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            search.apply(to: &params)
            session.show(list: try session.list("customer.list", params, paging: paging, noun: noun), listView)
        }
    }

    /// `folio customer show ID`: one customer.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show a customer.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The customer's id.") var id: Int64

        func run(in session: Session) throws {
            session.show(try session.callInTenant("customer.get", ["id": JSON(id)]), leading: leading)
        }
    }

    /// `folio customer edit ID [fields]`: changes the fields given.
    struct Edit: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a customer's fields.",
            discussion: "Only the options given change; an empty value (\"\") clears a field or address part.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The customer's id.") var id: Int64
        @Option(help: ArgumentHelp("New name.", valueName: "name")) var name: String?
        @OptionGroup var fields: CustomerFieldOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["id": JSON(id)]
            params.set("name", name)
            let current = fields.changesAddress ? try session.callInTenant("customer.get", ["id": JSON(id)]) : nil
            fields.apply(to: &params, current: current)
            session.show(try session.callInTenant("customer.update", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio customer archive ID`: archives a customer; its invoices stay.
    struct Archive: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a customer (its invoices stay).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The customer's id.") var id: Int64
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let result = try session.callInTenant("customer.archive", ["id": JSON(id)], idempotency: idempotency)
            session.show(result, leading: leading)
        }
    }
}
