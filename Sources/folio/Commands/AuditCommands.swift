import ArgumentParser
import FolioWire

/// `folio audit ...`: integrity checks of the tenant's books.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the integrity of the tenant's books.", subcommands: [Verify.self])

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
}
