import FolioClient
import FolioDomain
import FolioWire
import Testing

/// The contract's rounding rules, checked against amounts computed here with exact decimals.
@Suite(.timeLimit(.minutes(5))) struct RoundingTests {
    let server = ServerProcess.shared

    struct Case: Sendable, CustomTestStringConvertible {
        var currency: String
        /// The currency's ISO 4217 minor unit (the server's own table is what is tested).
        var decimals: Int
        var qty: String
        var unitPrice: String
        var percent: String
        var testDescription: String { "\(qty) x \(unitPrice) \(currency) at \(percent)%" }
    }

    static let cases: [Case] = [
        Case(currency: "EUR", decimals: 2, qty: "1", unitPrice: "0.005", percent: "0"),      // half a cent rounds up
        Case(currency: "EUR", decimals: 2, qty: "3", unitPrice: "0.333333", percent: "20"),
        Case(currency: "EUR", decimals: 2, qty: "0.125", unitPrice: "0.1", percent: "19"),
        Case(currency: "EUR", decimals: 2, qty: "2.5", unitPrice: "0.21", percent: "7"),    // 0.525 -> 0.53, tax 0.0371 -> 0.04
        Case(currency: "EUR", decimals: 2, qty: "1", unitPrice: "0.35", percent: "10"),     // tax 0.035 -> 0.04
        Case(currency: "JPY", decimals: 0, qty: "3", unitPrice: "333.5", percent: "10"),    // 1000.5 -> 1001, tax 100.1 -> 100
        Case(currency: "JPY", decimals: 0, qty: "1", unitPrice: "0.5", percent: "8"),       // 0.5 -> 1
        Case(currency: "BHD", decimals: 3, qty: "1", unitPrice: "1.2345", percent: "5"),    // 1.235, tax 0.06175 -> 0.062
        Case(currency: "BHD", decimals: 3, qty: "7", unitPrice: "0.0005", percent: "10"),   // 0.0035 -> 0.004
        Case(currency: "USD", decimals: 2, qty: "999999.999", unitPrice: "9999.999999", percent: "12.5"),
    ]

    @Test(arguments: cases)
    func lineRounding(_ c: Case) throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("rnd", currency: c.currency))
        try inv.taxRate("T", c.percent)
        let draft = try inv.draft(customer: try inv.customer(), [("Line", c.qty, c.unitPrice, "T")])
        let amount = (ExactDecimal(c.qty)! * ExactDecimal(c.unitPrice)!).rounded(to: c.decimals)
        let tax = amount.percent(ExactDecimal(c.percent)!).rounded(to: c.decimals)
        #expect(draft["subtotal"] == .string(amount.description))
        #expect(draft["tax_total"] == .string(tax.description))
        #expect(draft["total"] == .string((amount + tax).description))
        #expect(draft["lines"]?.arrayValue?.first?["amount"] == .string(amount.description))
    }

    @Test func lineAndDocumentTaxRoundingDiffer() throws {
        // Three lines of 0.35 at 10%: per line 0.035 -> 0.04 each (0.12); per document 1.05 x 10% = 0.105 -> 0.11.
        let lines = Array(repeating: ("Item", "1", "0.35", Optional("T")), count: 3)
        let byLine = Invoicing(client: try server.connect(), tenant: try server.makeTenant("rline"))
        try byLine.taxRate("T", "10")
        let lineDraft = try byLine.draft(customer: try byLine.customer(), lines)
        #expect(lineDraft["tax_total"] == "0.12")
        let byDocument = Invoicing(client: try server.connect(), tenant: try server.makeTenant("rdoc", settings: ["tax_rounding": "document"]))
        try byDocument.taxRate("T", "10")
        let documentDraft = try byDocument.draft(customer: try byDocument.customer(), lines)
        #expect(documentDraft["tax_total"] == "0.11")
        #expect(documentDraft["total"] == "1.16")
        #expect(documentDraft["tax_breakdown"] == [["code": "T", "percent": "10", "taxable": "1.05", "tax": "0.11", "category": "S"]])
        // Issued, the document keeps the same figures.
        let issued = try byDocument.issue(documentDraft.id)
        #expect(issued["tax_total"] == "0.11")
    }
}
