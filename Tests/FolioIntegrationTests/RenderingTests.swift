import FolioClient
import FolioTestSupport
import FolioWire
import Foundation
import Testing

/// invoice.render through the real server, read back from the PDF with pdftotext.
@Suite(.timeLimit(.minutes(5))) struct RenderingTests {
    let server = ServerProcess.shared


    @Test func invoiceAndCreditNoteRenderAsPDFHTMLAndText() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("render"))
        try inv.taxRate("VAT20", "20")
        let customer = try inv.customer("Zoë Müller, Łódź")
        let id = try inv.draft(customer: customer, [("Design work", "3", "150.00", "VAT20"), ("Hosting 東京都", "1", "20.00", nil)]).id
        _ = try inv.issue(id)
        let text = try pdfText(of: try inv.call("invoice.render", ["id": JSON(id), "format": "pdf"]))
        for expected in ["INV-000001", "Zoë Müller, Łódź", "Design work", "Hosting 東京都", "470.00", "560.00"] {
            #expect(text.contains(expected), "missing \(expected) in PDF text")
        }
        let html = try inv.call("invoice.render", ["number": "INV-000001", "format": "html"])
        let htmlText = String(decoding: Data(base64Encoded: html["data_base64"]!.stringValue!)!, as: UTF8.self)
        #expect(htmlText.contains("INV-000001"))
        let plain = try inv.call("invoice.render", ["id": JSON(id), "format": "text"])
        #expect(String(decoding: Data(base64Encoded: plain["data_base64"]!.stringValue!)!, as: UTF8.self).contains("560.00"))

        let note = try inv.call("invoice.void", ["id": JSON(id), "reason": "cancelled order"])
        let noteText = try pdfText(of: try inv.call("credit_note.render", ["id": note["id"]!, "format": "pdf"]))
        #expect(noteText.contains("CN-000001"))
        #expect(noteText.contains("cancelled order"))
    }

    @Test func batchPrintStartsEachInvoiceOnItsOwnPage() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("batch"))
        let customer = try inv.customer()
        var ids: [JSON] = []
        for i in 1...5 { ids.append(JSON(try inv.issue(try inv.draft(customer: customer, [("Job \(i)", "1", "10.00", nil)]).id).id)) }
        let text = try pdfText(of: try inv.call("invoice.print_batch", ["ids": .array(ids)]))
        let pages = text.split(separator: "\u{0C}").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(pages.count == 5)
        for (i, page) in pages.enumerated() { #expect(page.contains(String(format: "INV-%06d", i + 1))) }
    }

    @Test func folioWritesThePDFToAFile() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("clipdf"))
        let id = try inv.issue(try inv.draft(customer: try inv.customer("File Co"), [("Printed", "2", "7.25", nil)]).id).id
        let path = TestEnvironment.scratchDirectory() + "/invoice.pdf"
        let cli = CLI(socketPath: server.socketPath)
        let result = try cli.run(["--tenant", inv.tenant, "invoice", "pdf", String(id), "-o", path])
        #expect(result.status == 0, "\(result.stderr)")
        let text = try Poppler.text(ofFile: path)
        #expect(text.contains("INV-000001"))
        #expect(text.contains("14.50"))
        let batch = try cli.run(["--tenant", inv.tenant, "invoice", "print-batch", String(id), "-o", path + ".batch", "--mark-sent"])
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(try inv.call("invoice.get", ["id": JSON(id)])["status"] == "sent")
    }

    @Test func brandingAppearsOnDocumentsAndIsValidated() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("brand"))
        let onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
        let branding = try inv.call("branding.update", [
            "logo_png_base64": .string(onePixelPNG), "accent_color": "#1A6B3C", "footer": "Bank: IBAN DE00 1234 5678 — thank you!",
        ])
        #expect(branding["has_logo"] == .bool(true))
        #expect(branding["accent_color"] == "#1A6B3C")
        let id = try inv.issue(try inv.draft(customer: try inv.customer(), [("Branded", "1", "10.00", nil)]).id).id
        let text = try pdfText(of: try inv.call("invoice.render", ["id": JSON(id), "format": "pdf"]))
        #expect(text.contains("IBAN DE00 1234 5678"))
        let html = try inv.call("invoice.render", ["id": JSON(id), "format": "html"])
        let page = String(decoding: Data(base64Encoded: html["data_base64"]!.stringValue!)!, as: UTF8.self)
        #expect(page.lowercased().contains("#1a6b3c"))
        #expect(page.contains("data:image/png;base64,"))
        for (field, value) in [("accent_color", "green"), ("logo_png_base64", "bm90IGEgcG5n")] {
            do {
                _ = try inv.call("branding.update", [field: .string(value)])
                Issue.record("\(field) = \(value) accepted")
            } catch let error as RPCError {
                #expect(error.code == ErrorCode.invalidParams)
                #expect(error.field == field)
            }
        }
        #expect(try inv.call("branding.get")["accent_color"] == "#1A6B3C")
    }

    @Test func statementOfAccountAsPDF() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("stmt"))
        let customer = try inv.customer("Statement Client")
        for i in 1...60 {
            _ = try inv.issue(try inv.draft(customer: customer, [("Job \(i)", "1", "10.00", nil)]).id, date: "2026-02-01")
        }
        _ = try inv.call("payment.record", ["customer_id": JSON(customer), "amount": "250.00", "received_on": "2026-02-10", "method": "cash"])
        let text = try pdfText(of: try inv.call("report.statement_pdf", ["customer_id": JSON(customer), "from": "2026-01-01", "to": "2026-03-31"]))
        #expect(text.contains("Statement of account"))
        #expect(text.contains("Statement Client"))
        #expect(text.contains("INV-000060"))
        #expect(text.contains("Closing balance: 350.00"))
        #expect(text.contains("Page 2 of 2"))
    }

    @Test func renderingAnUnknownInvoiceIsNotFound() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("render"))
        #expect(throws: RPCError.self) { try inv.call("invoice.render", ["id": 999, "format": "pdf"]) }
    }
}
