import ArgumentParser
import FolioWire

/// The optional item fields, shared by `item add` and `item edit`. An empty value
/// clears a field (an empty tax rate means untaxed).
struct ItemFieldOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Longer description.", valueName: "text"))
    var description: String?
    @Option(help: ArgumentHelp("Tax rate code applied to the item.", valueName: "code"))
    var taxRate: String?
    @Option(help: ArgumentHelp("Quantity in stock.", valueName: "qty"))
    var stock: String?
    @Option(help: ArgumentHelp("Default unit of measure of its lines (UN/ECE Rec 20, e.g. C62, HUR, KGM).", valueName: "code"))
    var unit: String?

    func apply(to params: inout JSONObject) {
        params.set("description", clearable: description)
        params.set("tax_rate", clearable: taxRate)
        params.set("stock_qty", clearable: stock)
        params.set("unit", unit)
    }
}
