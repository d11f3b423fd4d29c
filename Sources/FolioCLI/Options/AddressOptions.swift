import ArgumentParser
import FolioWire

/// Which address a group of address options fills: its option prefix and param name.
protocol AddressKind {
    /// `billing` gives `--billing-line1`, `--billing-city`, ...
    static var optionPrefix: String { get }
    /// The param holding the address object.
    static var field: String { get }
}

/// A customer's billing address.
enum BillingAddress: AddressKind {
    static let optionPrefix = "billing"
    static let field = "billing_address"
}

/// A customer's shipping address.
enum ShippingAddress: AddressKind {
    static let optionPrefix = "shipping"
    static let field = "shipping_address"
}

/// The tenant's own postal address.
enum TenantAddress: AddressKind {
    static let optionPrefix = "address"
    static let field = "address"
}

/// `--PREFIX-line1 ... --PREFIX-country`: the parts of a postal address. Parts given
/// are merged into the current address (an empty value removes a part), because the
/// server replaces an address as a whole.
struct AddressOptions<Kind: AddressKind>: ParsableArguments {
    @Option(name: .customLong("\(Kind.optionPrefix)-line1"), help: ArgumentHelp("First address line.", valueName: "text"))
    var line1: String?
    @Option(name: .customLong("\(Kind.optionPrefix)-line2"), help: ArgumentHelp("Second address line.", valueName: "text"))
    var line2: String?
    @Option(name: .customLong("\(Kind.optionPrefix)-city"), help: ArgumentHelp("City.", valueName: "text"))
    var city: String?
    @Option(name: .customLong("\(Kind.optionPrefix)-region"), help: ArgumentHelp("Region or state.", valueName: "text"))
    var region: String?
    @Option(name: .customLong("\(Kind.optionPrefix)-postal-code"), help: ArgumentHelp("Postal code.", valueName: "text"))
    var postalCode: String?
    @Option(name: .customLong("\(Kind.optionPrefix)-country"), help: ArgumentHelp("Country.", valueName: "text"))
    var country: String?

    private var given: [(key: String, value: String)] {
        [("line1", line1), ("line2", line2), ("city", city), ("region", region), ("postal_code", postalCode),
         ("country", country)].compactMap { part in part.1.map { (key: part.0, value: $0) } }
    }

    /// Whether any part was given (an edit then needs the current address to merge into).
    var isGiven: Bool { !given.isEmpty }

    /// Sets the address param when parts were given: `current` (the stored address, if
    /// any) with those parts replaced; null when no part is left.
    func apply(to params: inout JSONObject, current: JSON? = nil) {
        guard isGiven else { return }
        var address = current?.objectValue ?? [:]
        for part in given {
            address[part.key] = part.value.isEmpty ? nil : .string(part.value)
        }
        address = JSONObject(address.members.filter { $0.value != .null })
        params[Kind.field] = address.count == 0 ? .null : .object(address)
    }
}
