import FolioDomain
import FolioPostgres
import FolioRender
import FolioWire
import NIOCore

/// Renders invoices and credit notes. The data comes from the tenant's own functions
/// (one statement, under the tenant's role like any request); the rendering runs on the
/// pool's worker thread, never on an event loop.
struct DocumentRendering: Sendable {
    let pool: PostgresPool

    func run(
        _ spec: MethodSpec, _ enter: TenantEntry, _ arguments: JSONObject, on eventLoop: EventLoop
    ) -> EventLoopFuture<Reply> {
        switch spec.name {
        case "report.statement_pdf":
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let row = try db.pipeline([
                    enter.statement(on: db),
                    PostgresStatement("SELECT report_statement($1::jsonb)::text, tenant_get('{}')::text, branding_for_render()::text",
                                      [JSONWriter.string(.object(arguments))], prepareAs: "folio_render_statement"),
                ])[1].rows[0]
                func parse(_ text: String?) throws -> JSON { try JSONParser.parse(text ?? "null") }
                return pdf(try DocumentRenderer.statementPDF(try parse(row[0]), tenant: try parse(row[1]),
                                                             branding: Branding(json: try parse(row[2]))))
            }
        case "invoice.print_batch":
            let ids = arguments["ids"]?.arrayValue ?? []
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let fetched = try ids.map { id in
                    try fetch(db, enter, getter: "invoice_get", .object(["id": id]))
                }
                return pdf(try DocumentRenderer.pdf(fetched.map(\.document), branding: fetched.first?.branding ?? Branding()))
            }
        default:
            let format = RenderFormat(rawValue: arguments["format"]?.stringValue ?? "") ?? .pdf
            var withoutFormat = arguments
            withoutFormat["format"] = nil
            let reference = withoutFormat
            let getter = spec.name == "credit_note.render" ? "credit_note_get" : "invoice_get"
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let fetched = try fetch(db, enter, getter: getter, .object(reference))
                let rendered = try DocumentRenderer.render(fetched.document, as: format, branding: fetched.branding)
                return .json(["content_type": .string(rendered.contentType), "data_base64": .string(Base64.encode(rendered.bytes))])
            }
        }
    }

    private func pdf(_ bytes: [UInt8]) -> Reply {
        .json(["content_type": "application/pdf", "data_base64": .string(Base64.encode(bytes))])
    }

    /// The document, its tenant, its customer and the tenant's branding, read in one
    /// statement after entering the tenant.
    private func fetch(
        _ db: PostgresConnection, _ enter: TenantEntry, getter: String, _ reference: JSON
    ) throws -> (document: InvoiceDocument, branding: Branding) {
        let results = try db.pipeline([
            enter.statement(on: db),
            PostgresStatement("""
                SELECT d::text, tenant_get('{}')::text, customer_get(jsonb_build_object('id', (d->>'customer_id')::bigint))::text,
                       branding_for_render()::text
                FROM \(getter)($1::jsonb) AS d
                """, [JSONWriter.string(reference)], prepareAs: "folio_render_\(getter)"),
        ])
        let row = results[1].rows[0]
        func parse(_ text: String?) throws -> JSON { try JSONParser.parse(text ?? "null") }
        return (InvoiceDocument(invoice: try parse(row[0]), tenant: try parse(row[1]), customer: try parse(row[2])),
                Branding(json: try parse(row[3])))
    }
}
