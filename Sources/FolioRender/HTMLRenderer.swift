import FolioWire
import Mustache

/// An invoice, credit note, order confirmation or delivery note as a self-contained HTML5 document
/// from a mustache template.
enum HTMLRenderer {
    private static let builtIn = Result { try MustacheTemplate(string: HTMLTemplate.builtIn) }

    static func render(_ doc: InvoiceDocument, branding: Branding) throws -> String {
        let template: MustacheTemplate
        if let text = branding.htmlTemplate, !text.isEmpty {
            template = try HTMLTemplateRules.parse(text)
        } else {
            template = try builtIn.get()
        }
        let html = template.render(try context(doc, branding: branding))
        guard html.utf8.count <= HTMLTemplateRules.maximumOutputBytes else {
            throw RenderError.invalidTemplate("the rendered document exceeds \(HTMLTemplateRules.maximumOutputBytes) bytes")
        }
        return html
    }

    /// The values the templates see (documented on `HTMLTemplate`).
    static func context(_ doc: InvoiceDocument, branding: Branding) throws -> [String: Any] {
        let summary = DocumentSummary(doc)
        var context: [String: Any] = [
            "title": doc.title,
            "number": doc.number,
            "currency": doc.currency,
            "accent": try RGBColor.accent(of: branding).hex,
            "is_credit_note": doc.kind == .creditNote,
            "seller": party(doc.seller),
            "customer": party(doc.customer),
            "facts": summary.facts.map { ["label": $0.label, "value": $0.value] as [String: Any] },
            "lines": doc.lines.map { line -> [String: Any] in
                ["description": line.description, "qty": line.quantity, "unit_price": line.unitPrice,
                 "tax": line.taxLabel, "amount": line.amount, "line_tax": line.tax]
            },
            "columns": PDFLinesTable.titles(doc.kind).enumerated().map { i, title -> [String: Any] in
                ["title": title, "num": i > 0]
            },
            "rows": doc.lines.map { line -> [String: Any] in
                ["cells": PDFLinesTable.cells(of: line, kind: doc.kind).enumerated().map { i, cell -> [String: Any] in
                    ["value": cell, "num": i > 0]
                }]
            },
            "party_heading": doc.partyHeading,
            "totals": summary.totals.map { ["label": $0.label, "value": $0.value, "emphasized": $0.emphasized] as [String: Any] },
            "terms": summary.terms,
        ]
        if !summary.terms.isEmpty { context["closing_heading"] = doc.closingHeading }
        if let notes = doc.notes { context["notes"] = notes }
        if let footer = branding.footer, !footer.isEmpty { context["footer"] = footer }
        if let logo = branding.logoPNG {
            // Validates the logo as the PDF does, so that a bad logo fails in every format.
            let surface = try CairoIO.imageSurface(png: logo)
            CairoIO.destroy(surface)
            context["logo_data_uri"] = "data:image/png;base64," + Base64.encode(logo)
        }
        if let signature = doc.signaturePNG {
            let surface = try CairoIO.imageSurface(png: signature)
            CairoIO.destroy(surface)
            context["signature_data_uri"] = "data:image/png;base64," + Base64.encode(signature)
        }
        return context
    }

    private static func party(_ party: Party) -> [String: Any] {
        var out: [String: Any] = [
            "name": party.name,
            "address_lines": party.address.lines,
            "shipping_lines": party.shippingAddress.lines,
            "has_shipping": !party.shippingAddress.isEmpty,
        ]
        if let v = party.legalName { out["legal_name"] = v }
        if let v = party.taxID { out["tax_id"] = v }
        if let v = party.email { out["email"] = v }
        if let v = party.phone { out["phone"] = v }
        return out
    }
}
