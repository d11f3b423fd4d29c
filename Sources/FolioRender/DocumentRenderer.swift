import FolioWire
/// Renders invoices, credit notes, order confirmations and delivery notes as PDF, HTML or plain text.
public enum DocumentRenderer {
    public static func render(_ document: InvoiceDocument, as format: RenderFormat, branding: Branding = .init()) throws -> RenderedDocument {
        let bytes: [UInt8]
        switch format {
        case .pdf: bytes = try PDFRenderer.render([document], branding: branding)
        case .html: bytes = Array(try HTMLRenderer.render(document, branding: branding).utf8)
        case .text: bytes = Array(TextRenderer.render(document, branding: branding).utf8)
        }
        return RenderedDocument(contentType: format.contentType, bytes: bytes)
    }

    /// One print-ready PDF; every document starts on a new page, and each document's pages
    /// are numbered on their own ("Page 1 of 2").
    public static func pdf(_ documents: [InvoiceDocument], branding: Branding = .init()) throws -> [UInt8] {
        try PDFRenderer.render(documents, branding: branding)
    }

    /// Payment reminder letters (`reminder_letter_json` objects), one per page, as one PDF.
    public static func reminderLettersPDF(_ letters: [JSON], branding: Branding = .init()) throws -> [UInt8] {
        try ReminderLetterPDF.render(letters, branding: branding)
    }

    /// A statement of account (the `report.statement` result) as a PDF.
    public static func statementPDF(_ statement: JSON, tenant: JSON, branding: Branding = .init()) throws -> [UInt8] {
        try StatementPDF.render(statement, tenant: tenant, branding: branding)
    }
}
