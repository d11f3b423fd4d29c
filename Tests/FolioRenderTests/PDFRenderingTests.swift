import FolioRender
import FolioTestSupport
import FolioWire
import Testing

@Suite struct PDFRenderingTests {
    /// Collapses runs of spaces, as `-layout` spreads text over columns.
    private func squeeze(_ s: String) -> String {
        s.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    @Test func invoiceContentIsInThePDF() throws {
        let rendered = try DocumentRenderer.render(Fixtures.document(), as: .pdf)
        #expect(rendered.contentType == "application/pdf")
        #expect(rendered.bytes.starts(with: Array("%PDF-".utf8)))
        let text = squeeze(try Poppler.text(rendered.bytes))
        for expected in [
            "Invoice INV-2026-0042", "Acme Tools", "Acme Tools GmbH", "Hauptstraße 5", "10115 Berlin", "DE123456789",
            "Zoë Müller, Łódź", "ul. Piotrkowska 12", "PO-7781", "2026-03-01", "2026-03-15",
            "Consulting, March", "Hosting (annual)", "Description", "Qty", "Unit price", "Amount",
            "Subtotal", "EUR 1234.50", "Tax VAT19 19% on EUR 500.00", "EUR 95.00", "Tax VAT7 7% on EUR 53.86", "EUR 3.77",
            "Total", "EUR 1333.27", "Amount paid", "EUR 300.00", "Balance due", "EUR 1033.27",
            "Payment due within 14 days, by 2026-03-15", "Thank you for your business.", "Page 1 of 1",
        ] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        // Real text with an embedded font, not images.
        #expect(try Poppler.fonts(rendered.bytes).contains("DejaVuSans"))
    }

    @Test func unicodeNamesSurvive() throws {
        let pdf = try DocumentRenderer.render(Fixtures.document(), as: .pdf).bytes
        let text = try Poppler.text(pdf)
        #expect(text.contains("Zoë Müller, Łódź"))
        #expect(text.contains("東京都"))
    }

    @Test func draftAndDueUponReceipt() throws {
        let doc = Fixtures.document(Fixtures.invoice(number: nil, terms: 0, po: nil, notes: nil))
        let text = squeeze(try Poppler.text(try DocumentRenderer.render(doc, as: .pdf).bytes))
        #expect(text.contains("Invoice DRAFT"))
        #expect(text.contains("Due upon receipt"))
        #expect(!text.contains("PO number"))
    }

    @Test func longDescriptionsWrapInTheirColumn() throws {
        let long = (1...40).map { "word\($0)" }.joined(separator: " ")
        let doc = Fixtures.document(Fixtures.invoice(lines: [Fixtures.line(1, description: long)]))
        let text = try Poppler.text(try DocumentRenderer.render(doc, as: .pdf).bytes)
        let rows = text.split(separator: "\n").filter { $0.contains("word") }
        #expect(rows.count >= 3)
        #expect(text.contains("word1 ") && text.contains("word40"))
    }

    @Test func longInvoiceContinuesOverPagesWithHeaders() throws {
        let lines = (1...200).map { Fixtures.line($0) }
        let pdf = try DocumentRenderer.render(Fixtures.document(Fixtures.invoice(lines: lines)), as: .pdf).bytes
        let pages = try Poppler.pageCount(pdf)
        #expect(pages >= 3)
        for page in 1...pages {
            let text = squeeze(try Poppler.text(pdf, first: page, last: page))
            #expect(text.contains("Page \(page) of \(pages)"))
            if page < pages || text.contains("Widget") { #expect(text.contains("Description")) }
        }
        let page2 = squeeze(try Poppler.text(pdf, first: 2, last: 2))
        #expect(page2.contains("Description"))
        #expect(page2.contains("INV-2026-0042 (continued)"))
        let all = squeeze(try Poppler.text(pdf))
        for n in [1, 57, 123, 200] { #expect(all.contains("Widget model \(n) "), "line \(n)") }
        #expect(all.contains("Balance due EUR 1033.27"))
    }

    @Test func batchStartsEveryDocumentOnANewPage() throws {
        let documents = (1...50).map { n in
            Fixtures.document(Fixtures.invoice(number: "INV-B-\(1000 + n)",
                                               lines: (1...(n % 5 == 0 ? 45 : 3)).map { Fixtures.line($0) }))
        }
        let pdf = try DocumentRenderer.pdf(documents)
        #expect(try Poppler.pageCount(pdf) >= 50)
        let firstLines = Set(try Poppler.pages(pdf).map { page in
            page.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
        })
        for n in 1...50 {
            let number = "INV-B-\(1000 + n)"
            #expect(firstLines.contains { $0.contains("Invoice \(number)") && !$0.contains("continued") }, "\(number)")
        }
    }

    @Test func emptyBatchIsAnError() {
        #expect(throws: RenderError.noDocuments) { try DocumentRenderer.pdf([]) }
    }

    @Test func creditNote() throws {
        let credit: JSON = [
            "id": 3, "invoice_id": 42, "number": "CN-0003", "invoice_number": "INV-2026-0042",
            "issue_date": "2026-03-20", "reason": "Damaged goods", "lines": [Fixtures.line(1, description: "Returned widget")],
            "subtotal": "-10.00", "tax_total": "-1.90", "total": "-11.90",
            "tax_breakdown": [["code": "VAT19", "percent": "19", "taxable": "-10.00", "tax": "-1.90"]],
        ]
        let text = squeeze(try Poppler.text(try DocumentRenderer.render(Fixtures.document(credit), as: .pdf).bytes))
        for expected in ["Credit note CN-0003", "INV-2026-0042", "Damaged goods", "Returned widget", "EUR -11.90"] {
            #expect(text.contains(expected), "missing \(expected)")
        }
        #expect(!text.contains("Balance due"))
    }

    @Test func toleratesMissingFields() throws {
        let doc = InvoiceDocument(invoice: ["id": 1], tenant: ["name": .null], customer: nil)
        let text = try Poppler.text(try DocumentRenderer.render(doc, as: .pdf).bytes)
        #expect(text.contains("Invoice DRAFT"))
        _ = try DocumentRenderer.render(doc, as: .html)
        _ = try DocumentRenderer.render(doc, as: .text)
    }

    @Test func brandingLogoAccentAndFooter() throws {
        let branding = Branding(accentColor: "#AA3300", footer: "Acme Tools GmbH · IBAN DE89 3704 0044 0532 0130 00",
                                logoPNG: Fixtures.tinyPNG)
        let pdf = try DocumentRenderer.render(Fixtures.document(), as: .pdf, branding: branding).bytes
        let text = squeeze(try Poppler.text(pdf))
        #expect(text.contains("IBAN DE89 3704 0044 0532 0130 00"))
        #expect(text.contains("Invoice INV-2026-0042"))
    }

    @Test func invalidLogoAndColourAreRejected() throws {
        #expect(throws: RenderError.self) {
            try DocumentRenderer.render(Fixtures.document(), as: .pdf, branding: Branding(logoPNG: Array("not a png".utf8)))
        }
        var truncated = Fixtures.tinyPNG
        truncated.removeLast(30)
        #expect(throws: RenderError.self) {
            try DocumentRenderer.render(Fixtures.document(), as: .pdf, branding: Branding(logoPNG: truncated))
        }
        #expect(throws: RenderError.self) {
            try DocumentRenderer.render(Fixtures.document(), as: .html, branding: Branding(logoPNG: [0x89, 0x50]))
        }
        #expect(throws: RenderError.invalidAccentColor("red")) {
            try DocumentRenderer.render(Fixtures.document(), as: .pdf, branding: Branding(accentColor: "red"))
        }
    }
}
