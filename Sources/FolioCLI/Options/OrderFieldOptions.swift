import ArgumentParser
import FolioWire

/// The fields of an order that `folio order new` and `folio order edit` set: lines (by sku
/// or item id, in the order given), signature, dates, buyer contact, addresses and notes.
struct OrderFieldOptions: ParsableArguments {
    @Option(name: .customLong("line"),
            help: ArgumentHelp("A line by sku: quantity and optional unit price (repeatable).", valueName: "sku:qty[:price]"),
            transform: LineSpec.sku)
    var lines: [LineSpec] = []
    @Option(name: .customLong("item"),
            help: ArgumentHelp("A line by item id: quantity and optional unit price (repeatable).", valueName: "item-id:qty[:price]"),
            transform: LineSpec.item)
    var items: [LineSpec] = []
    @Option(help: ArgumentHelp("Who signed the purchase order.", valueName: "name")) var signedBy: String?
    @Option(help: ArgumentHelp("When it was signed.", valueName: "yyyy-mm-dd")) var signedOn: String?
    @Option(help: ArgumentHelp("The signature as a PNG image (at most 1 MiB); empty to remove it.", valueName: "file.png"))
    var signature: String?
    @Option(help: ArgumentHelp("The delivery date the buyer asks for.", valueName: "yyyy-mm-dd")) var requestedDelivery: String?
    @Option(help: ArgumentHelp("The buyer's contact person.", valueName: "name")) var buyerName: String?
    @Option(help: ArgumentHelp("The buyer's contact e-mail.", valueName: "address")) var buyerEmail: String?
    @Option(help: ArgumentHelp("The buyer's contact phone.", valueName: "number")) var buyerPhone: String?
    @Option(help: ArgumentHelp("Notes on the order.", valueName: "text")) var notes: String?
    @OptionGroup(title: "Billing address (default: the customer's)") var billing: AddressOptions<BillingAddress>
    @OptionGroup(title: "Shipping address (default: the customer's)") var shipping: AddressOptions<ShippingAddress>

    /// Sets the params of the options given.
    func apply(to params: inout JSONObject) throws {
        if !lines.isEmpty || !items.isEmpty {
            params["lines"] = .array(OptionOrder.merge(lines, named: "line", items, named: "item").map(\.json))
        }
        params.set("signed_by", signedBy)
        params.set("signed_on", signedOn)
        if let signature {
            params["signature_png_base64"] = signature.isEmpty ? .null : .string(Base64.encode(try Platform.readFile(signature)))
        }
        params.set("requested_delivery_date", requestedDelivery)
        let contact = [("name", buyerName), ("email", buyerEmail), ("phone", buyerPhone)]
            .compactMap { part in part.1.map { (key: part.0, value: JSON.string($0)) } }
        if !contact.isEmpty { params["buyer_contact"] = .object(JSONObject(contact)) }
        params.set("notes", notes)
        billing.apply(to: &params)
        shipping.apply(to: &params)
    }
}
