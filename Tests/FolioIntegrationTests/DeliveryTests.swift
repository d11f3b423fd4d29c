import FolioClient
import FolioDomain
import FolioPostgres
import FolioWire
import Foundation
import Testing

/// Contract v1.1 deliveries: tracking numbers as rows, receipt, lists; and the order
/// confirmation and delivery note documents read back with pdftotext.
@Suite(.timeLimit(.minutes(5))) struct DeliveryTests {
    let server = ServerProcess.shared

    /// A 1x1 PNG.
    static let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

    private func decoded(_ result: JSON, _ contentType: String) -> String {
        #expect(result["content_type"] == .string(contentType))
        return String(decoding: Data(base64Encoded: result["data_base64"]?.stringValue ?? "") ?? Data(), as: UTF8.self)
    }


    @Test func trackingNumbersReceiptAndLists() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("deliv"))
        _ = try o.item("P", price: "4.00")
        let id = try o.confirmedOrder(customer: try o.inv.customer(), po: "D-1", [("P", "6", nil)]).id
        let first = try o.deliver(id, [(1, "2")], tracking: ["PARCEL-1", "PARCEL-2", "PARCEL-3"], on: "2026-03-10")
        let second = try o.deliver(id, [(1, "1")], on: "2026-03-11")
        #expect(first["tracking_numbers"] == ["PARCEL-1", "PARCEL-2", "PARCEL-3"])
        #expect(second["tracking_numbers"] == .array([]))
        #expect(first["lines"]!.arrayValue!.map { [$0["line_no"], $0["sku"], $0["qty"]] } == [[1, "P", "2"]])
        let db = try Database.superuser()
        #expect(try Database.column(db, "SELECT tracking_number FROM t_\(o.tenant).delivery_tracking_numbers ORDER BY position")
                == ["PARCEL-1", "PARCEL-2", "PARCEL-3"])

        expectError(ErrorCode.invalidParams, field: "received_on") {
            try o.call("delivery.confirm_receipt", ["id": first["id"]!, "received_by": "X", "received_on": "2026-03-09"])
        }
        _ = try o.call("delivery.confirm_receipt", ["id": first["id"]!, "received_by": "X", "received_on": "2026-03-10"])
        #expect(try o.call("delivery.get", ["id": first["id"]!])["received_on"] == "2026-03-10")
        #expect(try o.call("delivery.list", ["status": "received"])["items"]!.arrayValue!.map(\.id) == [first.id])
        let page = try o.call("delivery.list", ["order_id": JSON(id), "limit": 1])
        #expect(page["items"]!.arrayValue!.map(\.id) == [first.id])
        let next = try o.call("delivery.list", ["order_id": JSON(id), "limit": 1, "cursor": page["next_cursor"]!])
        #expect(next["items"]!.arrayValue!.map(\.id) == [second.id])
        #expect(next["next_cursor"] == .null)
        expectError(ErrorCode.notFound, field: "id") { try o.call("delivery.get", ["id": 9999]) }
        expectError(ErrorCode.notFound, field: "order_id") { try o.deliver(9999, [(1, "1")]) }
    }

    @Test func orderConfirmationAndDeliveryNoteDocuments() throws {
        let o = Ordering(client: try server.connect(), tenant: try server.makeTenant("delivdoc"))
        try o.inv.taxRate("VAT19", "19")
        _ = try o.item("SKU-ÄÖ", price: "12.50", tax: "VAT19", stock: "10")
        let customer = try o.inv.customer("Müller & Söhne KG")
        let order = try o.order(customer: customer, po: "PO-DOC-77", [("SKU-ÄÖ", "4", nil)],
                                extra: ["signed_by": "Jana Nováková", "signed_on": "2026-03-02", "signature_png_base64": .string(Self.png),
                                        "shipping_address": ["line1": "Lagerstraße 5", "city": "Köln", "country": "DE"]])
        #expect(order["has_signature"] == .bool(true))
        _ = try o.call("order.confirm", ["id": order["id"]!])
        let delivery = try o.deliver(order.id, [(1, "3")], tracking: ["00340434161094042557", "00340434161094042558"])

        let orderPDF = try pdfText(of: try o.call("order.render", ["id": order["id"]!, "format": "pdf"]))
        for expected in ["Order confirmation", "PO-DOC-77", "Müller & Söhne KG", "SKU-ÄÖ", "Lagerstraße 5",
                         "Signed by Jana Nováková on 2026-03-02", "50.00", "59.50"] {
            #expect(orderPDF.contains(expected), "missing \(expected) in the order PDF:\n\(orderPDF)")
        }
        let noteRendered = try o.call("delivery.render", ["id": delivery["id"]!, "format": "pdf"])
        let notePDF = try pdfText(of: noteRendered)
        for expected in ["Delivery note", "PO-DOC-77", "00340434161094042557", "00340434161094042558", "SKU-ÄÖ", "Lagerstraße 5"] {
            #expect(notePDF.contains(expected), "missing \(expected) in the delivery note PDF:\n\(notePDF)")
        }
        #expect(!notePDF.contains("12.50"))   // a packing slip shows goods, not prices

        let html = decoded(try o.call("order.render", ["id": order["id"]!, "format": "html"]), "text/html; charset=utf-8")
        #expect(html.contains("PO-DOC-77"))
        #expect(html.contains("data:image/png;base64,"))
        let text = decoded(try o.call("delivery.render", ["id": delivery["id"]!, "format": "text"]), "text/plain; charset=utf-8")
        #expect(text.contains("DELIVERY NOTE"))
        #expect(text.contains("00340434161094042558"))
        expectError(ErrorCode.notFound, field: "id") { try o.call("order.render", ["id": 9999, "format": "pdf"]) }
    }
}
