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

    /// `export.invoices`: CSV and JSON as `export_invoices` makes them; `format: "ubl"` one
    /// UBL document per issued invoice of the period, a page (`limit`, `cursor`) at a time:
    /// `{format, count, documents: [{invoice_id, number, file_name, content_type, data_base64}],
    /// skipped: [{invoice_id, number, field, message}], next_cursor}`. An invoice that cannot
    /// be made valid is listed in `skipped` with the field to fix.
    static func export(_ db: PostgresConnection, _ enter: TenantEntry, _ arguments: JSONObject) throws -> Reply {
        let argumentText = JSONWriter.string(.object(arguments))
        guard arguments["format"]?.stringValue == "ubl" else {
            let results = try db.pipeline([
                enter.statement(on: db),
                PostgresStatement("SELECT export_invoices($1::jsonb)::text", [argumentText], prepareAs: "folio_export_invoices"),
            ])
            return .text(results[1].scalar ?? "null")
        }
        let results = try db.pipeline([
            enter.statement(on: db),
            PostgresStatement("SELECT einvoice_export_page($1::jsonb)::text", [argumentText], prepareAs: "folio_einvoice_export"),
        ])
        let page = try JSONParser.parse(results[1].scalar ?? "null")
        let tenant = page["tenant"] ?? .null
        var documents: [JSON] = []
        var skipped: [JSON] = []
        for row in page["rows"]?.arrayValue ?? [] {
            let document = row["document"] ?? .null
            let identity: JSONObject = ["invoice_id": document["id"] ?? .null, "number": document["number"] ?? .null]
            do {
                let xml = try EInvoiceFormat.ubl.render(document: document, tenant: tenant, customer: row["customer"] ?? .null,
                                                        extras: row["extras"] ?? .null)
                var entry = identity
                entry["file_name"] = .string((document["number"]?.stringValue ?? "invoice") + ".xml")
                entry["content_type"] = "application/xml"
                entry["data_base64"] = .string(Base64.encode(xml))
                documents.append(.object(entry))
            } catch let error as EInvoiceError {
                var entry = identity
                entry["field"] = .string(error.field)
                entry["message"] = .string(error.message)
                skipped.append(.object(entry))
            }
        }
        return .json(["format": "ubl", "count": page["count"] ?? 0, "documents": .array(documents),
                      "skipped": .array(skipped), "next_cursor": page["next_cursor"] ?? .null])
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
