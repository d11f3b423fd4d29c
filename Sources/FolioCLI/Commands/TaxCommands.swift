import ArgumentParser
import FolioWire

/// `folio tax ...`: the tenant's tax rates, addressed by code.
struct TaxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tax", abstract: "Create, list, show and edit tax rates.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Archive.self])

    static let noun = Noun("tax rate")
    static let leading = ["code", "name", "percent", "category", "exemption_reason", "id", "archived"]
    static let categoryHelp = ArgumentHelp(
        "EN 16931 VAT category: S, Z, E, AE, K, G, O, L or M (default S above 0 %, else Z).", valueName: "code")
    static let reasonHelp = ArgumentHelp("Exemption reason printed on e-invoices (required for E, AE, K, G, O).", valueName: "text")

    /// `folio tax add CODE NAME PERCENT`: creates a tax rate.
    struct Add: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tax rate.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "Short code used on lines and items, e.g. VAT19.") var code: String
        @Argument(help: "The rate's name.") var name: String
        @Argument(help: "Percent, a decimal such as 19 or 7.7.") var percent: String
        @Option(help: categoryHelp) var category: String?
        @Option(help: reasonHelp) var exemptionReason: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["code": .string(code), "name": .string(name), "percent": .string(percent)]
            params.set("category", category)
            params.set("exemption_reason", exemptionReason)
            session.show(try session.callInTenant("tax_rate.create", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio tax list`: tax rates as a table.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List tax rates.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            let view = ListView(noun: noun, columns: [
                .init("CODE", "code"), .init("NAME", "name"), .init("PERCENT", "percent", .number),
                .init("CATEGORY", "category"),
                .init("ARCHIVED", "archived"),
            ])
            session.show(list: try session.list("tax_rate.list", [:], paging: paging, noun: noun), view)
        }
    }

    /// `folio tax show CODE`: one tax rate.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show a tax rate.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The rate's code.") var code: String

        func run(in session: Session) throws {
            session.show(try session.callInTenant("tax_rate.get", ["code": .string(code)]), leading: leading)
        }
    }

    /// `folio tax edit CODE [--name] [--percent]`: changes a tax rate.
    struct Edit: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Change a tax rate's name, percent, category or exemption reason.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The rate's code.") var code: String
        @Option(help: ArgumentHelp("New name.", valueName: "name")) var name: String?
        @Option(help: ArgumentHelp("New percent.", valueName: "percent")) var percent: String?
        @Option(help: categoryHelp) var category: String?
        @Option(help: reasonHelp) var exemptionReason: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["code": .string(code)]
            params.set("name", name)
            params.set("percent", percent)
            params.set("category", category)
            params.set("exemption_reason", clearable: exemptionReason)
            session.show(try session.callInTenant("tax_rate.update", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio tax archive CODE`: archives a rate so it can no longer be put on new items or lines.
    struct Archive: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a tax rate (existing documents keep it).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The rate's code.") var code: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            session.show(try session.callInTenant("tax_rate.archive", ["code": .string(code)], idempotency: idempotency),
                         leading: leading)
        }
    }
}
