import FolioText
import ArgumentParser
import FolioWire

/// `folio reconcile ...`: matching a bank statement's lines to invoices, then recording
/// the matches as payments.
struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile", abstract: "Match a bank statement to invoices and record the payments.",
        subcommands: [Import.self, Confirm.self])

    /// `folio reconcile import FILE.csv [...]`: uploads a statement; prints the proposed matches.
    struct Import: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a bank statement (CSV) and show the matches proposed for its lines.",
            discussion: """
                Nothing is recorded yet: review the matches, then record them with \
                `folio reconcile confirm STATEMENT_ID [--line ID]...`.
                """)
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: ArgumentHelp("The statement, CSV with a header row ('-': standard input).",
                                     valueName: "file.csv"))
        var file: String
        @Option(help: ArgumentHelp("Header of the booking date column.", valueName: "header")) var dateColumn: String?
        @Option(help: ArgumentHelp("Header of the amount column.", valueName: "header")) var amountColumn: String?
        @Option(help: ArgumentHelp("Header of the reference column.", valueName: "header")) var referenceColumn: String?
        @Option(help: ArgumentHelp("Header of the payer column.", valueName: "header")) var payerColumn: String?
        @Option(help: ArgumentHelp("YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY.", valueName: "format")) var dateFormat: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["csv": .string(try InputFile.text(file))]
            var columns = JSONObject()
            columns.set("date", dateColumn)
            columns.set("amount", amountColumn)
            columns.set("reference", referenceColumn)
            columns.set("payer", payerColumn)
            if columns.count > 0 { params["columns"] = .object(columns) }
            params.set("date_format", dateFormat)
            session.show(try session.callInTenant("reconcile.import", params, idempotency: idempotency), Self.statement)
        }

        static let linesView = ListView(noun: Noun("statement line"), columns: [
            .init("LINE", "id", .number), .init("ROW", "row", .number), .init("DATE", "date"),
            .init("AMOUNT", "amount", .money), .init("REFERENCE", "reference"), .init("PAYER", "payer"),
            .init("MATCH", text: match), .init("INVOICE", "number"), .init("CUSTOMER", "customer_name"),
            .init("STATUS", "status"), .init("PAYMENT", "payment_id", .number),
        ])

        /// "unmatched (outgoing)": the match proposed and why, when the server says.
        static func match(_ line: JSON) -> String {
            let match = line["match"]?.displayText ?? ""
            let reason = line["reason"]?.displayText ?? ""
            return reason.isEmpty ? match : "\(match) (\(reason))"
        }

        /// The proposed matches, the count of each kind of match, and how to confirm them.
        static func statement(_ result: JSON) -> String {
            let id = result.shown("statement_id")
            let currency = result["currency"]?.displayText ?? ""
            return [
                "Statement \(id)" + (currency.isEmpty ? "" : " (\(currency))"),
                linesView.render(result["lines"]?.arrayValue ?? []),
                "Matches\n" + KeyValueBlock(result["counts"] ?? [:]).render(),
                "Record the matches with: folio reconcile confirm \(id) [--line LINE]...",
            ].joined(separator: "\n\n")
        }
    }

    /// `folio reconcile confirm STATEMENT_ID [--line ID]...`: records the matches as payments.
    struct Confirm: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record an imported statement's matched lines as payments.",
            discussion: "Without --line, the server confirms every line it matched.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: ArgumentHelp("The id `reconcile import` printed.", valueName: "statement-id"))
        var statement: Int64
        @Option(name: .customLong("line"), help: ArgumentHelp("Confirm only this line (repeatable).", valueName: "id"))
        var lines: [Int64] = []
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["statement_id": JSON(statement)]
            if !lines.isEmpty { params["line_ids"] = .array(lines.map { JSON($0) }) }
            let result = try session.callInTenant("reconcile.confirm", params, idempotency: idempotency)
            session.show(result) { result in
                let counts = "confirmed \(result.shown("confirmed")), skipped \(result.shown("skipped"))"
                return PaymentCommand.listView.render(result["payments"]?.arrayValue ?? []) + "\n\n" + counts
            }
        }
    }
}
