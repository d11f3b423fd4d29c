import ArgumentParser
import FolioWire

/// `folio audit ...`: integrity checks of the tenant's books and the log of changes.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the integrity of the tenant's books; read the audit log.",
        subcommands: [Verify.self, Log.self])

    /// `folio audit verify [--full]`: "OK", or the problems found (exit status 1).
    ///
    /// Without `--full` the server checks only what is new since the last verification
    /// (`audit.verify`). With `--full` it re-verifies everything as a job
    /// (`audit.verify_start`, then `audit.verify_step` until done), each step a short
    /// request, with the progress shown on standard error.
    struct Verify: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check numbering, hashes, totals, payments and credits; exit status 1 when a problem is found.",
            discussion: """
                By default only what is new since the last verification is checked (new documents, \
                and what new payments, allocations and credit notes touched), plus cheap invariants; \
                --full re-verifies everything, in steps, showing progress.
                """)
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Flag(help: "Re-verify every document and row, not only what is new.") var full = false

        func run(in session: Session) throws {
            let result = full ? try runJob(in: session) : try session.callInTenant("audit.verify")
            session.show(result) { result in
                guard result["ok"]?.boolValue != true else { return "OK" + Self.scope(result) }
                let view = ListView(noun: Noun("problem"), columns: [
                    .init("KIND", "kind"), .init("ENTITY", "entity"), .init("ID", "id", .number),
                    .init("NUMBER", "number"), .init("MESSAGE", "message"),
                ])
                let table = view.render(result["problems"]?.arrayValue ?? [])
                return result["truncated"]?.boolValue == true ? table + "\n(only the first problems are shown)" : table
            }
            if result["ok"]?.boolValue != true { throw ExitCode.failure }
        }

        /// Starts a full verification job and steps it to the end, reporting progress;
        /// returns the job's result.
        func runJob(in session: Session) throws -> JSON {
            var job = try session.callInTenant("audit.verify_start")
            guard let id = job["id"] else { throw ValidationError("the server started no job") }
            let progress = JobProgress()
            defer { progress.finish() }
            while job["state"]?.stringValue != "done" {
                job = try session.callInTenant("audit.verify_step", ["id": id])
                progress.report(job)
            }
            return job["result"] ?? .null
        }

        /// What the OK line adds: " (full: N documents and rows)" or " (N new documents and
        /// rows)" from the result's `checked` ranges, and a warning when the last full
        /// verification found problems that the incremental one does not look at again.
        static func scope(_ result: JSON) -> String {
            guard case .object(let checked)? = result["checked"] else { return "" }
            let count = checked.members.reduce(Int64(0)) { sum, member in
                guard let from = member.value["from"]?.int64Value, let to = member.value["to"]?.int64Value else { return sum }
                return sum + Swift.max(0, to - from + 1)
            }
            if result["mode"]?.stringValue == "full" { return " (full: \(count) documents and rows)" }
            var text = " (\(count) new documents and rows)"
            if let last = result["last_full"], last["ok"]?.boolValue == false {
                text += "; but the last full verification (job \(last["job"]?.int64Value ?? 0)) found problems"
            }
            return text
        }
    }

    /// Progress of a verification job on standard error ("verifying: 42% (invoices)"):
    /// redrawn in place on a terminal, one line per step otherwise.
    struct JobProgress {
        private let terminal = Platform.standardErrorIsTerminal

        /// Shows the job's percent and stage.
        func report(_ job: JSON) {
            let percent = job["percent"]?.int64Value ?? 0
            let stage = String((job["stage"]?.stringValue ?? "").map { $0 == "_" ? " " : $0 })
            let found = job["problems_found"]?.int64Value ?? 0
            var text = "verifying: \(percent)%"
            if job["state"]?.stringValue != "done" { text += " (\(stage))" }
            if found > 0 { text += ", \(found) problem\(found == 1 ? "" : "s") so far" }
            Platform.writeError(terminal ? "\r\u{1B}[K" + text : text + "\n")
        }

        /// Clears the progress line from a terminal.
        func finish() {
            if terminal { Platform.writeError("\r\u{1B}[K") }
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
