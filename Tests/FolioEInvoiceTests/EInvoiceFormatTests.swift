import FolioEInvoice
import FolioWire
import Testing

/// Building documents from results, without a server: the checks that make a document
/// impossible, and the speed of the builders.
struct EInvoiceFormatTests {
    static let tenant: JSON = [
        "name": "Seller", "legal_name": "Seller GmbH", "currency": "EUR", "tax_id": "DE123456789",
        "address": ["line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"],
        "payment_account": ["iban": "DE89370400440532013000"],
    ]
    static let customer: JSON = [
        "name": "Buyer SARL", "tax_id": "FR40303265045", "shipping_address": nil,
        "billing_address": ["line1": "1 rue de la Paix", "city": "Paris", "country": "FR"],
    ]
    static let invoice: JSON = [
        "number": "INV-000001", "status": "issued", "currency": "EUR", "issue_date": "2026-11-27", "due_date": "2026-12-27",
        "payment_terms_days": 30, "customer_id": 1,
        "lines": [
            ["line_no": 1, "description": "Consulting", "qty": "3", "unit_price": "120.00", "tax_rate": "S19",
             "tax_percent": "19", "amount": "342.00", "tax": "64.98", "unit": "HUR", "discount_amount": "18.00",
             "discount_percent": "5", "discount_reason": "Loyalty"],
            ["line_no": 2, "description": "Books", "qty": "2", "unit_price": "12.50", "tax_rate": "S7",
             "tax_percent": "7", "amount": "25.00", "tax": "1.75", "unit": "C62"],
        ],
        "line_total": "367.00", "allowance_total": "0.00", "charge_total": "0.00",
        "subtotal": "367.00", "tax_total": "66.73", "total": "433.73",
        "tax_breakdown": [["code": "S19", "percent": "19", "taxable": "342.00", "tax": "64.98", "category": "S"],
                          ["code": "S7", "percent": "7", "taxable": "25.00", "tax": "1.75", "category": "S"]],
    ]

    @Test func missingCountryAndDraftsAreRefused() throws {
        var customer = Self.customer.objectValue!
        customer["billing_address"] = ["city": "Paris"]
        for format in EInvoiceFormat.allCases {
            let error = #expect(throws: EInvoiceError.self) {
                try format.render(document: Self.invoice, tenant: Self.tenant, customer: .object(customer), extras: [:])
            }
            #expect(error?.field == "billing_address.country", "\(format)")
        }
        var draft = Self.invoice.objectValue!
        draft["status"] = "draft"
        draft["number"] = .null
        #expect(throws: EInvoiceError(field: "id", "a draft is not an invoice yet: issue it before rendering it as an e-invoice")) {
            try EInvoiceFormat.ubl.render(document: .object(draft), tenant: Self.tenant, customer: Self.customer, extras: [:])
        }
    }

    /// Builder speed (printed, not asserted).
    @Test func buildingAThousandDocuments() throws {
        for format in EInvoiceFormat.allCases {
            let start = ContinuousClock.now
            var bytes = 0
            for _ in 0..<1000 {
                bytes += try format.render(document: Self.invoice, tenant: Self.tenant, customer: Self.customer, extras: [:]).count
            }
            print("einvoice builder: 1000 \(format.rawValue) documents (\(bytes / 1000) bytes each) in \(ContinuousClock.now - start)")
        }
    }
}
