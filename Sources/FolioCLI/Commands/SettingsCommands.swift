import ArgumentParser
import FolioWire

/// `folio settings collections ...`: the tenant's payment terms text and reminder policy.
struct SettingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings", abstract: "Show and change groups of tenant settings (owners change them).",
        subcommands: [Collections.self])

    /// `folio settings collections [--terms-text T] [--grace-days N] [--level DAYS:FEE:MESSAGE]... [--interest P]`.
    struct Collections: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Payment terms text, reminder grace days, reminder levels and late interest.",
            discussion: """
                Without options it shows the settings. --level replaces all levels (numbered 1, 2, ... in \
                the order given); an empty FEE means none. An empty --terms-text or --interest clears it.
                """)
        static let leading = ["payment_terms_text", "reminder_grace_days", "late_interest_percent", "reminder_levels"]
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Printed on every invoice, e.g. 'Net 30' (\"\" = derived from the terms).", valueName: "text"))
        var termsText: String?
        @Option(help: ArgumentHelp("Days after the due date before any reminder (0-60).", valueName: "days")) var graceDays: Int?
        @Option(name: .customLong("level"),
                help: ArgumentHelp("A reminder level: days past due (after grace), fee or empty, wording (repeatable).",
                                   valueName: "days:fee:message"))
        var levels: [String] = []
        @Flag(help: "Remove every reminder level (no reminders).") var noLevels = false
        @Option(help: ArgumentHelp("Annual late interest percent, e.g. 8.00 (\"\" = none).", valueName: "percent")) var interest: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func validateOptions() throws {
            if noLevels && !levels.isEmpty { throw ValidationError("--no-levels and --level exclude each other") }
            for level in levels where ColonFields.split(level).count != 3 || Int(ColonFields.split(level)[0]) == nil {
                throw ValidationError("--level must be days:fee:message, e.g. 14:5.00:Second reminder")
            }
        }

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("payment_terms_text", clearable: termsText)
            params.set("reminder_grace_days", graceDays)
            params.set("late_interest_percent", clearable: interest)
            if noLevels { params["reminder_levels"] = .array([]) }
            if !levels.isEmpty {
                params["reminder_levels"] = .array(levels.enumerated().map { index, text in
                    let fields = ColonFields.split(text)
                    return ["level": JSON(index + 1), "days_past_due": JSON(Int(fields[0])!),
                            "fee": fields[1].isEmpty ? .null : .string(fields[1]), "message": .string(fields[2])]
                })
            }
            let result = params.members.isEmpty ? try session.callInTenant("tenant.get")
                : try session.callInTenant("tenant.update", params, idempotency: idempotency)
            session.show(result) { tenant in
                var text = KeyValueBlock(.object(JSONObject(Self.leading.dropLast().map { ($0, tenant[$0] ?? .null) })),
                                         leading: Array(Self.leading.dropLast())).render()
                let view = ListView(noun: Noun("reminder level"), columns: [
                    .init("LEVEL", "level", .number), .init("DAYS PAST DUE", "days_past_due", .number),
                    .init("FEE", "fee", .number), .init("MESSAGE", "message"),
                ])
                text += "\n\n" + view.render(tenant["reminder_levels"]?.arrayValue ?? [])
                return text
            }
        }
    }
}
