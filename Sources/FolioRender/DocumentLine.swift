import FolioText
import FolioWire

/// One row of the lines table. Money and quantities stay the exact strings of the results.
public struct DocumentLine: Sendable, Equatable {
    public var description: String
    /// The item number (sku), shown on delivery notes.
    public var itemNumber: String
    public var quantity: String
    public var unitPrice: String
    /// The tax shown in the Tax column: `"19%"`, or the rate's code when no percent is known.
    public var taxLabel: String
    public var amount: String
    public var tax: String

    init(_ json: JSON) {
        description = json["description"].displayText ?? ""
        itemNumber = json["sku"].displayText ?? ""
        // A discount is shown with the line it reduces (the amount is already net of it).
        if let discount = json["discount_amount"].displayText {
            let percent = json["discount_percent"].displayText.map { " " + $0 + "%" } ?? ""
            let reason = json["discount_reason"].displayText.map { ", " + $0 } ?? ""
            description += " (discount\(percent): -\(discount)\(reason))"
        }
        quantity = json["qty"].displayText ?? ""
        if let unit = json["unit"].displayText, unit != "C62" { quantity += " " + unit }
        unitPrice = json["unit_price"].displayText ?? ""
        if let percent = json["tax_percent"].displayText {
            taxLabel = percent + "%"
        } else {
            taxLabel = json["tax_rate"].displayText ?? ""
        }
        amount = json["amount"].displayText ?? ""
        tax = json["tax"].displayText ?? ""
    }
}
