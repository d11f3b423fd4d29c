import FolioRender
import FolioTestSupport
import FolioWire
import Testing

/// Order confirmations and delivery notes through the invoice renderer: their own facts,
/// columns and closing section, the order's addresses, the signature image.
@Suite struct OrderDocumentTests {
    static func order(lines: Int = 2) -> JSON {
        [
            "id": 12, "status": "partially_delivered", "customer_id": 7, "customer_name": "Zoë Müller, Łódź",
            "po_number": "PO-2026-981", "order_date": "2026-03-01", "currency": "EUR", "requested_delivery_date": "2026-03-20",
            "buyer_contact": ["name": "Jana Nováková", "email": "jana@buyer.example"],
            "shipping_address": ["line1": "Lagerstraße 5", "city": "Köln", "postal_code": "50667", "country": "DE"],
            "signed_by": "Jana Nováková", "signed_on": "2026-03-02",
            "lines": .array((1...lines).map { n in
                ["line_no": .number(String(n)), "sku": .string("SKU-\(n)"), "description": .string("Widget \(n)"), "qty": "3",
                 "unit_price": "12.50", "tax_rate": "VAT19", "tax_percent": "19", "amount": "37.50", "tax": "7.13"]
            }),
            "subtotal": "75.00", "tax_total": "14.26", "total": "89.26",
            "tax_breakdown": [["code": "VAT19", "percent": "19", "taxable": "75.00", "tax": "14.26"]],
        ]
    }

    static let delivery: JSON = [
        "id": 5, "order_id": 12, "status": "shipped", "po_number": "PO-2026-981", "shipped_on": "2026-03-05",
        "carrier": "DHL", "tracking_numbers": ["00340434161094042557", "00340434161094042558"],
        "lines": [["line_no": 1, "sku": "SKU-1", "description": "Widget 1", "qty": "2"]],
    ]

    private func text(_ doc: InvoiceDocument) throws -> String {
        String(decoding: try DocumentRenderer.render(doc, as: .text).bytes, as: UTF8.self)
    }

    @Test func orderConfirmation() throws {
        let doc = InvoiceDocument(order: Self.order(), tenant: Fixtures.tenant, customer: Fixtures.customer(),
                                  signaturePNG: Fixtures.tinyPNG)
        let page = try text(doc)
        for expected in ["ORDER CONFIRMATION PO-2026-981", "Order date:", "2026-03-01", "Requested delivery:", "2026-03-20",
                         "Buyer contact: Jana Nováková,", "jana@buyer.example", "SKU-2 · Widget 2", "Lagerstraße 5", "EUR 89.26",
                         "Signed by Jana Nováková on 2026-03-02"] {
            #expect(page.contains(expected), "missing \(expected) in\n\(page)")
        }
        #expect(!page.contains("東京都"))          // the order's shipping address replaces the customer's
        #expect(!page.contains("Payment due"))    // no payment terms on an order
        let html = String(decoding: try DocumentRenderer.render(doc, as: .html).bytes, as: UTF8.self)
        #expect(html.contains("<h2>Signature</h2>"))
        #expect(html.contains("class=\"signature\" src=\"data:image/png;base64,iVBORw0KGgo"))

        // A long order continues over pages; the signature closes the last one.
        let long = InvoiceDocument(order: Self.order(lines: 60), tenant: Fixtures.tenant, customer: Fixtures.customer(),
                                   signaturePNG: Fixtures.tinyPNG)
        let pages = try Poppler.pages(try DocumentRenderer.pdf([long]))
        #expect(pages.count >= 2)
        #expect(pages.first?.contains("Order confirmation PO-2026-981") == true)
        #expect(pages.last?.contains("Signed by Jana Nováková on 2026-03-02") == true)
        #expect(pages.last?.contains("Page \(pages.count) of \(pages.count)") == true)
    }

    @Test func deliveryNote() throws {
        let doc = InvoiceDocument(delivery: Self.delivery, order: Self.order(), tenant: Fixtures.tenant, customer: Fixtures.customer())
        let page = try text(doc)
        for expected in ["DELIVERY NOTE 5", "PO-2026-981", "Shipped on:", "2026-03-05", "Carrier:", "DHL", "Parcels:",
                         "Item no.", "SKU-1", "Tracking number 1: 00340434161094042557",
                         "Tracking number 2: 00340434161094042558", "Received by: ____"] {
            #expect(page.contains(expected), "missing \(expected) in\n\(page)")
        }
        for absent in ["12.50", "Amounts in", "Total", "Unit price"] {
            #expect(!page.contains(absent), "\(absent) on a packing slip:\n\(page)")
        }
        let pdf = try Poppler.text(try DocumentRenderer.render(doc, as: .pdf).bytes)
        #expect(pdf.contains("Tracking number 2: 00340434161094042558"))
        let html = String(decoding: try DocumentRenderer.render(doc, as: .html).bytes, as: UTF8.self)
        #expect(html.contains("<th class=\"num\">Item no.</th>"))
        #expect(!html.contains("Unit price"))
    }
}
