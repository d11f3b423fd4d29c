import FolioDomain
import FolioEInvoice
import FolioPostgres
import FolioRender
import FolioWire
import NIOCore

/// Renders invoices, credit notes (also as EN 16931 e-invoices), statements, reminder
/// letters, order confirmations and delivery notes. The data comes from the tenant's own functions (one
/// statement, under the tenant's role like any request); the rendering runs on the pool's
/// worker thread, never on an event loop.
struct DocumentRendering: Sendable {
    let pool: PostgresPool

    func run(
        _ method: MethodSpec.DocumentMethod, _ enter: TenantEntry, _ arguments: JSONObject, on eventLoop: EventLoop
    ) -> EventLoopFuture<Reply> {
        switch method {
        case .statement:
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let row = try db.pipeline([
                    enter.statement(on: db),
                    PostgresStatement("SELECT report_statement($1::jsonb)::text, tenant_get('{}')::text, branding_for_render()::text",
                                      [JSONWriter.string(.object(arguments))], prepareAs: "folio_render_statement"),
                ])[1].rows[0]
                func parse(_ text: String?) throws -> JSON { try JSONParser.parse(text ?? "null") }
                return file("application/pdf", try DocumentRenderer.statementPDF(try parse(row[0]), tenant: try parse(row[1]),
                                                                                 branding: Branding(json: try parse(row[2]))))
            }
        case .reminderLetters:
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let row = try db.pipeline([
                    enter.statement(on: db),
                    PostgresStatement("SELECT reminder_letters($1::jsonb)::text, branding_for_render()::text",
                                      [JSONWriter.string(.object(arguments))], prepareAs: "folio_render_reminder_letters"),
                ])[1].rows[0]
                let letters = try JSONParser.parse(row[0] ?? "[]").arrayValue ?? []
                guard !letters.isEmpty else { throw RPCError.notFound("no reminder letters to print") }
                return file("application/pdf",
                            try DocumentRenderer.reminderLettersPDF(letters, branding: Branding(json: try JSONParser.parse(row[1] ?? "null"))))
            }
        case .invoiceExport:
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                try EInvoiceRendering.export(db, enter, arguments)
            }
        case .invoiceBatch:
            let ids = arguments["ids"]?.arrayValue ?? []
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let fetched = try ids.map { id in
                    try fetch(db, enter, getter: "invoice_get", .object(["id": id]))
                }
                return file("application/pdf",
                            try DocumentRenderer.pdf(fetched.map(\.document), branding: fetched.first?.branding ?? Branding()))
            }
        case .order, .delivery:
            let format = RenderFormat(rawValue: arguments["format"]?.stringValue ?? "") ?? .pdf
            let id = arguments["id"] ?? .null
            let isOrder = method == .order
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let fetched = try fetchOrderDocument(db, enter, isOrder: isOrder, id: id)
                let rendered = try DocumentRenderer.render(fetched.document, as: format, branding: fetched.branding)
                return file(rendered.contentType, rendered.bytes)
            }
        case .invoice, .creditNote:
            var withoutFormat = arguments
            withoutFormat["format"] = nil
            let reference = withoutFormat
            let getter = method == .creditNote ? "credit_note_get" : "invoice_get"
            if let einvoice = EInvoiceFormat(rawValue: arguments["format"]?.stringValue ?? "") {
                return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                    let xml = try EInvoiceRendering.render(db, enter, getter: getter, .object(reference), as: einvoice)
                    return file("application/xml", xml)
                }
            }
            let format = RenderFormat(rawValue: arguments["format"]?.stringValue ?? "") ?? .pdf
            return pool.run(on: eventLoop, tenant: enter.tenant, client: enter.client) { db in
                let fetched = try fetch(db, enter, getter: getter, .object(reference))
                let rendered = try DocumentRenderer.render(fetched.document, as: format, branding: fetched.branding)
                return file(rendered.contentType, rendered.bytes)
            }
        }
    }

    /// A rendered document as the contract returns files: `{content_type, data_base64}`.
    private func file(_ contentType: String, _ bytes: [UInt8]) -> Reply {
        .json(["content_type": .string(contentType), "data_base64": .string(Base64.encode(bytes))])
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

    /// An order confirmation (`isOrder`) or a delivery note, with its order, tenant, customer,
    /// the order's signature and the tenant's branding, read in one statement like `fetch`.
    private func fetchOrderDocument(
        _ db: PostgresConnection, _ enter: TenantEntry, isOrder: Bool, id: JSON
    ) throws -> (document: InvoiceDocument, branding: Branding) {
        let source = isOrder
            ? "SELECT NULL::jsonb AS d, order_get($1::jsonb) AS o"
            : "SELECT x.d, order_get(jsonb_build_object('id', (x.d->>'order_id')::bigint)) AS o FROM delivery_get($1::jsonb) AS x(d)"
        let results = try db.pipeline([
            enter.statement(on: db),
            PostgresStatement("""
                SELECT r.d::text, r.o::text, tenant_get('{}')::text,
                       customer_get(jsonb_build_object('id', (r.o->>'customer_id')::bigint))::text,
                       branding_for_render()::text, order_signature_for_render((r.o->>'id')::bigint)
                FROM (\(source)) AS r
                """, [JSONWriter.string(.object(["id": id]))], prepareAs: isOrder ? "folio_render_order" : "folio_render_delivery"),
        ])
        let row = results[1].rows[0]
        func parse(_ text: String?) throws -> JSON { try JSONParser.parse(text ?? "null") }
        let order = try parse(row[1]), tenant = try parse(row[2]), customer = try parse(row[3])
        let document = isOrder
            ? InvoiceDocument(order: order, tenant: tenant, customer: customer, signaturePNG: row[5].flatMap(Base64.decode))
            : InvoiceDocument(delivery: try parse(row[0]), order: order, tenant: tenant, customer: customer)
        return (document, Branding(json: try parse(row[4])))
    }
}
