import FolioEInvoice
import FolioPostgres
import FolioWire

/// Reads what an e-invoice needs in one statement (after entering the tenant) and builds
/// it; a document that could not pass EN 16931 is a conflict (-32003) naming the field.
enum EInvoiceRendering {
    /// The e-invoice of the document `getter` (`invoice_get` or `credit_note_get`) finds by `reference`.
    static func render(
        _ db: PostgresConnection, _ enter: TenantEntry, getter: String, _ reference: JSON, as format: EInvoiceFormat
    ) throws -> [UInt8] {
        let results = try db.pipeline([
            enter.statement(on: db),
            PostgresStatement("""
                SELECT d::text, tenant_get('{}')::text, customer_get(jsonb_build_object('id', (d->>'customer_id')::bigint))::text,
                       einvoice_extras(d)::text
                FROM \(getter)($1::jsonb) AS d
                """, [JSONWriter.string(reference)], prepareAs: "folio_einvoice_\(getter)"),
        ])
        return try build(results[1].rows[0], as: format)
    }

    /// Builds one document from a row (document, tenant, customer, extras) as JSON texts.
    static func build(_ row: [String?], as format: EInvoiceFormat) throws -> [UInt8] {
        func parse(_ text: String?) throws -> JSON { try JSONParser.parse(text ?? "null") }
        do {
            return try format.render(document: try parse(row[0]), tenant: try parse(row[1]), customer: try parse(row[2]),
                                     extras: try parse(row[3]))
        } catch let error as EInvoiceError {
            throw RPCError.conflict(error.message, field: error.field)
        }
    }
}
