import FolioText
import FolioWire

/// The seller (tenant) or the buyer (customer) as a document shows them.
public struct Party: Sendable, Equatable {
    public var name: String
    public var legalName: String?
    public var address: PostalAddress
    public var shippingAddress: PostalAddress
    public var taxID: String?
    public var email: String?
    public var phone: String?

    public init(name: String, legalName: String? = nil, address: PostalAddress = .init(lines: []),
                shippingAddress: PostalAddress = .init(lines: []), taxID: String? = nil,
                email: String? = nil, phone: String? = nil) {
        self.name = name
        self.legalName = legalName
        self.address = address
        self.shippingAddress = shippingAddress
        self.taxID = taxID
        self.email = email
        self.phone = phone
    }

    /// From a `tenant.get` result.
    init(tenant json: JSON) {
        let name = json["name"].displayText ?? json["legal_name"].displayText ?? json["slug"].displayText ?? ""
        let legal = json["legal_name"].displayText
        self.init(name: name, legalName: legal == name ? nil : legal, address: PostalAddress(json["address"]),
                  taxID: json["tax_id"].displayText, email: json["email"].displayText, phone: json["phone"].displayText)
    }

    /// From a `customer.get` result, falling back to the name the invoice carries.
    init(customer json: JSON?, fallbackName: String?) {
        let json = json ?? .null
        let billing = PostalAddress(json["billing_address"] ?? json["address"])
        let shipping = PostalAddress(json["shipping_address"])
        self.init(name: json["name"].displayText ?? fallbackName ?? "", legalName: json["legal_name"].displayText,
                  address: billing, shippingAddress: shipping, taxID: json["tax_id"].displayText,
                  email: json["email"].displayText, phone: json["phone"].displayText)
    }
}
