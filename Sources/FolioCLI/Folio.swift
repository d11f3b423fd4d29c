import ArgumentParser

/// `folio`, the command-line client of `foliod`. Every RPC method is reachable, the
/// common ones through dedicated commands and all of them through `folio call`.
public struct Folio: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "folio",
        abstract: "Command-line client of the Folio invoicing server.",
        discussion: """
            Global options may stand anywhere on the command line. Exit status: 0 success, \
            1 the server answered with an error (or audit verify found problems, or an output file \
            could not be written), 2 usage error (or an input file could not be read), 3 the server \
            could not be reached.
            """,
        subcommands: [
            CallCommand.self, PingCommand.self, WhoamiCommand.self,
            TenantCommand.self, CustomerCommand.self, ItemCommand.self, TaxCommand.self,
            InvoiceCommand.self, CreditNoteCommand.self, PaymentCommand.self, DiscrepancyCommand.self,
            ReconcileCommand.self, DisputeCommand.self, ReportCommand.self, ImportCommand.self, ExportCommand.self,
            AuditCommand.self, DispatchCommand.self, BrandingCommand.self,
            OrderCommand.self, DeliveryCommand.self, StockCommand.self,
            SettingsCommand.self, ReminderCommand.self, RecurringCommand.self, SchedulerCommand.self,
        ])

    @OptionGroup var global: GlobalOptions

    public init() {}

    /// Runs the command line and maps every failure to its message and exit status.
    public static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            Termination.exit(for: error)
        }
    }
}
