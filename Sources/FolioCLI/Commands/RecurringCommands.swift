import ArgumentParser
import FolioWire

/// `folio recurring ...`: recurring invoice schedules (contract v1.1 "Collections").
struct RecurringCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recurring", abstract: "Recurring invoices: schedules and their runs.",
        subcommands: [Create.self, List.self, Show.self, Pause.self, Resume.self, Cancel.self, Run.self])

    static let noun = Noun("schedule")
    static let leading = ["id", "status", "customer_name", "interval", "every", "day_of_month", "start_date", "next_date",
                          "end_date", "count", "periods_generated", "auto_issue", "auto_send"]

    /// `folio recurring create --customer ID --line ... --interval monthly --start DATE [...]`.
    struct Create: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Create a recurring invoice schedule.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("The customer's id.", valueName: "id")) var customer: Int64
        @OptionGroup var lines: InvoiceLineOptions
        @Option(help: ArgumentHelp("weekly, monthly, quarterly or yearly.", valueName: "interval")) var interval: String
        @Option(help: ArgumentHelp("First period's start date.", valueName: "date")) var start: String
        @Option(help: ArgumentHelp("Every N intervals (default 1).", valueName: "n")) var every: Int?
        @Option(help: ArgumentHelp("Day of the month 1-31 or 'last' (monthly, quarterly, yearly).", valueName: "day"))
        var day: String?
        @Option(help: ArgumentHelp("No period starts after this date.", valueName: "date")) var end: String?
        @Option(help: ArgumentHelp("Number of periods.", valueName: "n")) var count: Int?
        @Flag(help: "Make drafts instead of issuing the invoices.") var noAutoIssue = false
        @Flag(help: "E-mail each issued invoice to the customer.") var autoSend = false
        @Option(help: ArgumentHelp("Payment terms in days.", valueName: "days")) var terms: Int?
        @Option(help: ArgumentHelp("Notes printed on each invoice.", valueName: "text")) var notes: String?
        @Option(help: ArgumentHelp("The customer's PO number.", valueName: "po")) var po: String?
        @Option(help: ArgumentHelp("Currency (default: the tenant's).", valueName: "code")) var currency: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func validateOptions() throws {
            guard lines.json != nil else { throw ValidationError("give at least one --line or --item") }
        }

        func run(in session: Session) throws {
            var params: JSONObject = ["customer_id": JSON(customer), "interval": .string(interval), "start_date": .string(start)]
            params.set("lines", lines.json)
            params.set("every", every)
            if let day { params["day_of_month"] = Int(day).map { JSON($0) } ?? .string(day) }
            params.set("end_date", end)
            params.set("count", count)
            if noAutoIssue { params["auto_issue"] = false }
            params.set("auto_send", flag: autoSend)
            params.set("payment_terms_days", terms)
            params.set("notes", notes)
            params.set("po_number", po)
            params.set("currency", currency)
            session.show(try session.callInTenant("recurring.create", params, idempotency: idempotency), leading: leading)
        }
    }

    /// `folio recurring list [--status S]`.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List recurring schedules.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("active, paused, completed or cancelled.", valueName: "status")) var status: String?
        @Option(help: ArgumentHelp("Only this customer's schedules.", valueName: "id")) var customer: Int64?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("status", status)
            params.set("customer_id", customer)
            session.show(list: try session.list("recurring.list", params, paging: paging, noun: noun), ListView(noun: noun, columns: [
                .init("ID", "id", .number), .init("CUSTOMER", "customer_name"), .init("INTERVAL", "interval"),
                .init("EVERY", "every", .number), .init("DAY", "day_of_month"), .init("START", "start_date"),
                .init("NEXT", "next_date"), .init("GENERATED", "periods_generated", .number), .init("STATUS", "status"),
            ]))
        }
    }

    /// `folio recurring show ID`: the schedule and its invoices.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show a schedule with the invoices it generated.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The schedule's id.") var id: Int64

        func run(in session: Session) throws {
            session.show(try session.callInTenant("recurring.get", ["id": JSON(id)])) { schedule in
                let invoices = ListView(noun: Noun("invoice"), columns: [
                    .init("INVOICE", "number"), .init("ID", "invoice_id", .number), .init("STATUS", "status"),
                    .init("PERIOD START", "period_start"), .init("PERIOD END", "period_end"),
                ])
                return KeyValueBlock(schedule, leading: leading).render() + "\n\n"
                    + invoices.render(schedule["invoices"]?.arrayValue ?? [])
            }
        }
    }

    /// The schedule-changing commands that take just an id.
    struct Pause: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a schedule (no invoices until resumed).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The schedule's id.") var id: Int64
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            session.show(try session.callInTenant("recurring.pause", ["id": JSON(id)], idempotency: idempotency), leading: leading)
        }
    }

    struct Resume: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resume a paused schedule; missed periods are generated by the next run unless --skip-missed.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The schedule's id.") var id: Int64
        @Flag(help: "Skip the periods missed while paused: continue with the first period starting after today.")
        var skipMissed = false
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["id": JSON(id)]
            params.set("skip_missed", flag: skipMissed)
            session.show(try session.callInTenant("recurring.resume", params, idempotency: idempotency), leading: leading)
        }
    }

    struct Cancel: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a schedule for good.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The schedule's id.") var id: Int64
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            session.show(try session.callInTenant("recurring.cancel", ["id": JSON(id)], idempotency: idempotency), leading: leading)
        }
    }

    /// `folio recurring run [--as-of DATE]`: generate what is due.
    struct Run: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Generate every period due (including missed ones).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Generate periods starting on or before this date (default: today).", valueName: "date"))
        var asOf: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("as_of", asOf)
            let progress = CallProgress.start("generating recurring invoices as of \(asOf ?? "today")")
            let result = try session.callInTenant("recurring.run", params, idempotency: idempotency)
            progress.finish()
            session.show(result) { result in
                let generated = result["generated"]?.arrayValue ?? []
                let view = ListView(noun: Noun("invoice"), columns: [
                    .init("SCHEDULE", "schedule_id", .number), .init("INVOICE", "number"), .init("ID", "invoice_id", .number),
                    .init("STATUS", "status"), .init("PERIOD START", "period_start"), .init("PERIOD END", "period_end"),
                ])
                var text = view.render(generated) + "\n\(Noun("invoice").counted(generated.count)) generated as of \(result["as_of"]?.displayText ?? "")"
                for failure in result["failed"]?.arrayValue ?? [] {
                    text += "\nschedule \(failure["schedule_id"]?.displayText ?? "?") failed: \(failure["message"]?.displayText ?? "")"
                }
                return text
            }
        }
    }
}

/// `folio scheduler list`: the daily jobs foliod ran for the tenant.
struct SchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Show the daily collections jobs (recurring.run, reminder.run).",
        subcommands: [List.self])

    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List the scheduler's runs with their counts.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("recurring.run or reminder.run.", valueName: "job")) var job: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            let noun = Noun("run")
            var params = JSONObject()
            params.set("job", job)
            session.show(list: try session.list("scheduler.list", params, paging: paging, noun: noun), ListView(noun: noun, columns: [
                .init("ID", "id", .number), .init("DAY", "day"), .init("JOB", "job"), .init("STARTED", "started_at"),
                .init("FINISHED", "finished_at"),
                .init("COUNTS", .text) { run in
                    (run["counts"]?.objectValue?.members ?? []).map { "\($0.key)=\($0.value.displayText ?? "")" }
                        .joined(separator: " ")
                },
                .init("ERROR", "error"),
            ]))
        }
    }
}
