import ArgumentParser
import FolioWire

/// `folio reminder run|list|print`: payment reminders (contract v1.1 "Collections").
struct ReminderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reminder", abstract: "Make, list and print payment reminders.",
        subcommands: [Run.self, List.self, Print.self])

    static let noun = Noun("reminder")

    /// `folio reminder run [--as-of DATE]`: the reminders due, with their charges.
    struct Run: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the reminders due (and their fee and interest invoices); e-mails go through the outbox.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("The day to remind as of (default: the tenant's today).", valueName: "date")) var asOf: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("as_of", asOf)
            let progress = CallProgress.start("making reminders as of \(asOf ?? "today")")
            let result = try session.callInTenant("reminder.run", params, idempotency: idempotency)
            progress.finish()
            session.show(result) { result in
                let created = result["created"]?.arrayValue ?? []
                let view = ListView(noun: noun, columns: [
                    .init("REMINDER", "reminder_id", .number), .init("INVOICE", "number"), .init("LEVEL", "level", .number),
                    .init("STATUS", "status"), .init("FEE INVOICE", "fee_invoice_number"),
                    .init("INTEREST INVOICE", "interest_invoice_number"),
                ])
                let skipped = result["skipped"] ?? .null
                return view.render(created) + "\n\(noun.counted(created.count)) as of \(result["as_of"]?.displayText ?? ""); "
                    + "skipped: \(skipped["disputed"]?.displayText ?? "0") disputed, \(skipped["not_due"]?.displayText ?? "0") not due"
            }
        }
    }

    /// `folio reminder list [--invoice ID] [--customer ID] [--status S]`.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List reminders.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only this invoice's reminders.", valueName: "id")) var invoice: Int64?
        @Option(help: ArgumentHelp("Only this customer's reminders.", valueName: "id")) var customer: Int64?
        @Option(help: ArgumentHelp("queued, sent, to_print, cancelled or failed.", valueName: "status")) var status: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("invoice_id", invoice)
            params.set("customer_id", customer)
            params.set("status", status)
            session.show(list: try session.list("reminder.list", params, paging: paging, noun: noun), ListView(noun: noun, columns: [
                .init("ID", "id", .number), .init("INVOICE", "number"), .init("LEVEL", "level", .number),
                .init("AS OF", "as_of"), .init("DAYS", "days_overdue", .number), .init("BALANCE", "balance_due", .money),
                .init("CUR", "currency", .currency), .init("STATUS", "status"), .init("CHANNEL", "channel"),
                .init("FEE INVOICE", "fee_invoice_number"), .init("INTEREST INVOICE", "interest_invoice_number"),
                .init("SENT", "sent_at"),
            ]))
        }
    }

    /// `folio reminder print [ID...] [-o FILE] [--mark-sent]`: one PDF of the letters to post.
    struct Print: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "One PDF of the reminder letters to post (default: every to_print reminder); optionally mark them sent.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "Reminder ids (default: all to_print).") var ids: [Int64] = []
        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The file to write.", valueName: "file"))
        var output: String?
        @Flag(help: "Mark the printed reminders sent (by post) once the PDF is written.") var markSent = false

        func run(in session: Session) throws {
            var params = JSONObject()
            var printed = ids
            if ids.isEmpty {
                let pending = try session.callInTenant("reminder.list", ["status": "to_print", "limit": 500])
                printed = (pending["items"]?.arrayValue ?? []).compactMap { $0["id"]?.int64Value }
            }
            if !ids.isEmpty { params["ids"] = .array(ids.map { JSON($0) }) }
            try session.writeDocument(try session.callInTenant("reminder.print_batch", params), to: output)
            if markSent, !printed.isEmpty {
                _ = try session.callInTenant("reminder.mark_sent", ["ids": .array(printed.map { JSON($0) })])
            }
        }
    }
}
