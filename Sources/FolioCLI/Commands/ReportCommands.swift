import ArgumentParser
import FolioWire

/// `folio report ...`: the tenant's receivables, sales and tax figures as tables or CSV.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Aging, outstanding, statement, sales, tax and DSO reports.",
        discussion: "Each prints aligned tables with a totals row; --csv prints the main table as CSV instead.",
        subcommands: [Aging.self, Outstanding.self, Statement.self, Sales.self, Tax.self, DSO.self])

    /// `folio report aging [--as-of]`: open balances per customer by days past due.
    struct Aging: ReportSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Open balances per customer, by days past the due date.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Balances as of this date (default: today).", valueName: "yyyy-mm-dd"))
        var asOf: String?
        @OptionGroup var format: ReportFormatOptions

        static let view = ReportView(main: ListView(noun: Noun("customer"), columns: [
            .init("ID", "customer_id", .number), .init("CUSTOMER", "name"), .init("CURRENCY", "currency", .currency),
            .init("CURRENT", "current", .money), .init("1-30", "d1_30", .money), .init("31-60", "d31_60", .money),
            .init("61-90", "d61_90", .money), .init("90+", "d90_plus", .money), .init("TOTAL", "total", .money),
        ]))

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("as_of", asOf)
            try session.report("report.aging", params, Self.view, format: format)
        }
    }

    /// `folio report outstanding [--customer] [--as-of]`: unpaid invoices.
    struct Outstanding: ReportSubcommand {
        static let configuration = CommandConfiguration(abstract: "Invoices with a balance still due.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only this customer's.", valueName: "id")) var customer: Int64?
        @Option(help: ArgumentHelp("Balances as of this date (default: today).", valueName: "yyyy-mm-dd"))
        var asOf: String?
        @OptionGroup var format: ReportFormatOptions

        /// One row per invoice, under its customer's name.
        static let view = ReportView(main: ListView(noun: InvoiceCommand.noun, columns: [
            .init("CUSTOMER", "name"), .init("INVOICE", "number"), .init("ISSUED", "issue_date"),
            .init("DUE", "due_date"), .init("DAYS OVERDUE", "days_overdue", .number),
            .init("CURRENCY", "currency", .currency), .init("TOTAL", "total", .money),
            .init("BALANCE DUE", "balance_due", .money),
        ]), nested: "invoices")

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("customer_id", customer)
            params.set("as_of", asOf)
            try session.report("report.outstanding", params, Self.view, format: format)
        }
    }

    /// `folio report statement --customer --from --to`: a customer's account over a period.
    struct Statement: ReportSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "A customer's statement of account: invoices, credits and payments over a period.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("The customer's id.", valueName: "id")) var customer: Int64
        @OptionGroup var period: PeriodOptions
        @OptionGroup var format: ReportFormatOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["customer_id": JSON(customer)]
            period.apply(to: &params)
            try session.report("report.statement", params, ReportView(), format: format)
        }
    }

    /// `folio report sales --from --to --group-by`: invoiced sales by period, customer or item.
    struct Sales: ReportSubcommand {
        static let configuration = CommandConfiguration(abstract: "Sales over a period, grouped.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var period: PeriodOptions
        @Option(help: ArgumentHelp("day, month, customer or item.", valueName: "group")) var groupBy: String
        @OptionGroup var format: ReportFormatOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            period.apply(to: &params)
            params["group_by"] = .string(groupBy)
            try session.report("report.sales", params, ReportView(), format: format)
        }
    }

    /// `folio report tax --from --to`: tax charged per rate.
    struct Tax: ReportSubcommand {
        static let configuration = CommandConfiguration(abstract: "Tax charged over a period, per tax rate.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var period: PeriodOptions
        @OptionGroup var format: ReportFormatOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            period.apply(to: &params)
            try session.report("report.tax", params, ReportView(), format: format)
        }
    }

    /// `folio report dso [--as-of] [--days]`: days sales outstanding.
    struct DSO: ReportSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "dso", abstract: "Days sales outstanding: how long customers take to pay.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("As of this date (default: today).", valueName: "yyyy-mm-dd")) var asOf: String?
        @Option(help: ArgumentHelp("Length of the sales period looked back on, 1-3650.", valueName: "n")) var days: Int?
        @OptionGroup var format: ReportFormatOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("as_of", asOf)
            params.set("days", days)
            try session.report("report.dso", params, ReportView(), format: format)
        }
    }
}

/// A report command: it prints text, CSV (`--csv`) or JSON (`--json`).
protocol ReportSubcommand: FolioCommand {
    var format: ReportFormatOptions { get }
}

extension ReportSubcommand {
    func validateOptions() throws {
        try format.check(against: global)
    }
}

extension Session {
    /// Calls a report method and prints its result as text, CSV or JSON.
    func report(_ method: String, _ params: JSONObject, _ view: ReportView, format: ReportFormatOptions) throws {
        show(report: try callInTenant(method, params), view, format: format)
    }
}
