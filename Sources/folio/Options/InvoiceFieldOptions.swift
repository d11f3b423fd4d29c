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

    func apply(to params: inout JSONObject) {
        params.set("currency", currency)
        params.set("notes", clearable: notes)
        params.set("payment_terms_days", terms)
        params.set("po_number", clearable: po)
    }
}
