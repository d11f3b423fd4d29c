import ArgumentParser
import FolioWire

/// `folio tenant ...`: tenants, their settings and their members.
struct TenantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Create and list tenants; show and change settings; manage members.",
        subcommands: [Create.self, List.self, Show.self, Settings.self, Grant.self, Revoke.self, Members.self])

    static let leading = ["tenant", "name", "currency", "timezone", "tax_rounding", "payment_terms_days",
                          "invoice_number_format", "credit_note_number_format", "legal_name", "address", "tax_id",
                          "email", "phone"]
    static let membershipLeading = ["tenant", "uid", "role"]

    /// `folio tenant create SLUG --name --currency`: a new tenant (administrators).
    struct Create: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant (administrators only).")
        static let tenantScoped = false
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The new tenant's slug (a-z, 0-9, _).") var slug: String
        @Option(help: ArgumentHelp("Display name.", valueName: "name")) var name: String
        @Option(help: ArgumentHelp("Default currency (ISO 4217).", valueName: "code")) var currency: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["tenant": .string(slug), "name": .string(name), "currency": .string(currency)]
            idempotency.apply(to: &params)
            session.show(try session.call("tenant.create", params), leading: leading)
        }
    }

    /// `folio tenant list`: the tenants the caller can see.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenants you can see.")
        static let tenantScoped = false
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            let noun = Noun("tenant")
            let view = ListView(noun: noun, columns: [
                .init("TENANT", "tenant"), .init("NAME", "name"), .init("CURRENCY", "currency"),
                .init("ROLE", "role"), .init("CREATED", "created_at"),
            ])
            session.show(list: try session.list("tenant.list", [:], paging: paging, noun: noun, inTenant: false), view)
        }
    }

    /// `folio tenant show`: the tenant's settings.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show the tenant's settings.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions

        func run(in session: Session) throws {
            session.show(try session.callInTenant("tenant.get"), leading: leading)
        }
    }

    /// `folio tenant set [settings]`: changes the settings given.
    struct Settings: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change the tenant's settings (owners).",
            discussion: "Only the options given change; an empty value (\"\") clears an optional setting.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var settings: TenantSettingOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            let current = settings.address.isGiven ? try session.callInTenant("tenant.get") : nil
            settings.apply(to: &params, current: current)
            session.show(try session.callInTenant("tenant.update", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio tenant grant UID ROLE`: gives a uid a role.
    struct Grant: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Give a uid a role in the tenant (owners).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The Unix uid.") var uid: Int64
        @Argument(help: "owner, clerk or viewer.") var role: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let params: JSONObject = ["uid": JSON(uid), "role": .string(role)]
            session.show(try session.callInTenant("tenant.grant", params, idempotency: idempotency),
                         leading: membershipLeading)
        }
    }

    /// `folio tenant revoke UID`: ends a membership.
    struct Revoke: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a uid's membership (owners).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The Unix uid.") var uid: Int64
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let result = try session.callInTenant("tenant.revoke", ["uid": JSON(uid)], idempotency: idempotency)
            session.show(result) { _ in "revoked uid \(uid)" }
        }
    }

    /// `folio tenant members`: the tenant's memberships.
    struct Members: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's members (owners).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            let noun = Noun("member")
            let view = ListView(noun: noun, columns: [
                .init("UID", "uid", .number), .init("ROLE", "role"), .init("GRANTED", "granted_at"),
                .init("BY", "granted_by", .number),
            ])
            session.show(list: try session.list("tenant.members", [:], paging: paging, noun: noun), view)
        }
    }
}
