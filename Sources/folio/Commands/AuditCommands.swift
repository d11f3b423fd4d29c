import ArgumentParser
import FolioWire

/// `folio audit ...`: integrity checks of the tenant's books and the log of changes.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the integrity of the tenant's books; read the audit log.",
        subcommands: [Verify.self, Log.self])

    /// `folio audit verify`: "OK", or the problems found (exit status 1).
    struct Verify: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check numbering, totals and credits; exit status 1 when a problem is found.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions

        func run(in session: Session) throws {
            let result = try session.callInTenant("audit.verify")
            session.show(result) { result in
                guard result["ok"]?.boolValue != true else { return "OK" }
                let view = ListView(noun: Noun("problem"), columns: [
                    .init("KIND", "kind"), .init("ENTITY", "entity"), .init("ID", "id", .number),
                    .init("NUMBER", "number"), .init("MESSAGE", "message"),
                ])
                let table = view.render(result["problems"]?.arrayValue ?? [])
                return result["truncated"]?.boolValue == true ? table + "\n(only the first problems are shown)" : table
            }
            if result["ok"]?.boolValue != true { throw ExitCode.failure }
        }
    }

    /// `folio audit log [--entity] [--id] [--from] [--to]`: who changed what, newest first.
    struct Log: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the audit log: every change, who made it and when (newest first).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only changes of this kind of entity, e.g. invoice.", valueName: "entity"))
        var entity: String?
        @Option(help: ArgumentHelp("Only changes of the entity with this id.", valueName: "n")) var id: Int64?
        @Option(help: ArgumentHelp("Changes on or after this date.", valueName: "yyyy-mm-dd")) var from: String?
        @Option(help: ArgumentHelp("Changes on or before this date.", valueName: "yyyy-mm-dd")) var to: String?
        @OptionGroup var paging: ListOptions

        static let noun = Noun("audit entry", plural: "audit entries")

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("entity", entity)
            params.set("entity_id", id)
            params.set("from", from)
            params.set("to", to)
            let view = ListView(noun: Self.noun, columns: [
                .init("AT", "at"), .init("UID", "uid", .number), .init("METHOD", "method"), .init("ENTITY", "entity"),
                .init("ID", "entity_id", .number), .init("CHANGE") { Self.summary($0["change"] ?? .null) },
            ])
            session.show(list: try session.list("audit.log", params, paging: paging, noun: Self.noun), view)
        }

        /// The longest change summary shown.
        static let summaryLimit = 100

        /// A change on one line: "field=value, ..." for an object, nested values as compact JSON,
        /// cut off with "…" past `summaryLimit` characters.
        static func summary(_ change: JSON) -> String {
            let text: String
            switch change {
            case .object(let members):
                text = members.map { "\($0.key)=\(inline($0.value))" }.joined(separator: ", ")
            default:
                text = inline(change)
            }
            return text.count > summaryLimit ? String(text.prefix(summaryLimit - 1)) + "…" : text
        }

        private static func inline(_ value: JSON) -> String {
            switch value {
            case .null: ""
            case .string(let text): text
            case .number(let text): text
            default: JSONWriter.string(value)
            }
        }
    }
}
