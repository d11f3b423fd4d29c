import FolioClient
import FolioWire
import Foundation
import Testing

/// Input that could hurt later readers or the server: templates checked when stored and
/// bounded when rendered, number formats without control characters, one phone limit.
@Suite(.timeLimit(.minutes(5))) struct InputRulesTests {
    let server = ServerProcess.shared

    private func expectInvalid(_ field: String, contains text: String? = nil, _ body: () throws -> Any,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try body()
            Issue.record("accepted; expected -32602 on \(field)", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == ErrorCode.invalidParams, sourceLocation: sourceLocation)
            #expect(error.field == field, sourceLocation: sourceLocation)
            if let text { #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func htmlTemplatesAreParsedWhenStoredAndCannotNestLists() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("tpl"))
        expectInvalid("html_template", contains: "line 1") { try inv.call("branding.update", ["html_template": "{{#a}}"]) }
        expectInvalid("html_template", contains: "{{#lines}}") {
            try inv.call("branding.update", ["html_template": "{{#lines}}{{#lines}}{{#lines}}{{#lines}}x{{/lines}}{{/lines}}{{/lines}}{{/lines}}"])
        }
        expectInvalid("html_template", contains: "inside the list section") {
            try inv.call("branding.update", ["html_template": "{{#lines}}{{#totals}}{{label}}{{/totals}}{{/lines}}"])
        }
        expectInvalid("html_template", contains: "partials") { try inv.call("branding.update", ["html_template": "{{>other}}"]) }
        expectInvalid("html_template", contains: "delimiters") { try inv.call("branding.update", ["html_template": "{{=<% %>=}}"]) }
        // Nothing was stored: documents still render with the built-in template.
        #expect(try inv.call("branding.get")["html_template"] == .null)
        let draft = try inv.draft(customer: try inv.customer(), [("One", "1", "10.00", nil)])["id"]!.int64Value!
        let id = try inv.issue(draft)["id"]!
        #expect(try inv.call("invoice.render", ["id": id, "format": "html"])["content_type"] == "text/html; charset=utf-8")
        // A valid template with sections side by side (and a non-list section around a list) renders.
        _ = try inv.call("branding.update", ["html_template": "<p>{{number}}</p>{{#lines}}[{{description}}]{{/lines}}{{#customer}}{{#address_lines}}{{.}}{{/address_lines}}{{/customer}}"])
        let html = try inv.call("invoice.render", ["id": id, "format": "html"])
        let page = String(decoding: Data(base64Encoded: html["data_base64"]!.stringValue!)!, as: UTF8.self)
        #expect(page.contains("[One]"))
    }

    @Test func numberFormatsRefuseControlCharacters() throws {
        let slug = try server.makeTenant("nf")
        let inv = Invoicing(client: try server.connect(), tenant: slug)
        for field in ["invoice_number_format", "credit_note_number_format"] {
            for format in ["INV\n{seq}", "INV\t{seq}", "INV\u{7F}{seq}", "INV\u{85}{seq}"] {
                expectInvalid(field, contains: "control") { try inv.call("tenant.update", [field: .string(format)]) }
            }
        }
        #expect(try inv.call("tenant.get")["invoice_number_format"] == "INV-{seq:06}")
        _ = try inv.call("tenant.update", ["invoice_number_format": "INV/{YYYY}/{seq}"])
    }

    @Test func phoneLimitIsTheCatalogs() throws {
        let inv = Invoicing(client: try server.connect(), tenant: try server.makeTenant("ph"))
        let longest = String(repeating: "1", count: 64)
        let customer = try inv.call("customer.create", ["name": "Phone", "phone": .string(longest)])
        #expect(customer["phone"] == .string(longest))
        _ = try inv.call("customer.update", ["id": customer["id"]!, "phone": .string(longest)])
        _ = try inv.call("tenant.update", ["phone": .string(longest)])
        expectInvalid("phone") { try inv.call("customer.create", ["name": "Phone", "phone": .string(longest + "1")]) }
        expectInvalid("phone") { try inv.call("tenant.update", ["phone": .string(longest + "1")]) }
    }
}
