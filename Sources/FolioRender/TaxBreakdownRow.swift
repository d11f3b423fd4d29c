import FolioText
import FolioWire

/// The tax of one rate, from `tax_breakdown`.
public struct TaxBreakdownRow: Sendable, Equatable {
    public var code: String?
    public var percent: String?
    public var taxable: String?
    public var tax: String

    init(_ json: JSON) {
        code = json["code"].displayText
        percent = json["percent"].displayText
        taxable = json["taxable"].displayText
        tax = json["tax"].displayText ?? ""
    }

    /// E.g. `"Tax VAT19 19% on 100.00"`; `currency` is printed with the taxable amount.
    func label(currency: String) -> String {
        var parts = ["Tax"]
        if let code { parts.append(code) }
        if let percent { parts.append(percent + "%") }
        if let taxable { parts.append("on " + Money.format(taxable, currency: currency)) }
        return parts.joined(separator: " ")
    }
}
