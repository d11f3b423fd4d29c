import ArgumentParser
import FolioWire

/// The optional customer fields, shared by `customer add` and `customer edit`.
/// An empty value clears a field.
struct CustomerFieldOptions: ParsableArguments {
    @Option(help: ArgumentHelp("E-mail address.", valueName: "email"))
    var email: String?
    @Option(help: ArgumentHelp("Phone number.", valueName: "phone"))
    var phone: String?
    @Option(help: ArgumentHelp("Payment terms in days (\"\" for the tenant's default).", valueName: "days"))
    var terms: Days?
    @Option(help: ArgumentHelp("Tax id (VAT number).", valueName: "id"))
    var taxId: String?
    @Option(help: ArgumentHelp("Free-form notes.", valueName: "text"))
    var notes: String?
    @Option(help: ArgumentHelp("E-invoicing address as SCHEME:ID, e.g. 0088:4012345000009 (empty clears).", valueName: "scheme:id"))
    var electronicAddress: String?

    @OptionGroup(title: "Billing address") var billing: AddressOptions<BillingAddress>
    @OptionGroup(title: "Shipping address") var shipping: AddressOptions<ShippingAddress>

    /// Whether an address part was given, so an edit must merge into the stored addresses.
    var changesAddress: Bool { billing.isGiven || shipping.isGiven }

    /// Adds the given fields to `params`; address parts are merged into `current`'s addresses.
    func apply(to params: inout JSONObject, current: JSON? = nil) {
        params.set("email", clearable: email)
        params.set("phone", clearable: phone)
        params.set("payment_terms_days", terms)
        params.set("tax_id", clearable: taxId)
        params.set("notes", clearable: notes)
        if let electronicAddress { params["electronic_address"] = ElectronicAddress.json(electronicAddress) }
        billing.apply(to: &params, current: current?[BillingAddress.field])
        shipping.apply(to: &params, current: current?[ShippingAddress.field])
    }
}
