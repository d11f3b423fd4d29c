import ArgumentParser
import FolioWire

/// The optional draft fields, shared by `invoice new` and `invoice edit`. An empty
/// value clears notes, PO number or terms.
struct InvoiceFieldOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Currency (default: the tenant's).", valueName: "code"))
    var currency: String?
    @Option(help: ArgumentHelp("Notes printed on the invoice.", valueName: "text"))
    var notes: String?
    @Option(help: ArgumentHelp("Payment terms in days (default: the customer's, then the tenant's).", valueName: "days"))
    var terms: Days?
    @Option(help: ArgumentHelp("The customer's purchase order number.", valueName: "po"))
    var po: String?
    @Option(help: ArgumentHelp("Delivery date (empty clears it).", valueName: "yyyy-mm-dd"))
    var deliveryDate: String?
    @Option(help: ArgumentHelp("Service period, both days included (empty clears it).", valueName: "yyyy-mm-dd:yyyy-mm-dd"))
    var period: String?
    @Option(
        help: ArgumentHelp("A document-level allowance: an amount or N% of the lines with the tax rate (repeatable).",
                           valueName: "amount|N%:reason[:tax]"),
        transform: LineSpec.adjustment)
    var allowance: [JSON] = []
    @Option(
        help: ArgumentHelp("A document-level charge (shipping, handling...), like --allowance (repeatable).",
                           valueName: "amount|N%:reason[:tax]"),
        transform: LineSpec.adjustment)
    var charge: [JSON] = []

    func apply(to params: inout JSONObject) {
        params.set("currency", currency)
        params.set("notes", clearable: notes)
        params.set("payment_terms_days", terms)
        params.set("po_number", clearable: po)
        params.set("delivery_date", clearable: deliveryDate)
        if !allowance.isEmpty { params["allowances"] = .array(allowance) }
        if !charge.isEmpty { params["charges"] = .array(charge) }
        if let period {
            let ends = period.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            params.set("period_start", clearable: ends.first ?? "")
            params.set("period_end", clearable: ends.count > 1 ? ends[1] : "")
        }
    }
}
