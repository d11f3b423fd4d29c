import FolioRender
import FolioWire
import Testing

@Suite struct HTMLAndTextRenderingTests {
    private func html(_ doc: InvoiceDocument, _ branding: Branding = .init()) throws -> String {
        let rendered = try DocumentRenderer.render(doc, as: .html, branding: branding)
        #expect(rendered.contentType == "text/html; charset=utf-8")
        return String(decoding: rendered.bytes, as: UTF8.self)
    }

    @Test func htmlIsACompleteEscapedDocument() throws {
        let doc = Fixtures.document(Fixtures.invoice(lines: [Fixtures.line(1, description: "<script>alert(1)</script> & more")]))
        let page = try html(doc)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("</html>"))
        #expect(!page.contains("<script>"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"))
        for expected in ["INV-2026-0042", "Zoë Müller, Łódź", "東京都", "EUR 1333.27", "Tax VAT19 19% on EUR 500.00",
                         "EUR 1033.27", "Payment due within 14 days, by 2026-03-15", "PO-7781"] {
            #expect(page.contains(expected), "missing \(expected)")
        }
    }

    /// Contract v1.1: a line's unit and discount, and the document's allowances and charges,
    /// appear in HTML and text alike (they come from the same summary).
    @Test func discountsAllowancesAndChargesAreShown() throws {
        var discounted = Fixtures.line(1, description: "Consulting").objectValue!
        discounted["unit"] = "HUR"
        discounted["discount_amount"] = "0.30"
        discounted["discount_percent"] = "10"
        discounted["discount_reason"] = "Loyalty"
        var invoice = Fixtures.invoice(lines: [.object(discounted)]).objectValue!
        invoice["line_total"] = "1240.00"
        invoice["allowances"] = [["amount": "12.40", "percent": "1", "reason": "Early order", "tax_rate": "VAT19"]]
        invoice["charges"] = [["amount": "6.90", "percent": nil, "reason": "Postage", "tax_rate": "VAT19"]]
        let doc = Fixtures.document(.object(invoice))
        let text = String(decoding: try DocumentRenderer.render(doc, as: .text, branding: .init()).bytes, as: UTF8.self)
        let page = try html(doc)
        for expected in ["Consulting (discount 10%: -0.30, Loyalty)", "2 HUR", "Lines", "EUR 1240.00",
                         "Allowance 1%: Early order [VAT19]", "EUR -12.40", "Charge: Postage [VAT19]", "EUR 6.90"] {
            #expect(text.contains(expected), "text misses \(expected)")
            #expect(page.contains(expected), "HTML misses \(expected)")
        }
    }

    @Test func htmlBranding() throws {
        let page = try html(Fixtures.document(), Branding(accentColor: "#AA3300", footer: "Footer <b>text</b>", logoPNG: Fixtures.tinyPNG))
        #expect(page.contains("#aa3300"))
        #expect(page.contains("Footer &lt;b&gt;text&lt;/b&gt;"))
        #expect(page.contains("data:image/png;base64,iVBORw0KGgo"))
    }

    @Test func customTemplate() throws {
        let template = "<p>{{title}} {{number}} for {{customer.name}}: {{#totals}}{{label}}={{value}};{{/totals}}</p>"
        let page = try html(Fixtures.document(), Branding(htmlTemplate: template))
        #expect(page.hasPrefix("<p>Invoice INV-2026-0042 for Zoë Müller, Łódź: Subtotal=EUR 1234.50;"))
        #expect(throws: RenderError.self) {
            try DocumentRenderer.render(Fixtures.document(), as: .html, branding: Branding(htmlTemplate: "{{#open}} never closed"))
        }
    }

    @Test func textIsAlignedAndHasTheTotals() throws {
        let lines = [Fixtures.line(1, description: "東京都 office chairs"), Fixtures.line(2, description: "Zoë's desk lamp"),
                     Fixtures.line(3, description: String(repeating: "very long description ", count: 6))]
        let rendered = try DocumentRenderer.render(Fixtures.document(Fixtures.invoice(lines: lines)), as: .text)
        #expect(rendered.contentType == "text/plain; charset=utf-8")
        let text = String(decoding: rendered.bytes, as: UTF8.self)
        for expected in ["INVOICE INV-2026-0042", "Subtotal:", "EUR 1234.50", "EUR 1333.27", "Balance due:", "EUR 1033.27",
                         "Tax VAT7 7% on EUR 53.86:", "Payment due within 14 days, by 2026-03-15", "Zoë Müller, Łódź"] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        // Amount columns end in the same terminal column, wide CJK characters counting two.
        func columns(_ s: Substring) -> Int {
            s.reduce(0) { $0 + ($1.unicodeScalars.first.map { (0x3000...0x9FFF).contains($0.value) } == true ? 2 : 1) }
        }
        let rows = text.split(separator: "\n").filter { $0.hasSuffix(".00") && ($0.contains("chairs") || $0.contains("lamp") || $0.contains("very")) }
        #expect(rows.count == 3)
        #expect(Set(rows.map(columns)).count == 1)
        #expect(text.split(separator: "\n").allSatisfy { columns($0) <= 80 })
    }
}
