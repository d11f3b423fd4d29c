@testable import FolioRender
import FolioWire
import Testing

/// The template rules of `HTMLTemplateRules`: what a tenant's template may be.
@Suite struct HTMLTemplateRulesTests {
    @Test func builtInTemplateKeepsTheRules() throws {
        // So a tenant can start from a copy of it.
        _ = try HTMLTemplateRules.parse(HTMLTemplate.builtIn)
    }

    @Test func listSectionsMayNotNestEvenThroughTransformsOrParents() {
        for template in [
            "{{#lines}}{{#reversed(lines)}}x{{/reversed(lines)}}{{/lines}}",
            "{{#facts}}{{#customer}}{{#address_lines}}x{{/address_lines}}{{/customer}}{{/facts}}",
            "{{#lines}}{{#customer.shipping_lines}}x{{/customer.shipping_lines}}{{/lines}}",
        ] {
            #expect(throws: RenderError.self, "\(template)") { try HTMLTemplateRules.parse(template) }
        }
        for template in ["{{#lines}}a{{/lines}}{{#lines}}b{{/lines}}", "{{^lines}}{{#terms}}x{{/terms}}{{/lines}}",
                         "{{! {{#lines}} }}{{#lines}}x{{/lines}}"] {
            #expect(throws: Never.self, "\(template)") { try HTMLTemplateRules.parse(template) }
        }
    }

    @Test func renderedDocumentIsBounded() throws {
        // 1,000 lines of a 10 KB section: 10 MB, past the limit; refused instead of sent.
        let lines = (1...1000).map { Fixtures.line($0) }
        let template = "{{#lines}}" + String(repeating: "x", count: 10_000) + "{{/lines}}"
        let document = Fixtures.document(Fixtures.invoice(lines: lines))
        #expect(document.lines.count == 1000)
        #expect(throws: RenderError.invalidTemplate("the rendered document exceeds \(HTMLTemplateRules.maximumOutputBytes) bytes")) {
            try DocumentRenderer.render(document, as: .html, branding: Branding(htmlTemplate: template))
        }
        // The same template over a few lines renders.
        _ = try DocumentRenderer.render(Fixtures.document(), as: .html, branding: Branding(htmlTemplate: template))
    }
}
