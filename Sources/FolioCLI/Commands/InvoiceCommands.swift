import ArgumentParser
import FolioWire

/// `folio invoice ...`: drafts, issuing, listing, voiding and crediting invoices.
struct InvoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoice", abstract: "Create, edit, issue, show, list, void, credit, note and delete invoices.",
        subcommands: [New.self, Edit.self, Issue.self, Show.self, List.self, Cancel.self, Credit.self, Note.self,
                      Delete.self, Render.self, UBL.self, CII.self, PrintBatch.self, Send.self, FromOrder.self])

    static let noun = Noun("invoice")
    static let listView = ListView(noun: noun, columns: [
        .init("ID", "id", .number), .init("NUMBER", "number"),
        .init("STATUS", text: DocumentView.status),
        .init("CUSTOMER", "customer_name"), .init("ISSUED", "issue_date"), .init("DUE", "due_date"),
        .init("CURRENCY", "currency", .currency), .init("TOTAL", "total", .money),
        .init("BALANCE", "balance_due", .money),
    ])

    static let referenceHelp = ArgumentHelp("The invoice's id (digits) or number.", valueName: "id|number")

    /// `folio invoice new --customer ID --line/--item ... [--issue]`: creates a draft,
    /// or with --issue creates and issues it in one transaction.
    struct New: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a draft invoice (or, with --issue, an issued one).",
            discussion: """
                Give each line with --line "DESCRIPTION:QTY:UNIT_PRICE[:TAXCODE[:UNIT[:DISCOUNT[:REASON]]]]" or \
                --item "ITEM_ID:QTY[:UNIT_PRICE]"; lines keep the order given. DISCOUNT is an amount or N%.
                """)
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("The customer's id.", valueName: "id")) var customer: Int64
        @OptionGroup var lines: InvoiceLineOptions
        @OptionGroup var fields: InvoiceFieldOptions
        @Flag(help: "Issue it at once: number and due date in the same transaction.") var issue = false
        @Option(help: ArgumentHelp("Issue date with --issue (default: today).", valueName: "yyyy-mm-dd")) var date: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func validate() throws {
            if date != nil, !issue { throw ValidationError("--date needs --issue") }
        }

        func run(in session: Session) throws {
            var params: JSONObject = ["customer_id": JSON(customer), "lines": lines.json ?? .array([])]
            fields.apply(to: &params)
            if issue { params["issue"] = .bool(true) }
            params.set("issue_date", date)
            session.show(try session.callInTenant("invoice.create", params, idempotency: idempotency),
                         DocumentView.invoice)
        }
    }

    /// `folio invoice edit ID [...]`: changes a draft; lines given replace all lines.
    struct Edit: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a draft invoice.",
            discussion: "Lines given (--line, --item) replace all lines; other fields change only when given.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The draft's id.") var id: Int64
        @Option(help: ArgumentHelp("A different customer's id.", valueName: "id")) var customer: Int64?
        @OptionGroup var lines: InvoiceLineOptions
        @OptionGroup var fields: InvoiceFieldOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["id": JSON(id)]
            params.set("customer_id", customer)
            params.set("lines", lines.json)
            fields.apply(to: &params)
            session.show(try session.callInTenant("invoice.update", params, idempotency: idempotency),
                         DocumentView.invoice)
        }
    }

    /// `folio invoice issue ID [--date]`: numbers and issues a draft.
    struct Issue: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a draft: it gets its number and due date.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The draft's id.") var id: Int64
        @Option(help: ArgumentHelp("Issue date (default: today).", valueName: "yyyy-mm-dd")) var date: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["id": JSON(id)]
            params.set("issue_date", date)
            session.show(try session.callInTenant("invoice.issue", params, idempotency: idempotency),
                         DocumentView.invoice)
        }
    }

    /// `folio invoice show ID|NUMBER`: the invoice with lines and totals.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show an invoice with its lines and totals.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: referenceHelp) var invoice: DocumentReference

        func run(in session: Session) throws {
            session.show(try session.callInTenant("invoice.get", invoice.params()), DocumentView.invoice)
        }
    }

    /// `folio invoice list [filters]`: invoices with totals per currency.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List invoices.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("draft, issued, sent, partially_paid, paid or void.", valueName: "status"))
        var status: String?
        @Option(help: ArgumentHelp("Only this customer's invoices.", valueName: "id")) var customer: Int64?
        @Option(help: ArgumentHelp("Only invoices overdue on this date.", valueName: "yyyy-mm-dd"))
        var overdueAsOf: String?
        @Option(help: ArgumentHelp("Issued on or after this date.", valueName: "yyyy-mm-dd")) var from: String?
        @Option(help: ArgumentHelp("Issued on or before this date.", valueName: "yyyy-mm-dd")) var to: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("status", status)
            params.set("customer_id", customer)
            params.set("overdue_as_of", overdueAsOf)
            params.set("issued_from", from)
            params.set("issued_to", to)
            session.show(list: try session.list("invoice.list", params, paging: paging, noun: noun), listView)
        }
    }

    /// `folio invoice void ID|NUMBER --reason`: voids an invoice by a credit note.
    struct Cancel: FolioCommand {
        static let configuration = CommandConfiguration(
            commandName: "void",
            abstract: "Void an issued invoice; prints the credit note that cancels its balance.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: referenceHelp) var invoice: DocumentReference
        @Option(help: ArgumentHelp("Why it is voided.", valueName: "text")) var reason: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = invoice.params()
            params["reason"] = .string(reason)
            session.show(try session.callInTenant("invoice.void", params, idempotency: idempotency),
                         DocumentView.creditNote)
        }
    }

    /// `folio invoice credit ID|NUMBER --reason (--amount | --line ...)`: a partial credit note.
    struct Credit: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a credit note against an invoice, for an amount or for lines.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: referenceHelp) var invoice: DocumentReference
        @Option(help: ArgumentHelp("Why it is credited.", valueName: "text")) var reason: String
        @Option(help: ArgumentHelp("Amount to credit (gross).", valueName: "amount")) var amount: String?
        @Option(
            name: .customLong("line"),
            help: ArgumentHelp("A credited line (repeatable; ':' in the description as '\\:').",
                               valueName: "desc:qty:price[:tax]"),
            transform: LineSpec.described)
        var lines: [LineSpec] = []
        @Option(help: ArgumentHelp("Issue date (default: today).", valueName: "yyyy-mm-dd")) var date: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = invoice.params(idField: "invoice_id", keyField: "invoice_number")
            params["reason"] = .string(reason)
            params.set("amount", amount)
            if !lines.isEmpty { params["lines"] = .array(lines.map(\.json)) }
            params.set("issue_date", date)
            session.show(try session.callInTenant("credit_note.create", params, idempotency: idempotency),
                         DocumentView.creditNote)
        }
    }

    /// `folio invoice note ID|NUMBER TEXT`: adds a note to the invoice's history.
    struct Note: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note to an invoice's history.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: referenceHelp) var invoice: DocumentReference
        @Argument(help: "The note.") var text: String
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params = invoice.params()
            params["text"] = .string(text)
            session.show(try session.callInTenant("invoice.note", params, idempotency: idempotency),
                         DocumentView.invoice)
        }
    }

    /// `folio invoice delete ID`: removes a draft.
    struct Delete: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a draft invoice.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The draft's id.") var id: Int64
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let result = try session.callInTenant("invoice.delete", ["id": JSON(id)], idempotency: idempotency)
            session.show(result) { _ in "deleted draft invoice \(id)" }
        }
    }
}
