import FolioDomain
import FolioWire

/// An invoice or credit note as EN 16931 sees it, read from the JSON results Folio already
/// produces (`invoice.get` / `credit_note.get`, `tenant.get`, `customer.get`) and checked:
/// `init` throws `EInvoiceError` naming the field when the document could not be valid.
public struct EInvoiceInput: Sendable {
    /// A postal address (BG-5, BG-8, BG-15).
    struct Address: Sendable {
        var line1, line2, city, postalCode, region: String?
        var country: String
    }

    /// A seller or buyer (BG-4, BG-7).
    struct Party: Sendable {
        var name: String
        var address: Address
        var vatID: String?
        var registrationID: String?
        var endpoint: (scheme: String, id: String)?
        var email: String?
        var phone: String?
    }

    /// One VAT category and rate of the VAT breakdown (BG-23).
    struct VATGroup: Sendable {
        var category: String
        var percent: ExactDecimal
        var taxable: ExactDecimal
        var tax: ExactDecimal
        var exemptionReason: String?
    }

    /// VAT category and rate of a line, an allowance or a charge.
    struct VAT: Sendable {
        var category: String
        var percent: ExactDecimal
    }

    /// An invoice line (BG-25) with its discount (BG-27).
    struct Line: Sendable {
        var id: String
        var name: String
        var quantity: String
        var unit: String
        var unitPrice: String
        var net: ExactDecimal
        var discount: ExactDecimal
        var discountPercent: String?
        var discountReason: String?
        var vat: VAT
    }

    /// A document-level allowance (BG-20) or charge (BG-21).
    struct Adjustment: Sendable {
        var isCharge: Bool
        var amount: ExactDecimal
        var percent: String?
        var base: ExactDecimal?
        var reason: String
        var vat: VAT
    }

    let isCreditNote: Bool
    let number: String
    let issueDate: String
    let dueDate: String?
    let currency: String
    let note: String?
    let poNumber: String?
    let deliveryDate: String?
    let period: (start: String, end: String)?
    let paymentTerms: String?
    let invoiceReference: (number: String, issueDate: String?)?
    let seller: Party
    let buyer: Party
    let deliverTo: Address?
    let account: (iban: String, bic: String?, name: String?)?
    let lines: [Line]
    let adjustments: [Adjustment]
    let vatGroups: [VATGroup]
    let lineTotal, allowanceTotal, chargeTotal, taxExclusive, taxTotal, taxInclusive: ExactDecimal

    /// `extras` is `einvoice_extras(document)`: payment terms text and the credited invoice's date.
    public init(document: JSON, tenant: JSON, customer: JSON, extras: JSON) throws {
        isCreditNote = document["invoice_id"] != nil && document["reason"] != nil
        if !isCreditNote && document["status"]?.stringValue == "draft" {
            throw EInvoiceError(field: "id", "a draft is not an invoice yet: issue it before rendering it as an e-invoice")
        }
        guard let number = document["number"]?.stringValue, let issueDate = document["issue_date"]?.stringValue else {
            throw EInvoiceError(field: "id", "the document has no number or issue date yet")
        }
        self.number = number
        self.issueDate = issueDate
        currency = document["currency"]?.stringValue ?? tenant["currency"]?.stringValue ?? ""
        dueDate = isCreditNote ? nil : document["due_date"]?.stringValue
        note = isCreditNote ? document["reason"]?.stringValue : document["notes"]?.stringValue
        poNumber = document["po_number"]?.stringValue
        deliveryDate = document["delivery_date"]?.stringValue
        if let start = document["period_start"]?.stringValue, let end = document["period_end"]?.stringValue {
            period = (start, end)
        } else {
            period = nil
        }
        paymentTerms = document["payment_terms_text"]?.stringValue ?? extras["payment_terms_text"]?.stringValue
        invoiceReference = isCreditNote
            ? document["invoice_number"]?.stringValue.map { ($0, extras["invoice_issue_date"]?.stringValue) } : nil

        // VAT categories come from the document's own breakdown (fixed when it was issued).
        var categories: [String: (category: String, reason: String?)] = [:]
        func key(_ code: String?, _ percent: ExactDecimal) -> String { (code ?? "") + "|" + percent.description }
        func vat(_ code: String?, _ percent: String?) -> VAT {
            let p = EInvoiceAmount.parse(percent)
            return VAT(category: categories[key(code, p)]?.category ?? "Z", percent: p)
        }
        var groups: [VATGroup] = []
        for entry in document["tax_breakdown"]?.arrayValue ?? [] {
            let percent = EInvoiceAmount.parse(entry["percent"]?.stringValue)
            let category = entry["category"]?.stringValue ?? "Z"
            // Only the exempting categories carry a reason (BR-S-10, BR-Z-10, BR-AF-10, BR-AG-10).
            let reason = Self.exempting.contains(category) ? entry["exemption_reason"]?.stringValue : nil
            categories[key(entry["code"]?.stringValue, percent)] = (category, reason)
            let taxable = EInvoiceAmount.parse(entry["taxable"]?.stringValue)
            let tax = EInvoiceAmount.parse(entry["tax"]?.stringValue)
            // BR-S-08 and friends: one breakdown entry per category and rate.
            if let k = groups.firstIndex(where: { $0.category == category && $0.percent == percent }) {
                groups[k].taxable = groups[k].taxable + taxable
                groups[k].tax = groups[k].tax + tax
                groups[k].exemptionReason = groups[k].exemptionReason ?? reason
            } else {
                groups.append(VATGroup(category: category, percent: percent, taxable: taxable, tax: tax, exemptionReason: reason))
            }
        }
        vatGroups = groups
        lines = (document["lines"]?.arrayValue ?? []).map { line in
            Line(id: line["line_no"]?.int64Value.map(String.init) ?? "1",
                 name: line["description"]?.stringValue ?? "",
                 quantity: line["qty"]?.stringValue ?? "1",
                 unit: line["unit"]?.stringValue ?? "C62",
                 unitPrice: line["unit_price"]?.stringValue ?? "0",
                 net: EInvoiceAmount.parse(line["amount"]?.stringValue),
                 discount: EInvoiceAmount.parse(line["discount_amount"]?.stringValue),
                 discountPercent: line["discount_percent"]?.stringValue,
                 discountReason: line["discount_reason"]?.stringValue,
                 vat: vat(line["tax_rate"]?.stringValue, line["tax_percent"]?.stringValue))
        }
        let allowances = (document["allowances"]?.arrayValue ?? []).map { ($0, false) }
        let charges = (document["charges"]?.arrayValue ?? []).map { ($0, true) }
        adjustments = (allowances + charges).map { json, isCharge in
            Adjustment(isCharge: isCharge, amount: EInvoiceAmount.parse(json["amount"]?.stringValue),
                       percent: json["percent"]?.stringValue, base: json["base"]?.stringValue.flatMap { ExactDecimal($0) },
                       reason: json["reason"]?.stringValue ?? (isCharge ? "Charge" : "Allowance"),
                       vat: vat(json["tax_rate"]?.stringValue, json["tax_percent"]?.stringValue))
        }
        taxExclusive = EInvoiceAmount.parse(document["subtotal"]?.stringValue)
        taxTotal = EInvoiceAmount.parse(document["tax_total"]?.stringValue)
        taxInclusive = EInvoiceAmount.parse(document["total"]?.stringValue)
        allowanceTotal = EInvoiceAmount.parse(document["allowance_total"]?.stringValue)
        chargeTotal = EInvoiceAmount.parse(document["charge_total"]?.stringValue)
        lineTotal = document["line_total"]?.stringValue.flatMap { ExactDecimal($0) } ?? taxExclusive

        // Seller (the tenant) and buyer (the customer).
        let sellerAddress = try Self.address(tenant["address"], field: "tenant.address")
        let buyerAddress = try Self.address(customer["billing_address"], field: "billing_address")
        seller = Party(name: tenant["legal_name"]?.stringValue ?? tenant["name"]?.stringValue ?? "",
                       address: sellerAddress, vatID: tenant["tax_id"]?.stringValue,
                       registrationID: tenant["registration_id"]?.stringValue,
                       endpoint: Self.endpoint(tenant["electronic_address"]),
                       email: tenant["email"]?.stringValue, phone: tenant["phone"]?.stringValue)
        // A customer tax id without a country prefix is no VAT id (e.g. a US EIN): it is left out.
        let buyerTaxID = customer["tax_id"]?.stringValue
        buyer = Party(name: customer["name"]?.stringValue ?? document["customer_name"]?.stringValue ?? "",
                      address: buyerAddress, vatID: buyerTaxID.flatMap { Self.hasCountryPrefix($0) ? $0 : nil },
                      registrationID: nil,
                      endpoint: Self.endpoint(customer["electronic_address"]),
                      email: customer["email"]?.stringValue, phone: customer["phone"]?.stringValue)
        if let iban = tenant["payment_account"]?["iban"]?.stringValue {
            account = (iban, tenant["payment_account"]?["bic"]?.stringValue, tenant["payment_account"]?["name"]?.stringValue)
        } else {
            account = nil
        }
        let used = Set(groups.map(\.category))
        // A shipping address is the deliver-to address (BG-15), which needs its country too.
        var deliverTo: Address?
        if let shipping = customer["shipping_address"], let fields = shipping.objectValue, fields.count > 0 {
            deliverTo = try Self.address(shipping, field: "shipping_address")
        }
        if used.contains("K") && deliverTo == nil {
            deliverTo = buyerAddress  // BR-IC-12: intra-community supplies name the deliver-to country.
        }
        self.deliverTo = deliverTo
        try check(categories: used)
    }

    /// The category rules a document must meet that depend on the parties (BR-S-02 ... BR-O-14).
    private func check(categories: Set<String>) throws {
        if lines.isEmpty { throw EInvoiceError(field: "lines", "the document has no lines") }
        if categories.contains("O") {
            if categories.count > 1 {
                throw EInvoiceError(field: "lines", "a document with category O (not subject to VAT) may not hold other VAT categories (BR-O-11)")
            }
            if seller.registrationID == nil {
                throw EInvoiceError(field: "tenant.registration_id", "set the seller's registration_id: a document outside the scope of VAT carries no VAT id (BR-CO-26)")
            }
            return
        }
        guard let vatID = seller.vatID else {
            throw EInvoiceError(field: "tenant.tax_id", "set the seller's VAT id (tax_id): VAT categories \(categories.sorted().joined(separator: ", ")) need it")
        }
        guard Self.hasCountryPrefix(vatID) else {
            throw EInvoiceError(field: "tenant.tax_id", "the seller's VAT id must start with its country code, e.g. DE123456789 (BR-CO-9)")
        }
        if !categories.isDisjoint(with: ["AE", "K"]) && buyer.vatID == nil {
            throw EInvoiceError(field: "tax_id", "reverse charge and intra-community supplies need the customer's VAT id "
                                + "with its country code, e.g. FR40303265045 (customer tax_id)")
        }
        if categories.contains("K") && deliveryDate == nil && period == nil {
            throw EInvoiceError(field: "delivery_date", "intra-community supplies need a delivery_date or a period (BR-IC-11)")
        }
    }

    private static func hasCountryPrefix(_ id: String) -> Bool {
        let scalars = Array(id.unicodeScalars.prefix(2))
        return scalars.count == 2 && scalars.allSatisfy { ("A"..."Z").contains($0) }
    }

    private static func address(_ json: JSON?, field: String) throws -> Address {
        guard let country = json?["country"]?.stringValue?.uppercased() else {
            throw EInvoiceError(field: field + ".country", "\(field).country is required for an e-invoice (ISO 3166-1 alpha-2 code)")
        }
        guard country.unicodeScalars.count == 2, country.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }) else {
            throw EInvoiceError(field: field + ".country", "\(field).country must be an ISO 3166-1 alpha-2 code such as DE")
        }
        return Address(line1: json?["line1"]?.stringValue, line2: json?["line2"]?.stringValue,
                       city: json?["city"]?.stringValue, postalCode: json?["postal_code"]?.stringValue,
                       region: json?["region"]?.stringValue, country: country)
    }

    private static func endpoint(_ json: JSON?) -> (scheme: String, id: String)? {
        guard let scheme = json?["scheme"]?.stringValue, let id = json?["id"]?.stringValue else { return nil }
        return (scheme, id)
    }

    /// Written amount (two decimals at most, see `EInvoiceAmount`).
    func amount(_ value: ExactDecimal, _ field: String) throws -> String {
        try EInvoiceAmount.text(value, field: field)
    }

    /// Percent as written in the documents ("19", "7.5").
    static func percentText(_ value: ExactDecimal) -> String {
        var text = value.description
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// The categories that need an exemption reason (and the only ones that may have one).
    static let exempting: Set<String> = ["E", "AE", "K", "G", "O"]

    /// Whether the category's rate is written (not for O: BR-O-05).
    static func hasRate(_ category: String) -> Bool { category != "O" }
}
