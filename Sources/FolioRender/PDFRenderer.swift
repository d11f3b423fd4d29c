import CPangoCairo

/// Invoices, credit notes, order confirmations and delivery notes as one A4 PDF made with Cairo and Pango.
enum PDFRenderer {
    static func render(_ documents: [InvoiceDocument], branding: Branding) throws -> [UInt8] {
        guard !documents.isEmpty else { throw RenderError.noDocuments }
        let accent = try RGBColor.accent(of: branding)
        let logo = try branding.logoPNG.map(CairoIO.imageSurface(png:))
        defer { if let logo { cairo_surface_destroy(logo) } }
        let footer = branding.footer.flatMap { $0.isEmpty ? nil : $0 }

        return try CairoIO.makePDF(width: PDFPageGeometry.width, height: PDFPageGeometry.height) { surface in
            let canvas = try PDFCanvas(surface: surface)
            for document in documents {
                let signature = try document.signaturePNG.map(CairoIO.imageSurface(png:))
                defer { if let signature { cairo_surface_destroy(signature) } }
                let painter = PDFInvoicePainter(canvas: canvas, document: document, accent: accent, footer: footer, logo: logo,
                                                signature: signature)
                canvas.drawing = false
                painter.totalPages = painter.paint()
                canvas.drawing = true
                painter.paint()
                try canvas.check()
            }
        }
    }
}
