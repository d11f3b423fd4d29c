import ArgumentParser
import FolioWire

extension InvoiceCommand {
    /// The invoice and the output file of the commands that write one rendered invoice.
    struct RenderedInvoice: ParsableArguments {
        @Argument(help: referenceHelp) var invoice: DocumentReference
        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The file to write.", valueName: "file"))
        var output: String?

        /// Renders the invoice as `format` (`invoice.render`) into the file or standard output.
        func write(as format: String, in session: Session) throws {
            var params = invoice.params()
            params["format"] = .string(format)
            try session.writeDocument(try session.callInTenant("invoice.render", params), to: output)
        }
    }

    /// `folio invoice pdf ID|NUMBER [-o FILE] [--format pdf|html|text|ubl|cii]`: the rendered document.
    struct Render: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "pdf", abstract: "Render an invoice as PDF (or HTML or text) to a file or standard output.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var target: RenderedInvoice
        @Option(help: ArgumentHelp("pdf (default), html, text, ubl or cii (EN 16931 e-invoices).", valueName: "format"))
        var format: String = "pdf"

        func run(in session: Session) throws { try target.write(as: format, in: session) }
    }

    /// `folio invoice ubl ID|NUMBER [-o FILE]`: the EN 16931 UBL 2.1 e-invoice.
    struct UBL: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "ubl", abstract: "Write an issued invoice as an EN 16931 UBL 2.1 e-invoice (XML).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var target: RenderedInvoice

        func run(in session: Session) throws { try target.write(as: "ubl", in: session) }
    }

    /// `folio invoice cii ID|NUMBER [-o FILE]`: the EN 16931 CII D16B e-invoice.
    struct CII: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "cii", abstract: "Write an issued invoice as an EN 16931 UN/CEFACT CII D16B e-invoice (XML).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @OptionGroup var target: RenderedInvoice

        func run(in session: Session) throws { try target.write(as: "cii", in: session) }
    }

    /// `folio invoice print-batch ID... [-o FILE] [--mark-sent]`: one print-ready PDF.
    struct PrintBatch: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "print-batch",
            abstract: "One PDF of several invoices, each on a new page; optionally mark them sent by post.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The invoices' ids.") var ids: [Int64]
        @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The file to write.", valueName: "file"))
        var output: String?
        @Flag(help: "Mark the invoices sent (by post) once the PDF is written.") var markSent = false

        func run(in session: Session) throws {
            let list: JSONObject = ["ids": .array(ids.map { JSON($0) })]
            try session.writeDocument(try session.callInTenant("invoice.print_batch", list), to: output)
            if markSent { _ = try session.callInTenant("invoice.mark_sent", list) }
        }
    }

    /// `folio invoice send ID|NUMBER [--to ADDR] [--reminder]`: queues the e-mail.
    struct Send: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "E-mail an invoice (PDF attached) through the server's mailer; `folio dispatch list` shows progress.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: referenceHelp) var invoice: DocumentReference
        @Option(help: ArgumentHelp("Recipient (default: the customer's e-mail).", valueName: "address")) var to: String?
        @Flag(help: "Send it as a payment reminder.") var reminder = false
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = invoice.params()
            params.set("to", to)
            if reminder { params["kind"] = "reminder" }
            session.show(try session.callInTenant("invoice.send", params, idempotency: idempotency),
                         leading: ["outbox_id", "status", "recipient"])
        }
    }
}

/// `folio dispatch list`: the e-mail outbox and each delivery attempt.
struct DispatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch", abstract: "Show the e-mail outbox.", subcommands: [List.self])

    static let noun = Noun("message")

    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List queued, sent and failed e-mails.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only this invoice's e-mails.", valueName: "id")) var invoice: Int64?
        @Option(help: ArgumentHelp("queued, sent or failed.", valueName: "status")) var status: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("invoice_id", invoice)
            params.set("status", status)
            session.show(list: try session.list("dispatch.list", params, paging: paging, noun: noun), ListView(noun: noun, columns: [
                .init("ID", "id", .number), .init("INVOICE", "number"), .init("TO", "recipient"), .init("STATUS", "status"),
                .init("ATTEMPTS", "attempts", .number), .init("NEXT ATTEMPT", "next_attempt_at"), .init("SENT", "sent_at"),
                .init("LAST ERROR", "last_error"),
            ]))
        }
    }
}

extension Session {
    /// Writes a `{content_type, data_base64}` result decoded to a file, or to standard output.
    func writeDocument(_ result: JSON, to file: String?) throws {
        guard let bytes = result["data_base64"]?.stringValue.flatMap(Base64.decode) else {
            throw ValidationError("the server sent no document")
        }
        if let file, file != "-" {
            try Platform.writeFile(file, bytes)
            Platform.writeError("wrote \(bytes.count) bytes (\(result["content_type"]?.stringValue ?? "?")) to \(file)\n")
        } else {
            try Platform.writeFile("/dev/stdout", bytes)
        }
    }
}
