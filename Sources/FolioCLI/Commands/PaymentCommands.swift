import ArgumentParser
import FolioWire

/// `folio payment ...`: payments received, their allocation to invoices and refunds.
struct PaymentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment", abstract: "Record, list, show, allocate and refund payments.",
        subcommands: [Record.self, List.self, Show.self, Allocate.self, Refund.self])

    static let noun = Noun("payment")
    static let listView = ListView(noun: noun, columns: [
        .init("ID", "id", .number), .init("RECEIVED", "received_on"), .init("CUSTOMER", "customer_name"),
        .init("METHOD", "method"), .init("REFERENCE", "reference"), .init("CURRENCY", "currency", .currency),
        .init("AMOUNT", "amount", .money), .init("UNAPPLIED", "unapplied", .money),
        .init("REFUNDED", "refunded", .money),
    ])

    /// `folio payment record --customer --amount --method [...]`: records a payment received.
    struct Record: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a payment received, optionally allocating it to invoices.",
            discussion: """
                Give each allocation with --allocate "INVOICE:AMOUNT" (INVOICE: the invoice's id, digits, or its \
                number). Prints the payment, its allocations and any discrepancies found (over- or underpayments, \
                other currencies, ...), which also stay open in `folio discrepancy list`.
                """)
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("The paying customer's id.", valueName: "id")) var customer: Int64
        @Option(help: ArgumentHelp("Amount received, a decimal such as 120.50.", valueName: "amount")) var amount: String
        @Option(help: ArgumentHelp("bank_transfer, card, cash, cheque or other.", valueName: "method")) var method: String
        @Option(help: ArgumentHelp("Date received (default: today, local time).", valueName: "yyyy-mm-dd"))
        var date: String?
        @Option(help: ArgumentHelp("Bank reference or remittance text.", valueName: "text")) var reference: String?
        @Option(help: ArgumentHelp("Name of the payer, if not the customer.", valueName: "name")) var payer: String?
        @Option(help: ArgumentHelp("Currency (default: the tenant's).", valueName: "code")) var currency: String?
        @OptionGroup var allocation: AllocationOptions
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = [
                "customer_id": JSON(customer), "amount": .string(amount), "received_on": .string(date ?? Platform.today()),
                "method": .string(method),
            ]
            params.set("reference", reference)
            params.set("payer", payer)
            params.set("currency", currency)
            params.set("allocations", allocation.json)
            session.show(try session.callInTenant("payment.record", params, idempotency: idempotency),
                         PaymentView.payment)
        }
    }

    /// `folio payment list [--customer] [--from] [--to]`: payments with totals per currency.
    struct List: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "List payments.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Option(help: ArgumentHelp("Only this customer's payments.", valueName: "id")) var customer: Int64?
        @Option(help: ArgumentHelp("Received on or after this date.", valueName: "yyyy-mm-dd")) var from: String?
        @Option(help: ArgumentHelp("Received on or before this date.", valueName: "yyyy-mm-dd")) var to: String?
        @OptionGroup var paging: ListOptions

        func run(in session: Session) throws {
            var params = JSONObject()
            params.set("customer_id", customer)
            params.set("received_from", from)
            params.set("received_to", to)
            session.show(list: try session.list("payment.list", params, paging: paging, noun: noun), listView)
        }
    }

    /// `folio payment show ID`: the payment with its allocations.
    struct Show: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Show a payment with its allocations.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The payment's id.") var id: Int64

        func run(in session: Session) throws {
            session.show(try session.callInTenant("payment.get", ["id": JSON(id)]), PaymentView.payment)
        }
    }

    /// `folio payment allocate ID --allocate INVOICE:AMOUNT...`: applies unapplied money to invoices.
    struct Allocate: FolioCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allocate a payment's unapplied amount to invoices.",
            discussion: "Give each allocation with --allocate \"INVOICE:AMOUNT\" (invoice id, digits, or number).")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The payment's id.") var id: Int64
        @Option(name: .customLong("allocate"), help: AllocationOptions.help, transform: AllocationSpec.parse)
        var allocations: [AllocationSpec]
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            let params: JSONObject = ["payment_id": JSON(id), "allocations": AllocationSpec.json(allocations)]
            session.show(try session.callInTenant("payment.allocate", params, idempotency: idempotency),
                         PaymentView.payment)
        }
    }

    /// `folio payment refund ID --reason [--amount] [--date]`: pays money back.
    struct Refund: FolioCommand {
        static let configuration = CommandConfiguration(abstract: "Refund a payment, in full or in part.")
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The payment's id.") var id: Int64
        @Option(help: ArgumentHelp("Why it is refunded.", valueName: "text")) var reason: String
        @Option(help: ArgumentHelp("Amount to refund (default: all not yet refunded).", valueName: "amount"))
        var amount: String?
        @Option(help: ArgumentHelp("Refund date (default: today).", valueName: "yyyy-mm-dd")) var date: String?
        @OptionGroup var idempotency: IdempotencyOptions

        func run(in session: Session) throws {
            var params: JSONObject = ["payment_id": JSON(id), "reason": .string(reason)]
            params.set("amount", amount)
            params.set("refunded_on", date)
            session.show(try session.callInTenant("payment.refund", params, idempotency: idempotency),
                         PaymentView.payment)
        }
    }
}
