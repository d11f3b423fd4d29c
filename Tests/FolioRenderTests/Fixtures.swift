import FolioRender
import FolioWire

/// Invoice, tenant and customer results as the server produces them.
enum Fixtures {
    static let tenant: JSON = [
        "slug": "acme", "name": "Acme Tools", "legal_name": "Acme Tools GmbH",
        "address": ["line1": "Hauptstraße 5", "line2": nil, "city": "Berlin", "region": nil,
                    "postal_code": "10115", "country": "DE"],
        "tax_id": "DE123456789", "email": "billing@acme.example", "phone": "+49 30 1234567",
        "currency": "EUR", "payment_terms_days": 14,
    ]

    static func customer(name: String = "Zoë Müller, Łódź") -> JSON {
        [
            "id": 7, "name": .string(name),
            "billing_address": ["line1": "ul. Piotrkowska 12", "city": "Łódź", "postal_code": "90-001", "country": "PL"],
            "shipping_address": ["line1": "東京都千代田区1-1", "city": "東京都", "postal_code": "100-0001", "country": "JP"],
            "tax_id": "PL5250001009", "email": "zoe@example.pl",
        ]
    }

    static func line(_ n: Int, description: String? = nil) -> JSON {
        let percent = n % 2 == 0 ? "19" : "7"
        return [
            "line_no": .number(String(n)), "description": .string(description ?? "Widget model \(n)"),
            "qty": "2", "unit_price": .string("\(n).50"), "tax_rate": .string("VAT\(percent)"),
            "tax_percent": .string(percent), "amount": .string("\(2 * n + 1).00"), "tax": "0.19",
        ]
    }

    static func invoice(number: String? = "INV-2026-0042", lines: [JSON]? = nil, terms: Int = 14,
                        po: String? = "PO-7781", notes: String? = "Thank you for your business.") -> JSON {
        var object: JSONObject = [
            "id": 42, "number": number.map(JSON.string) ?? .null, "status": number == nil ? "draft" : "issued",
            "customer_id": 7, "customer_name": "Zoë Müller, Łódź", "currency": "EUR",
            "issue_date": "2026-03-01", "due_date": "2026-03-15", "payment_terms_days": .number(String(terms)),
            "po_number": po.map(JSON.string) ?? .null, "notes": notes.map(JSON.string) ?? .null,
            "lines": .array(lines ?? [line(1, description: "Consulting, March"), line(2, description: "Hosting (annual)")]),
            "subtotal": "1234.50", "tax_total": "98.77", "total": "1333.27",
            "tax_breakdown": [
                ["code": "VAT19", "percent": "19", "taxable": "500.00", "tax": "95.00"],
                ["code": "VAT7", "percent": "7", "taxable": "53.86", "tax": "3.77"],
            ],
            "amount_paid": "300.00", "credited": "0.00", "balance_due": "1033.27",
        ]
        object["id"] = 42
        return .object(object)
    }

    static func document(_ invoice: JSON = invoice(), customer: JSON? = customer()) -> InvoiceDocument {
        InvoiceDocument(invoice: invoice, tenant: tenant, customer: customer)
    }

    /// A 4x2 PNG, RGB, made with Python's zlib.
    static let tinyPNG: [UInt8] = [
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x04, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xF0, 0xCA, 0xEA, 0x34, 0x00, 0x00, 0x00,
        0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x90, 0xF7, 0xAB, 0x84, 0x23, 0x06, 0x64, 0x0E, 0x00, 0x5A,
        0xBA, 0x07, 0x31, 0x4A, 0x24, 0xC6, 0x6D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
        0x82,
    ]
}
